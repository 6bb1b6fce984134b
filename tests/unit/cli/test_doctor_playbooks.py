"""``rpa doctor`` checks that the playbooks can be found (issue 16 §8). The browser's checks
are left out here (they launch Chromium); the e2e suite runs doctor whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import rpa.cli.system
import rpa.playbook.builtin
from rpa.cli import app

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def doctor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setattr(rpa.cli.system, "check_browser", lambda settings: True, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RPA_DATA_DIR", str(tmp_path / "data"))
    # wide enough for two temporary paths on a line (a parallel worker's are longer)
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


def said(output: str) -> str:
    return " ".join(output.split())


def test_doctor_fails_when_the_users_playbook_folder_is_not_there(
    doctor: CliRunner, tmp_path: Path
) -> None:
    nowhere = tmp_path / "nowhere"
    result = doctor.invoke(app, ["doctor"], env={"RPA_PLAYBOOKS_DIR": str(nowhere)})
    assert result.exit_code == 1, result.output
    assert f"Playbooks not found: no folder {nowhere}" in said(result.output)
    assert "RPA_PLAYBOOKS_DIR" in result.output


def test_doctor_names_the_playbooks_found_nowhere(
    doctor: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builtin = tmp_path / "no-builtins"
    builtin.mkdir()
    monkeypatch.setattr(rpa.playbook.builtin, "builtin_playbooks_dir", lambda: builtin)
    folder = tmp_path / "playbooks"
    folder.mkdir()
    for name in ("login", "portal", "update_iec"):
        (folder / f"{name}.yaml").write_text((ROOT / "playbooks" / f"{name}.yaml").read_text())
    result = doctor.invoke(app, ["doctor"], env={"RPA_PLAYBOOKS_DIR": str(folder)})
    assert result.exit_code == 1, result.output
    text = said(result.output)
    assert f"Playbooks missing in {folder} then {builtin}" in text
    assert "link_iec, download_certificate, iec_status, renew" in text


def test_doctor_finds_the_built_in_playbooks_without_a_playbook_folder(doctor: CliRunner) -> None:
    result = doctor.invoke(app, ["doctor"], env={"RPA_PLAYBOOKS_DIR": None})
    assert result.exit_code == 0, result.output
    assert f"Playbooks {ROOT / 'playbooks'}: 6 found, all load" in said(result.output)


def test_doctor_names_the_playbooks_a_users_folder_replaces(
    doctor: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "renew.yaml").write_text("name: renew\nsteps:\n  - log: mine\n")
    (folder / "extra.yaml").write_text("name: extra\nsteps:\n  - log: mine too\n")
    result = doctor.invoke(app, ["doctor"], env={"RPA_PLAYBOOKS_DIR": str(folder)})
    assert result.exit_code == 0, result.output
    text = said(result.output)
    assert f"Playbooks {folder} then {ROOT / 'playbooks'}: 6 found, yours: renew" in text
