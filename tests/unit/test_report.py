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
from rpa.events import Outcome
from rpa.journal import Journal
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
