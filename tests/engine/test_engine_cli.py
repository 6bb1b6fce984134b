"""``rpa run`` in a subprocess, as a consultant runs it, against the local pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.engine.site import Site

PLAYBOOK = """
name: cli-update
inputs:
  pan: {type: pan}
  password: {type: secret}
  key: {}
steps:
  - goto: "form.html?key={{ inputs.key }}"
  - fill: {label: PAN, value: "{{ inputs.pan }}"}
  - fill: {label: Firm name, value: "{{ client.firm_name | default('no client') }}"}
  - name: Submit
    click: Submit application
    submit: true
    guard: {text: Already submitted}
  - extract: {css: "#ack", regex: "ACK-[0-9-]+", into: ack}
outputs:
  ack: "{{ vars.ack }}"
"""

CLIENTS = (
    "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,dsc_token,"
    "dsc_pin\n"
    "AABCB4821K,AABCB4821K,Bharat Spices,BHARAT SPICES,12/08/2009,a@b.example,9000010001,"
    "env:CLI_PW,dsc,ePass,env:CLI_PW\n"
)


def rpa(site: Site, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RPA_PORTAL_URL": site.url,
        "RPA_DATA_DIR": str(tmp_path / "data"),
        "RPA_TRACE": "never",
        "CLI_PW": "from-the-env-123",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "rpa", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_rpa_run_checks_then_submits_and_exits_by_outcome(site: Site, tmp_path: Path) -> None:
    (tmp_path / "update.yaml").write_text(PLAYBOOK)
    (tmp_path / "clients.csv").write_text(CLIENTS)
    args = [
        "run",
        "update.yaml",
        "-i",
        "key=cli1",
        "-i",
        "password=env:CLI_PW",
        "--clients",
        "clients.csv",
        "--client",
        "aabcb4821k",
    ]
    checked = rpa(site, tmp_path, *args, "--check")
    assert checked.returncode == 0, checked.stderr
    assert "would-change" in checked.stdout and site.state.submissions == []
    done = rpa(site, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert "changed" in done.stdout and "ack: ACK-2024-0001" in done.stdout
    assert site.state.submissions[0]["firm"] == "Bharat Spices"
    assert "from-the-env-123" not in done.stdout + done.stderr


def test_rpa_run_exits_non_zero_when_the_job_fails(site: Site, tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        "steps:\n  - goto: form.html\n  - click: {css: '#gone'}\n    timeout_ms: 200\n"
    )
    result = rpa(site, tmp_path, "run", "broken.yaml")
    assert result.returncode == 1
    assert "portal-changed" in result.stdout and 'css="#gone"' in result.stdout


def test_rpa_run_refuses_an_invalid_playbook_with_its_line(site: Site, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("steps:\n  - clik: Go\n")
    result = rpa(site, tmp_path, "run", "bad.yaml")
    assert result.returncode == 2 and "bad.yaml:2:5" in result.stderr
