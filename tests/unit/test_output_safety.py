"""Output that cannot be turned against its reader (issue 16 §4): client text on a terminal
without control characters or markup, CSV cells that no spreadsheet runs as a formula,
`rpa config` without the passwords of URLs."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger
from rich.console import Console
from typer.testing import CliRunner

from rpa.cli import app
from rpa.cli.progress import LiveDisplay
from rpa.events import (
    BatchPaused,
    BatchStarted,
    ChallengeWaiting,
    JobQueued,
    StepRetried,
    StepStarted,
)
from rpa.journal import Journal
from rpa.logs import configure_logging
from rpa.outcomes import Outcome
from rpa.report import build_report, csv_cell, render_csv

# What a hostile firm name may hold: a window title (OSC 0), a screen clear (CSI), an 8-bit
# CSI, a line overwrite (CR), a bidirectional override, and Rich markup for a hyperlink.
HOSTILE = (
    "Evil\x1b]0;pwned\x07 Exports\x1b[2J \x9b31m\rOK \u202etxe.exe [link=https://evil.example]"
    "click[/link]"
)
INJECTED = ("\x1b]0;pwned", "\x1b[2J", "\x9b31m", "\u202e", "\x1b]8;", "\x07", "\r")
# Rich's own styling on a terminal: SGR colours, and the cursor moves of the live display.
OWN_SEQUENCES = re.compile(r"\r?\x1b\[[0-9;?]*[mAKlhG]")


def injected(output: str) -> list[str]:
    left = OWN_SEQUENCES.sub("", output)
    return [seq for seq in INJECTED if seq in left] + (["ESC"] if "\x1b" in left else [])


# --- terminals -------------------------------------------------------------------------------


CLIENTS_HEADER = (
    "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,dsc_token,"
    "dsc_pin\n"
)


def test_clients_check_shows_a_hostile_firm_name_as_text_on_a_terminal(tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    good = (
        f'AABCB4821K,AABCB4821K,"{HOSTILE}",BHARAT SPICES,12/08/2009,a@b.example,9000010001,'
        "env:PW,dsc,ePass,env:PIN\n"
    )
    bad = (  # its error quotes the client's text
        "AABCC4821K,AABCC4821K,Other,OTHER,12/08/2009,\x1b[2Jx\x1b]0;pwned\x07@@,9000010002,"
        "env:PW,dsc,ePass,env:PIN\n"
    )
    clients.write_text(CLIENTS_HEADER + good + bad, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env.update(FORCE_COLOR="1", COLUMNS="250", RPA_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-m", "rpa", "clients", "check", str(clients)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert injected(output) == [], output
    assert "\\x1b]0;pwned" in output  # shown, as text
    assert "[link=https://evil.example]" in output  # markup shown, not made a link


def test_the_live_display_shows_hostile_steps_prompts_and_notes_as_text() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    with LiveDisplay(console) as display:
        display(BatchStarted(batch_id="b1", playbook=f"renew {HOSTILE}", total=2, workers=2))
        display(JobQueued(job_id="j1", batch_id="b1", client=HOSTILE, worker=0))
        display(JobQueued(job_id="j2", batch_id="b1", client="AABCC4821K", worker=1))
        display(StepStarted(job_id="j1", step=f"Fill {HOSTILE}", kind="fill"))
        display(
            StepRetried(
                job_id="j2",
                step=f"Read {HOSTILE}",
                attempt=1,
                delay_s=1.0,
                error=HOSTILE,
                error_kind="transient",
            )
        )
        display(ChallengeWaiting(job_id="j1", challenge="otp", prompt=f"OTP for {HOSTILE}"))
        display(BatchPaused(batch_id="b1", reason=f"the portal said {HOSTILE}"))
    output = out.getvalue()
    assert injected(output) == [], repr(output)
    assert "\\x1b]0;pwned" in output


def test_an_error_quoting_a_clients_header_is_printed_as_text(tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    header = "Evil\x1b[2J\x9b31m\x07 [link=https://evil.example]click[/link]"  # no ; or ,
    clients.write_text(f"{header},pan\nA,B\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env.update(FORCE_COLOR="1", COLUMNS="250", RPA_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-m", "rpa", "clients", "check", str(clients)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "error:" in output and "missing required columns" in output
    assert injected(output) == [], output
    assert "[link=https://evil.example]" in output


@pytest.fixture
def quiet_logs() -> Iterator[None]:
    yield
    logger.remove()


def test_control_characters_in_a_log_message_are_shown_as_escapes(
    tmp_path: Path, quiet_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configure_logging(level="INFO", logs_dir=tmp_path)
    assert path is not None
    logger.info("portal said {}", "Evil\x1b]0;pwned\x07\x1b[2J")
    console = capsys.readouterr().err
    assert "\x1b]0;" not in console and "\\x1b]0;pwned\\x07\\x1b[2J" in console
    assert "\\x1b]0;pwned" in json.loads(path.read_text())["record"]["message"]


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("https://evil.example","click")',
        "=cmd|' /C calc'!A0",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-",
    ],
)
def test_a_csv_cell_a_spreadsheet_would_run_is_made_text(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["IEC/UPD/2026/000123", "-1500", "-1,500.00", "+2.5", "12", "Bharat = Spices", ""]
)
def test_acks_amounts_and_ordinary_text_stay_as_they_are(cell: str) -> None:
    assert csv_cell(cell) == cell


def test_the_csv_report_neutralises_formulas_from_the_portal_and_keeps_acks(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    batch_id = journal.create_batch("renew")
    done = journal.add_job("renew", client="AAACB1234F", batch_id=batch_id, row=2)
    journal.job_finished(done, Outcome.CHANGED, result={"ack_number": "IEC/UPD/2026/000123"})
    failed = journal.add_job("renew", client="1198002743", batch_id=batch_id, row=3)
    journal.job_finished(
        failed,
        Outcome.FAILED,
        error='=HYPERLINK("https://evil.example","Portal says: click")',
        error_kind="business",
        error_step="@SUM(1)",
    )
    rows = list(csv.DictReader(io.StringIO(render_csv(build_report(journal, batch_id)))))
    journal.close()
    by_client = {row["client"]: row for row in rows}
    assert by_client["AAACB1234F"]["ack_number"] == "IEC/UPD/2026/000123"
    assert by_client["1198002743"]["error"].startswith("'=HYPERLINK(")
    assert by_client["1198002743"]["error_step"] == "'@SUM(1)"


# --- rpa config ------------------------------------------------------------------------------


def test_rpa_config_masks_the_password_inside_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RPA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RPA_PORTAL_URL", "https://consultant:Pa55-w0rd@portal.example/CP/")
    monkeypatch.setenv("RPA_MOCK_API_URL", "http://tester:t0ken@127.0.0.1:8700/")
    for args in (["config"], ["config", "--json"]):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        assert "Pa55-w0rd" not in result.output and "t0ken" not in result.output
        assert "https://consultant:****@portal.example/CP/" in result.output
        assert "http://tester:****@127.0.0.1:8700/" in result.output
