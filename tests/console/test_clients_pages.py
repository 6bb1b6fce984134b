"""The Clients pages: the renewal plan of this financial year, a client's history across
financial years (IST dates, acks, certificates, who ran it), and "Renew the due ones"
running `rpa renew run` against the mock portal."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from consolekit import ConsoleServer
from playwright.sync_api import Page, expect
from runkit import (
    DSC_SIGNER,
    applications,
    example_rows,
    portal_and_console,
    seed,
    wait_for,
    write_clients,
)

from rpa.journal import JobRow
from rpa.journal.people import People
from rpa.outcomes import Outcome

pytestmark = pytest.mark.browser
KAVERI = "0395012847"  # an IEC issued before 2020: its leading zero matters


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    tmp = tmp_path_factory.mktemp("clients")
    header, rows = example_rows(KAVERI, DSC_SIGNER)
    clients = write_clients(tmp / "office.csv", header, rows)
    with portal_and_console(tmp, clients_file=clients) as (_, api, server):
        server.portal_api = api  # type: ignore[attr-defined]
        yield server


def _renewed(console: ConsoleServer, when: str, ack: str, *, by: str | None = None) -> str:
    journal = console.journal
    source = str(console.settings.clients_file)
    batch = journal.create_batch("renew", source=source)
    job = journal.add_job("renew", client=KAVERI, batch_id=batch, row=2)
    journal.job_finished(
        job,
        Outcome.CHANGED,
        finished_at=when,
        result={
            "ack_number": ack,
            "application_status": "Approved",
            "certificate_path": f"/data/certificates/{KAVERI}/e-IEC-{when[:10]}.pdf",
            "certificate_sha256": "cd" * 32,
        },
    )
    if by:
        People(journal).add_audit(by, "batch.start", batch, {"playbook": "renew"})
    return job


def test_a_clients_history_is_grouped_by_financial_year_with_who_ran_each_job(
    page: Page, console: ConsoleServer, signed_in: Callable[[Page, str], Page]
) -> None:
    _renewed(console, "2025-05-20T06:00:00.000+00:00", "IEC/UPD/2025/000101")
    failed = console.journal.add_job("renew", client=KAVERI)
    console.journal.job_finished(
        failed,
        Outcome.FAILED,
        finished_at="2026-05-19T05:00:00.000+00:00",
        error="OTP refused",
        error_kind="business",
        error_code="ESIGN_OTP_REFUSED",
    )
    _renewed(console, "2026-05-20T20:00:00.000+00:00", "IEC/UPD/2026/000202", by="omar")

    signed_in(page, "viewer")
    page.goto(console.url + "/clients")
    plan = page.get_by_role("table", name="Renewal plan")
    expect(plan.get_by_role("row", name=KAVERI)).to_contain_text("Done")
    expect(plan.get_by_role("row", name=DSC_SIGNER)).to_contain_text("Ganga Agro Foods LLP")
    expect(page.get_by_role("button", name="Renew the due ones")).to_have_count(0)  # a viewer

    plan.get_by_role("link", name=KAVERI).click()
    expect(page.get_by_role("heading", name="Kaveri Handlooms", level=1)).to_be_visible()
    this_year = page.get_by_role("region", name="FY 2026-27")
    renewed = this_year.get_by_role("row", name="IEC/UPD/2026/000202")
    expect(renewed).to_contain_text("Renewed")
    expect(renewed).to_contain_text("21 May 2026, 01:30 IST")  # 20:00 UTC is the next day
    expect(renewed).to_contain_text("omar (console)")
    expect(renewed).to_contain_text("e-IEC-2026-05-20.pdf")
    expect(renewed).to_contain_text("Approved")
    expect(this_year).to_contain_text("Failed: the Aadhaar eSign OTP was refused")
    last_year = page.get_by_role("region", name="FY 2025-26")
    expect(last_year.get_by_role("row", name="IEC/UPD/2025/000101")).to_contain_text("command line")
    page.goto(console.url + "/clients/find?iec=0395%20012847")
    expect(page.get_by_role("heading", name="Kaveri Handlooms")).to_be_visible()


def test_renew_the_due_ones_runs_rpa_renew_run_for_them(
    page: Page, console: ConsoleServer, signed_in: Callable[[Page, str], Page]
) -> None:
    api = console.portal_api  # type: ignore[attr-defined]
    seed(api, {DSC_SIGNER: "due"})
    _renewed(console, "2026-05-20T06:00:00.000+00:00", "IEC/UPD/2026/000303")  # Kaveri: done
    signed_in(page, "operator")
    page.goto(console.url + "/clients")
    expect(page.get_by_text(f"1 client: {DSC_SIGNER}")).to_be_visible()
    page.get_by_role("button", name="Renew the due ones").click()
    page.wait_for_url("**/batches/b*")
    batch_id = page.url.rsplit("/", 1)[-1]

    def finished() -> list[JobRow] | None:
        jobs = console.journal.jobs(batch_id=batch_id)
        return jobs if jobs and all(j.finished for j in jobs) else None

    [job] = wait_for(finished)
    assert (job.client, job.status) == (DSC_SIGNER, "changed"), job.error
    assert len(applications(api, DSC_SIGNER)) == 1
    [started] = People(console.journal).audit(action="renew.start", target=batch_id)
    assert started.who == "omar"
    page.goto(f"{console.url}/clients/{DSC_SIGNER}")
    row = page.get_by_role("region", name="FY 2026-27").get_by_role("row", name=job.id)
    expect(row).to_contain_text("Renewed")
    expect(row).to_contain_text("omar (console)")
