"""A journal that cannot be written mid-batch (issue 16 §6): ``rpa batch`` stops safely and
says so once, exit 1, the log keeping the details. The disk's failure is injected
(``tests/faults.py``): a full disk, damaged pages."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.site import Site

ROOT = Path(__file__).resolve().parents[2]

PLAYBOOK = """
name: journal-faults
steps:
  - goto: "form.html?key={{ client.iec }}"
  - fill: {label: PAN, value: "{{ client.pan }}"}
  - fill: {label: Firm name, value: "{{ client.firm_name }}"}
  - name: Submit
    click: Submit application
    submit: true
    guard: {text: Already submitted}
"""

HEADER = (
    "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,dsc_token,dsc_pin"
)
PANS = ["AABCB4821K", "AABCC4821K", "AABCD4821K", "AABCE4821K", "AABCF4821K", "AABCG4821K"]


def batch_with_failing_journal(
    site: Site, folder: Path, *, after: int, fault: str
) -> subprocess.CompletedProcess[str]:
    (folder / "p.yaml").write_text(PLAYBOOK)
    rows = [
        f"{pan},{pan},Firm {n},FIRM {n},12/08/2009,f{n}@b.example,900001000{n},env:PW,dsc,"
        "ePass,env:PW"
        for n, pan in enumerate(PANS)
    ]
    (folder / "clients.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RPA_")},
        "PYTHONPATH": str(ROOT),
        "RPA_PORTAL_URL": site.url,
        "RPA_DATA_DIR": str(folder / "data"),
        "RPA_TRACE": "never",
        "RPA_CONCURRENCY": "3",
        "PW": "not-a-real-password",
        "FAULT": fault,
        "FAULT_AFTER": str(after),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "tests.faults", "batch", "clients.csv", "--playbook", "p.yaml"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.parametrize(
    ("fault", "says"),
    [("full", "database or disk is full"), ("corrupt", "database disk image is malformed")],
)
def test_a_journal_failing_mid_batch_stops_it_with_one_message_and_no_traceback(
    site: Site, tmp_path: Path, fault: str, says: str
) -> None:
    done = batch_with_failing_journal(site, tmp_path, after=40, fault=fault)

    assert done.returncode == 1, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert output.count("error:") == 1, output
    said = " ".join(done.stderr.split())
    assert f"journal write failed: {says}" in said
    assert "The batch stopped" in said and "rpa batch --resume b" in said
    # the log keeps the detail: the failure with its traceback
    log = tmp_path / "data" / "logs" / "rpa.jsonl"
    assert f"(details: {log})" in said
    records = [json.loads(line)["record"] for line in log.read_text().splitlines()]
    failures = [r for r in records if says in r["message"] and r["exception"]]
    assert failures, "the log holds no record of the failure"
    # stopped safely: whatever reached the portal had its intent recorded first
    with sqlite3.connect(tmp_path / "data" / "journal.sqlite3") as journal:
        intents = {row[0] for row in journal.execute("SELECT client FROM submissions")}
    assert {s["pan"] for s in site.state.submissions} <= intents
