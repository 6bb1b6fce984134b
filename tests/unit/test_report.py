from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from rpa.cli import app
from rpa.journal import Journal
from rpa.outcomes import Outcome
from rpa.report import ReportFormat, build_report, render_csv, render_html, render_json


@pytest.fixture
def batch(tmp_path: Path) -> tuple[Journal, str]:
    journal = Journal(tmp_path / "data" / "journal.sqlite3")
    batch_id = journal.create_batch("renew", source="clients.csv")
    done = journal.add_job("renew", client="AAACB1234F", batch_id=batch_id, row=2)
    journal.job_finished(
        done,
        Outcome.CHANGED,
        duration_s=12.5,
        result={
            "ack_number": "IEC/UPD/2026/000042",
            "certificate_path": str(tmp_path / "e-IEC.pdf"),
            "certificate_sha256": "ab" * 32,
        },
    )
    broken = journal.add_job("renew", client="1198002743", batch_id=batch_id, row=3)
    shot = tmp_path / "failure.png"
    Image.new("RGB", (40, 20), "red").save(shot)
    journal.add_artifact(broken, "screenshot", str(shot))
    journal.job_finished(
        broken,
        Outcome.FAILED,
        duration_s=4.0,
        error="PAN does not match the IEC's records",
        error_kind="business",
        error_code="PAN_MISMATCH",
        error_step="link/Validate",
    )
    return journal, batch_id


def test_the_json_report_has_totals_and_a_line_per_client(batch: tuple[Journal, str]) -> None:
    journal, batch_id = batch
    data = json.loads(render_json(build_report(journal, batch_id)))
    assert data["totals"] == {"changed": 1, "failed": 1}
    by_client = {line["client"]: line for line in data["clients"]}
    assert by_client["AAACB1234F"]["ack_number"] == "IEC/UPD/2026/000042"
    assert by_client["1198002743"]["error_code"] == "PAN_MISMATCH"


def test_the_csv_report_has_one_row_per_client(batch: tuple[Journal, str]) -> None:
    journal, batch_id = batch
    rows = list(csv.DictReader(io.StringIO(render_csv(build_report(journal, batch_id)))))
    assert [r["client"] for r in rows] == ["AAACB1234F", "1198002743"]
    assert rows[0]["certificate_sha256"] == "ab" * 32


def test_the_html_report_is_self_contained_with_the_failure_screenshot_embedded(
    batch: tuple[Journal, str],
) -> None:
    journal, batch_id = batch
    html = render_html(build_report(journal, batch_id))
    assert "IEC/UPD/2026/000042" in html and "PAN_MISMATCH" in html
    assert html.count("data:image/png;base64,") == 1
    external = re.findall(r'(?:src|href)="(?!data:|file://)([^"]+)"', html)
    assert external == []
    assert "<svg" in html  # the chart of outcomes


def test_a_replayed_client_is_reported_by_its_latest_job(batch: tuple[Journal, str]) -> None:
    journal, batch_id = batch
    failed = journal.jobs(batch_id=batch_id, status="failed")[0]
    replay = journal.add_job("renew", client=failed.client, batch_id=batch_id, replay_of=failed.id)
    journal.job_finished(replay, Outcome.CHANGED, result={"ack_number": "IEC/UPD/2026/000043"})
    report = build_report(journal, batch_id)
    assert report.totals == {"changed": 2}


