"""`rpa doctor` and `rpa config`, run as a user runs them: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_rpa(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "rpa", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_doctor_launches_the_browser_and_exits_zero(tmp_path: Path) -> None:
    # from an empty folder, no RPA_PLAYBOOKS_DIR: the built-in playbooks are found anyway
    result = run_rpa("--data-dir", str(tmp_path / "data"), "doctor", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Browser" in result.stdout and "rendered a test page" in result.stdout
    assert "6 found, all load" in result.stdout  # the playbooks


def test_doctor_exits_one_with_the_reason_when_the_browser_path_is_wrong(tmp_path: Path) -> None:
    result = run_rpa(
        "doctor", cwd=tmp_path, env={"RPA_BROWSER_PATH": str(tmp_path / "no-such-chrome")}
    )
    assert result.returncode == 1
    assert "RPA_BROWSER_PATH" in result.stderr
    assert "playwright install chromium" in result.stderr


def test_config_shows_sources_and_masks_secrets(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RPA_CONCURRENCY=3\n")
    result = run_rpa(
        "--portal-url",
        "http://127.0.0.1:9/CP/",
        "config",
        "--json",
        cwd=tmp_path,
        env={"RPA_SMTP_PASSWORD": "very-secret-smtp", "RPA_HEADLESS": "false"},
    )
    assert result.returncode == 0, result.stderr
    import json

    shown = json.loads(result.stdout)
    assert shown["concurrency"] == {"value": "3", "source": ".env", "env": "RPA_CONCURRENCY"}
    assert shown["headless"]["source"] == "environment"
    assert shown["portal_url"]["source"] == "flag"
    assert shown["smtp_password"]["value"] == "********"
    assert "very-secret-smtp" not in result.stdout + result.stderr
