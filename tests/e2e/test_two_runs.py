"""Two runs of one client at once (the daily renewal and a support replay, say), as users run
them: the mock portal and two ``rpa`` processes sharing one data directory (one journal).

The second run must not trample the first: it either finds the client busy (exit 1,
``CLIENT_BUSY``, naming the first run's command and process) or, had the first already
finished, reads the portal through the guard and submits nothing. Either way the portal
holds exactly one application.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from batchkit import (
    ROOT,
    Portal,
    kill_group,
    mock_portal,
    query,
    rpa_env,
    run_rpa,
    start_rpa,
    write_clients,
)

from rpa.journal import Journal
from rpa.outcomes import Outcome

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# each request a little slow, so the first run is still at work when the second starts
SLOW = {"latency_ms": 300}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with mock_portal(tmp_path_factory.mktemp("two-runs-portal")) as running:
        yield running


def wait_for_a_running_job(journal: Path, iec: str, process: subprocess.Popen[bytes]) -> str:
    """The id of ``iec``'s job once ``process`` has started running it (its lease taken)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rows = query(journal, "SELECT id FROM jobs WHERE client = ? AND status = 'running'", (iec,))
        if rows:
            return str(rows[0]["id"])
        assert process.poll() is None, "the first run ended before it started its job"
        time.sleep(0.1)
    raise AssertionError("the first run never started its job")


def finish(process: subprocess.Popen[bytes], log: Path) -> tuple[int, str]:
    try:
        code = process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise
    return code, log.read_text(errors="replace")


def assert_busy_or_ok(
    code: int, output: str, holder: subprocess.Popen[bytes], command: str, ok_line: str
) -> None:
    """The second run: refused with the holder named, or (the first had finished) ``ok``:
    its guard found the first run's application (``changed`` would claim a submission)."""
    if code == 0:
        assert re.search(ok_line, output, re.MULTILINE), output
        return
    assert code == 1, output
    assert "CLIENT_BUSY" in output, output
    flat = re.sub(r"\s+", " ", output)  # Rich wraps long lines
    assert f"process {holder.pid}" in flat, output
    assert command in flat, output


def test_two_renewals_of_one_client_at_once_submit_once_and_the_second_is_told_who_is_busy(
    portal: Portal, tmp_path: Path
) -> None:
    portal.post("reset", {})
    clients = tmp_path / "clients.csv"
    (iec,) = write_clients(clients, 1)
    portal.seed_file(clients)
    portal.post("faults", SLOW)
    env = rpa_env(portal, tmp_path / "data")
    journal = tmp_path / "data" / "journal.sqlite3"
    args = ("run", "renew", "--clients", str(clients), "--client", iec)

    first = start_rpa(*args, env=env, log=tmp_path / "first.log")
    try:
        wait_for_a_running_job(journal, iec, first)
        second = start_rpa(*args, env=env, log=tmp_path / "second.log")
        second_code, second_out = finish(second, tmp_path / "second.log")
        first_code, first_out = finish(first, tmp_path / "first.log")
    finally:
        kill_group(first)

    assert first_code == 0, first_out
    assert re.search(r"^changed\s+job", first_out, re.MULTILINE), first_out
    assert_busy_or_ok(second_code, second_out, first, "rpa run renew", r"^ok\s+job ")
    assert len(portal.applications(iec)) == 1


def test_a_replay_while_the_same_client_runs_does_not_trample_it(
    portal: Portal, tmp_path: Path
) -> None:
    portal.post("reset", {})
    clients = tmp_path / "clients.csv"
    (iec,) = write_clients(clients, 1)
    portal.seed_file(clients)
    env = rpa_env(portal, tmp_path / "data")
    journal = tmp_path / "data" / "journal.sqlite3"
    # a failed job of this client that support replays (its journal row is all replay reads)
    earlier = Journal(journal)
    old = earlier.add_job("update_iec", client=iec)
    earlier.job_finished(old, Outcome.FAILED, error="the portal was busy", error_kind="transient")
    earlier.close()
    portal.post("faults", SLOW)

    args = ("run", "renew", "--clients", str(clients), "--client", iec)
    first = start_rpa(*args, env=env, log=tmp_path / "first.log")
    try:
        wait_for_a_running_job(journal, iec, first)
        replay = start_rpa(
            "replay", old, "--clients", str(clients), env=env, log=tmp_path / "replay.log"
        )
        replay_code, replay_out = finish(replay, tmp_path / "replay.log")
        first_code, first_out = finish(first, tmp_path / "first.log")
    finally:
        kill_group(first)

    assert first_code == 0, first_out
    assert_busy_or_ok(replay_code, replay_out, first, "rpa run renew", r"^replay \S+ of \S+: ok$")
    assert len(portal.applications(iec)) == 1


def test_rpa_run_for_a_client_refuses_an_unguarded_submit_after_an_intent_without_a_result(
    tmp_path: Path,
) -> None:
    """As a batch does: the engine cannot check the portal first, so a person must."""
    playbook = tmp_path / "poke.yaml"
    playbook.write_text("name: poke\nsteps:\n  - name: Send\n    log: submit\n    submit: true\n")
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    crashed = journal.add_job("poke", client="AABCB4821K")
    journal.submit_intent(crashed, "Send")  # and then the machine died
    journal.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env["RPA_DATA_DIR"] = str(data)
    clients = ROOT / "examples" / "clients.yaml"
    run = run_rpa(
        "run", str(playbook), "--clients", str(clients), "--client", "AABCB4821K", env=env
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "UNCONFIRMED_SUBMISSION" in run.stdout, run.stdout
    (refused,) = query(
        data / "journal.sqlite3", "SELECT status, error_code FROM jobs WHERE id != ?", (crashed,)
    )
    assert (refused["status"], refused["error_code"]) == ("failed", "UNCONFIRMED_SUBMISSION")
