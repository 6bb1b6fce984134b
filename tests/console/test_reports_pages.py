"""Reports from the console: a batch's report downloaded as Excel (the IEC's leading zero
kept, as text) and shown as HTML with certificates linked to the console, not file://."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from consolekit import ConsoleServer
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from rpa.outcomes import Outcome

pytestmark = pytest.mark.browser
KAVERI = "0395012847"


def _batch(console: ConsoleServer) -> tuple[str, str]:
    journal = console.journal
    batch = journal.create_batch("renew", source="gone.csv")  # a client file since removed
    job = journal.add_job("renew", client=KAVERI, batch_id=batch, row=2)
    journal.job_finished(
        job,
        Outcome.CHANGED,
        finished_at="2026-05-20T06:00:00.000+00:00",
        result={
            "ack_number": "IEC/UPD/2026/000404",
            "certificate_path": f"/data/certificates/{KAVERI}/e-IEC-2026-05-20.pdf",
            "certificate_sha256": "ef" * 32,
        },
    )
    return batch, job


def test_a_viewer_downloads_a_batch_report_as_excel_with_the_iec_as_text(
    page: Page, console: ConsoleServer, signed_in: Callable[[Page, str], Page], tmp_path: Path
) -> None:
    batch, _ = _batch(console)
    signed_in(page, "viewer")
    page.goto(console.url + "/reports")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Excel report of {batch}").click()
    saved = tmp_path / "report.xlsx"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"report-{batch}.xlsx"
    cell = load_workbook(saved)["Clients"]["A2"]
    assert (cell.value, cell.data_type) == (KAVERI, "s")


def test_the_html_report_links_certificates_to_the_console(
    page: Page, console: ConsoleServer, signed_in: Callable[[Page, str], Page]
) -> None:
    batch, job = _batch(console)
    signed_in(page, "viewer")
    page.goto(console.url + "/reports")
    page.get_by_role("link", name=f"HTML report of {batch}").click()
    expect(page.get_by_role("cell", name="Renewed")).to_be_visible()
    link = page.get_by_role("link", name="e-IEC-2026-05-20.pdf")
    expect(link).to_have_attribute("href", f"{console.url}/jobs/{job}/certificate")
    assert "file://" not in page.content()


def test_a_report_of_no_batch_is_not_found(console: ConsoleServer) -> None:
    client, _ = console.http("viewer")
    with client:
        assert client.get("/reports/b20260101-00000000.xlsx").status_code == 404
        assert client.get("/reports/x.exe").status_code == 404
