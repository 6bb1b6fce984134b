"""Reports for managers: firm names, plain outcomes, IST, XLSX with IECs as text, no file://."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from rpa.cli import app
from rpa.journal import Journal
from rpa.outcomes import Outcome
from rpa.report import build_report, render_csv, render_html, render_json, render_xlsx

HEADER = (
    "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,dsc_token,dsc_pin"
)
ROWS = [
    "0395012847,ACFPN7314Q,Kaveri Exports,LAKSHMI,21/06/1978,k@m.example,9000010002,"
    "env:PW,dsc,ePass2003,env:PIN",
    'AABCB4821K,AABCB4821K,=HYPERLINK("http://x"),BHARAT SPICES,12/08/2009,a@b.example,'
    "9000010001,env:PW,dsc,ePass2003,env:PIN",
    "AAJFG2290M,AAJFG2290M,Ganga Agro,GANGA AGRO,31/02/2016,g@a.example,12345,env:PW,dsc,,env:PIN",
]


@pytest.fixture
def report_batch(tmp_path: Path) -> tuple[Journal, str, Path]:
    from rpa.cli.batch import not_run_rows, plan_new_batch
    from rpa.clients.file import load_clients

    clients = tmp_path / "clients.csv"
    clients.write_text("\n".join([HEADER, *ROWS]) + "\n")
    loaded = load_clients(clients)
    journal = Journal(tmp_path / "data" / "journal.sqlite3")
    plan = plan_new_batch(
        journal,
        "renew",
        loaded.records,
        source=str(clients),
        check=False,
        only=None,
        not_run=not_run_rows(loaded, None),
    )
    renewed, failed = plan.jobs
    certificate = tmp_path / "data" / "certificates" / "0395012847" / "e-IEC-2026-12-05.pdf"
    journal.job_started(renewed.job_id)
    journal.job_finished(
        renewed.job_id,
        Outcome.CHANGED,
        duration_s=61.0,
        result={
            "ack_number": "IEC/UPD/2026/000042",
            "application_status": "In Progress",
            "certificate_path": str(certificate),
            "certificate_sha256": "ab" * 32,
        },
    )
    journal.job_finished(
        failed.job_id,
        Outcome.FAILED,
        error="The DSC has expired",
        error_kind="business",
        error_code="DSC_EXPIRED",
    )
    return journal, plan.batch_id, tmp_path


def test_the_xlsx_report_keeps_an_iecs_leading_zero_as_text(
    report_batch: tuple[Journal, str, Path], tmp_path: Path
) -> None:
    journal, batch_id, _ = report_batch
    out = tmp_path / "report.xlsx"
    out.write_bytes(render_xlsx(build_report(journal, batch_id)))
    sheet = load_workbook(out)["Clients"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["IEC", "Firm", "Outcome", "Acknowledgement", "Application status"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    kaveri = rows["0395012847"]
    assert kaveri[0].data_type == "s"  # text, not the number 395012847
    assert [c.value for c in kaveri[1:5]] == [
        "Kaveri Exports",
        "Renewed",
        "IEC/UPD/2026/000042",
        "In Progress",
    ]
    assert kaveri[5].value == "e-IEC-2026-12-05.pdf"
    assert kaveri[8].value.endswith(" IST")
    assert rows["AABCB4821K"][1].value == '\'=HYPERLINK("http://x")'  # never a formula
    assert rows["AABCB4821K"][2].value == "Failed: the DSC has expired"
    assert rows["AAJFG2290M"][2].value.startswith("Not run: dob '31/02/2016' is not a real date")


def test_the_csv_and_json_reports_carry_firm_names_plain_words_and_ist(
    report_batch: tuple[Journal, str, Path],
) -> None:
    journal, batch_id, _ = report_batch
    report = build_report(journal, batch_id)
    rows = {r["client"]: r for r in csv.DictReader(io.StringIO(render_csv(report)))}
    assert rows["0395012847"]["firm_name"] == "Kaveri Exports"
    assert rows["0395012847"]["outcome"] == "changed"  # the old column is kept
    assert rows["0395012847"]["outcome_text"] == "Renewed"
    assert rows["0395012847"]["started_ist"].endswith(" IST")
    assert rows["AABCB4821K"]["firm_name"].startswith("'=")  # neutralised like every cell
    data = json.loads(render_json(report))
    assert {c["client"]: c["outcome_text"] for c in data["clients"]}["AABCB4821K"] == (
        "Failed: the DSC has expired"
    )


def test_the_html_report_has_no_file_links_and_links_the_console_when_one_is_set(
    report_batch: tuple[Journal, str, Path],
) -> None:
    journal, batch_id, _ = report_batch
    html = render_html(build_report(journal, batch_id))
    assert "file://" not in html
    assert "e-IEC-2026-12-05.pdf" in html and "ab" * 32 in html
    assert "Kaveri Exports" in html and "Renewed" in html and "IST" in html
    linked = render_html(build_report(journal, batch_id, console_url="https://rpa.office.example/"))
    job = journal.jobs(batch_id=batch_id, client="0395012847")[0].id
    assert f'href="https://rpa.office.example/jobs/{job}/certificate"' in linked


def test_rpa_report_writes_an_xlsx(report_batch: tuple[Journal, str, Path]) -> None:
    _, batch_id, tmp_path = report_batch
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(tmp_path / "data"),
            "report",
            batch_id,
            "--format",
            "xlsx",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_workbook(out)["Clients"]["A2"].value == "0395012847"


def test_a_job_waiting_for_an_otp_reads_waiting_for_otp(
    report_batch: tuple[Journal, str, Path],
) -> None:
    journal, batch_id, _ = report_batch
    job = journal.add_job("renew", client="0395012847", batch_id=batch_id, row=2)
    journal.job_started(job)
    journal.add_challenge(job, "otp", "OTP sent to mobile ******0002")
    lines = {line.client: line for line in build_report(journal, batch_id).lines}
    assert lines["0395012847"].outcome_text == "Waiting for OTP"
