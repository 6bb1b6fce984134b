"""How the console starts runs: the CLI in a process of its own with the console's settings,
a batch planned first (its bad rows recorded as not run), a replay's corrected client file
holding references only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rpa.clients.file import load_clients
from rpa.config import load_settings
from rpa.console import runs
from rpa.journal import Journal
from rpa.report import NOT_RUN_OPTION

ROOT = Path(__file__).resolve().parents[3]


class Spawned:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str], Path]] = []

    def __call__(self, args: Sequence[str], env: dict[str, str], log: Path) -> int:
        self.calls.append((list(args), env, log))
        return 4242


def test_a_run_gets_the_consoles_settings_and_its_challenges_go_to_the_console(
    tmp_path: Path,
) -> None:
    settings = load_settings({"data_dir": tmp_path, "concurrency": 3}, env_file=None)
    env = runs.child_env(settings)
    assert env["RPA_DATA_DIR"] == str(tmp_path) and env["RPA_CONCURRENCY"] == "3"
    assert env["RPA_CHALLENGES"] == "console"  # nobody sits at a run's terminal
    mocked = load_settings(
        {"data_dir": tmp_path, "otp_provider": "mock-outbox", "captcha_provider": "mock"},
        env_file=None,
    )
    assert "RPA_CHALLENGES" not in runs.child_env(mocked)


def test_a_batch_is_planned_with_its_bad_rows_then_run_by_rpa_batch_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings({"data_dir": tmp_path / "data"}, env_file=None)
    journal = Journal(settings.journal_path)
    lines = (ROOT / "examples" / "clients.csv").read_text().splitlines()
    bad = lines[3].replace("9000010003", "12345")
    clients = tmp_path / "clients.csv"
    clients.write_text("\n".join([lines[0], lines[2], bad]) + "\n")
    spawned = Spawned()
    monkeypatch.setattr(runs, "_spawn", spawned)
    batch_id, started = runs.start_batch(
        settings, journal, clients, "renew", concurrency=2, check=True
    )
    [(args, env, log)] = spawned.calls
    assert env["RPA_DATA_DIR"] == str(tmp_path / "data")
    assert args == ["batch", "--resume", batch_id, "--concurrency", "2", "--output", "quiet"]
    assert started.pid == 4242 and log.parent == tmp_path / "data" / "console" / "runs"
    batch = journal.batch(batch_id)
    assert batch.check_mode and batch.source == str(clients)
    assert [j.client for j in journal.jobs(batch_id=batch_id)] == ["0395012847"]
    [not_run] = batch.options[NOT_RUN_OPTION]
    assert not_run["client"] == "AAJFG2290M" and "mobile" in not_run["reason"]


def test_a_replays_client_file_holds_references_only_and_absolute_file_paths(
    tmp_path: Path,
) -> None:
    settings = load_settings({"data_dir": tmp_path / "data"}, env_file=None)
    [(_, record)] = [
        (row, r)
        for row, r in load_clients(ROOT / "examples" / "clients.csv").records
        if r.iec == "AAJFG2290M"
    ]
    path = runs.replay_file(
        settings,
        record,
        {"portal_password": "env:DEMO_PORTAL_PASSWORD", "dsc_pin": "file:pins/ganga.txt"},
        base_dir=tmp_path / "office",
        name="j1-check-1",
    )
    assert path.stat().st_mode & 0o777 == 0o600
    [(_, again)] = load_clients(path).records
    assert str(again.dsc_pin) == f"file:{tmp_path / 'office' / 'pins' / 'ganga.txt'}"
    assert again.model_dump(exclude={"dsc_pin"}) == record.model_dump(exclude={"dsc_pin"})
