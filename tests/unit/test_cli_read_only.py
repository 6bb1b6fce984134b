"""Commands that only read need no writable data folder and leave nothing behind
(issue 16 §6). Run as a user runs them, in a subprocess."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rpa.journal import Journal

CLIENTS = (
    "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,dsc_token,"
    "dsc_pin\n"
    "AABCB4821K,AABCB4821K,Bharat Spices,BHARAT SPICES,12/08/2009,a@b.example,9000010001,"
    "a-literal-password,dsc,ePass,env:PIN\n"
)


def unprivileged() -> list[str]:
    """A prefix that runs a command without root's right to write anywhere: nothing for
    a user, ``unshare`` into a user namespace as uid 1000 for root (the permission bits
    then hold for it too)."""
    if os.geteuid() != 0:
        return []
    prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: a read-only folder cannot be made")
    probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"running as root and unshare is refused: {probe.stderr.decode()[:200]}")
    return prefix


def rpa(cwd: Path, *args: str, prefix: list[str] | None = None, **env: str) -> str:
    """Run ``rpa ARGS``; its exit code must be 0. Returns stdout and stderr."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    full_env.update({"COLUMNS": "200", **env})
    done = subprocess.run(
        [*(prefix or []), sys.executable, "-m", "rpa", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output and "Permission denied" not in output, output
    return output


def read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    """A data folder with a journal holding one job, nobody can write to, and back."""
    folder = tmp_path / "data"
    journal = Journal(folder / "journal.sqlite3")
    batch = journal.create_batch("renew")
    journal.add_job("renew", client="AABCB4821K", batch_id=batch, row=2)
    journal.close()
    (tmp_path / "clients.csv").write_text(CLIENTS)
    read_only(folder)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_config_clients_check_and_jobs_list_work_on_a_read_only_data_folder(
    data: Path, tmp_path: Path
) -> None:
    prefix = unprivileged()
    env = {"RPA_DATA_DIR": str(data)}
    before = sorted(p.name for p in data.rglob("*"))

    assert "RPA_DATA_DIR" in rpa(tmp_path, "config", prefix=prefix, **env)
    checked = rpa(tmp_path, "clients", "check", str(tmp_path / "clients.csv"), prefix=prefix, **env)
    assert "1 good row(s)" in checked
    listed = rpa(tmp_path, "jobs", "list", prefix=prefix, **env)
    assert "AABCB4821K" in listed

    assert sorted(p.name for p in data.rglob("*")) == before


def test_clients_check_and_validate_create_nothing_in_the_working_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "in").mkdir()
    clients = tmp_path / "in" / "clients.csv"
    clients.write_text(CLIENTS)  # a literal password: a warning is logged
    book = tmp_path / "in" / "book.yaml"
    book.write_text("steps:\n  - goto: login\n")
    here = tmp_path / "work"
    here.mkdir()

    checked = rpa(here, "clients", "check", str(clients))
    assert "literal" in checked  # the warning was given, on the console
    rpa(here, "validate", str(book))
    rpa(here, "config")

    assert list(here.iterdir()) == []