def test_the_report_command_writes_each_format(batch: tuple[Journal, str], tmp_path: Path) -> None:
    _, batch_id = batch
    runner = CliRunner()
    for fmt in ReportFormat:
        out = tmp_path / f"report.{fmt.value}"
        result = runner.invoke(
            app,
            [
                "--data-dir",
                str(tmp_path / "data"),
                "report",
                batch_id,
                "--format",
                fmt.value,
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        if fmt is ReportFormat.XLSX:  # a zip: test_report_managers reads it back
            assert out.read_bytes().startswith(b"PK")
        else:
            assert "AAACB1234F" in out.read_text()


def test_jobs_list_and_show_read_the_journal(batch: tuple[Journal, str], tmp_path: Path) -> None:
    journal, _ = batch
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    listed = runner.invoke(app, [*data, "jobs", "list", "--status", "failed", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = [json.loads(line) for line in listed.output.splitlines()]
    assert row["client"] == "1198002743"
    journal.add_artifact(row["id"], "trace", "/tmp/trace.zip")
    shown = runner.invoke(app, [*data, "jobs", "show", row["id"]])
    assert shown.exit_code == 0, shown.output
    assert "PAN_MISMATCH" in shown.output
    assert "playwright show-trace /tmp/trace.zip" in shown.output


# --- rows of the client file that were not run -------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
CLIENTS_HEADER = (
    "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,dsc_token,dsc_pin"
)
GOOD_ROW = (
    "AABCB4821K,AABCB4821K,Bharat Spices,BHARAT SPICES,12/08/2009,a@b.example,9000010001,"
    "env:PW,dsc,ePass2003,env:PIN"
)
BAD_ROW = (
    "AAJFG2290M,AAJFG2290M,Ganga Agro,GANGA AGRO,31/02/2016,g@a.example,12345,env:PW,dsc,,env:PIN"
)
TWICE_ROW = (
    "0395012847,ACFPN7314Q,Kaveri,LAKSHMI,21/06/1978,k@m.example,9000010002,"
    "env:PW,dsc,ePass2003,env:PIN"
)


@pytest.fixture
def client_file(tmp_path: Path) -> Path:
    path = tmp_path / "clients.csv"
    lines = [CLIENTS_HEADER, GOOD_ROW, BAD_ROW, TWICE_ROW, TWICE_ROW.replace("k@m", "k2@m")]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rows_not_run_are_in_every_report_with_their_row_and_reason(
    tmp_path: Path, client_file: Path
) -> None:
    from rpa.cli.batch import not_run_rows, plan_new_batch
    from rpa.clients.file import load_clients

    loaded = load_clients(client_file)
    journal = Journal(tmp_path / "data" / "journal.sqlite3")
    plan = plan_new_batch(
        journal,
        "renew",
        loaded.records,
        source=str(client_file),
        check=False,
        only=None,
        not_run=not_run_rows(loaded, None),
    )
    [job] = plan.jobs
    journal.job_finished(job.job_id, Outcome.CHANGED, result={"ack_number": "IEC/UPD/2026/1"})
    report = build_report(journal, plan.batch_id)
    assert report.totals == {"changed": 1, "not-run": 3}

    data = json.loads(render_json(report))
    assert data["totals"] == {"changed": 1, "not-run": 3}
    lines = [(c["row"], c["client"], c["outcome"], c["error_code"]) for c in data["clients"]]
    assert lines == [
        (2, "AABCB4821K", "changed", None),
        (3, "AAJFG2290M", "not-run", "BAD_ROW"),
        (4, "0395012847", "not-run", "DUPLICATE_ROW"),
        (5, "0395012847", "not-run", "DUPLICATE_ROW"),
    ]
    bad = data["clients"][1]
    assert bad["job_id"] is None
    assert bad["error"] == (
        "dob '31/02/2016' is not a real date (day 31, month 2, year 2016); "
        "mobile must be 10 digits (an Indian mobile number), got '12345'; "
        "sign_with is dsc, so dsc_token (the token's name) is required"
    )

    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [(r["row"], r["outcome"]) for r in rows] == [
        ("2", "changed"),
        ("3", "not-run"),
        ("4", "not-run"),
        ("5", "not-run"),
    ]
    assert rows[3]["error"].startswith("IEC 0395012847 appears on rows 4 and 5")

    html = render_html(report)
    assert html.count("not run</small>") == 3
    assert "<b>3</b> not run" in html and "of <b>4</b> clients" in html
    assert "mobile must be 10 digits" in html and "BAD_ROW" in html


def test_only_an_iec_on_a_refused_row_is_reported_not_run_and_the_others_left_out(
    tmp_path: Path, client_file: Path
) -> None:
    from rpa.cli.batch import not_run_rows, plan_new_batch, wanted_iecs
    from rpa.clients.file import load_clients

    loaded = load_clients(client_file)
    wanted = wanted_iecs("aajfg 2290m, AABCB4821K", loaded, client_file)
    assert wanted == {"AAJFG2290M", "AABCB4821K"}
    journal = Journal(tmp_path / "data" / "journal.sqlite3")
    plan = plan_new_batch(
        journal,
        "renew",
        loaded.records,
        source=str(client_file),
        check=False,
        only=wanted,
        not_run=not_run_rows(loaded, wanted),
    )
    assert [job.client for job in plan.jobs] == ["AABCB4821K"]
    lines = build_report(journal, plan.batch_id).lines
    assert [(line.row, line.outcome) for line in lines] == [(2, "pending"), (3, "not-run")]


def test_batch_only_with_an_iec_not_in_the_file_is_an_error(
    tmp_path: Path, client_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RPA_PLAYBOOKS_DIR", str(ROOT / "playbooks"))
    data = tmp_path / "data"
    result = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(data),
            "batch",
            str(client_file),
            "--playbook",
            "renew",
            "--only",
            "AABCB4821K,AAACZ9999Z",
        ],
    )
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"--only names IECs that are not in {client_file}: AAACZ9999Z" in said
    assert Journal(data / "journal.sqlite3").batches() == []
