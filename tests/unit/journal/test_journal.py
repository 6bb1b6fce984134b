from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rpa.errors import JournalError, LeaseHeldError
from rpa.events import (
    ArtifactSaved,
    ChallengeWaiting,
    EventBus,
    RunFinished,
    RunStarted,
    StepFinished,
    StepRetried,
    StepStarted,
    SubmitDone,
    SubmitIntent,
)
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.journal.schema import SCHEMA_VERSION
from rpa.masking import register_secret, registry
from rpa.outcomes import Outcome, StepStatus


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    registry.clear()
    yield
    registry.clear()


def run_events(journal: Journal, job_id: str, *, secret: str = "") -> None:
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    bus.emit(RunStarted(job_id=job_id, playbook="update_iec", client="AAACB1234F", check=False))
    bus.emit(StepStarted(job_id=job_id, step="login/Type password", kind="fill"))
    bus.emit(
        StepRetried(
            job_id=job_id,
            step="login/Type password",
            attempt=1,
            error=f"timeout typing {secret}",
            error_kind="transient",
            delay_s=0.5,
        )
    )
    bus.emit(
        StepFinished(
            job_id=job_id,
            step="login/Type password",
            kind="fill",
            status=StepStatus.OK,
            duration_s=0.25,
        )
    )
    bus.emit(ChallengeWaiting(job_id=job_id, challenge="otp", prompt=f"OTP for {secret}"))
    bus.emit(SubmitIntent(job_id=job_id, step="Sign and submit"))
    bus.emit(SubmitDone(job_id=job_id, step="Sign and submit"))
    bus.emit(ArtifactSaved(job_id=job_id, kind="screenshot", path="/tmp/x.png"))
    bus.emit(
        RunFinished(
            job_id=job_id,
            outcome=Outcome.CHANGED,
            duration_s=3.5,
            result={"ack": "IEC/UPD/2026/000001"},
        )
    )


def test_a_new_journal_is_created_at_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_a_journal_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    first = Journal(path)
    job_id = first.add_job("status", client="1198002743")
    first.close()
    again = Journal(path)
    assert again.job(job_id).client == "1198002743"
    again.close()


def test_a_journal_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(JournalError, match="newer"):
        Journal(path)


def test_events_of_a_run_become_a_job_row_a_timeline_and_a_submission(journal: Journal) -> None:
    batch_id = journal.create_batch("update_iec", source="clients.csv")
    job_id = journal.add_job("update_iec", client="AAACB1234F", batch_id=batch_id, row=2)
    run_events(journal, job_id)

    job = journal.job(job_id)
    assert (job.status, job.result["ack"], job.duration_s) == (
        "changed",
        "IEC/UPD/2026/000001",
        3.5,
    )
    assert job.finished and job.started_at and job.finished_at
    events = [row.event for row in journal.timeline(job_id)]
    assert events == [
        "run-started",
        "step-started",
        "step-retried",
        "step-finished",
        "challenge-waiting",
        "submit-intent",
        "submit-done",
        "run-finished",
    ]
    assert journal.artifacts(job_id) == [("screenshot", "/tmp/x.png")]
    [submission] = journal.submissions(job_id)
    assert submission["intent_at"] and submission["done_at"]
    assert journal.unconfirmed_submissions("AAACB1234F") == []
    assert journal.waiting_challenges() == []


def test_an_intent_without_a_result_is_reported_as_unconfirmed(journal: Journal) -> None:
    job_id = journal.add_job("update_iec", client="AAACB1234F")
    journal.submit_intent(job_id, "Sign and submit")
    assert journal.unconfirmed_submissions("AAACB1234F", "update_iec") == [job_id]
    assert journal.unconfirmed_submissions("AAACB1234F", "link_iec") == []


def test_no_registered_secret_reaches_the_database_file_and_results_stay_exact(
    journal: Journal, tmp_path: Path
) -> None:
    secret = "Tok3nPin-98765"
    register_secret(secret)
    register_secret("2026")  # a short PIN, inside the ack: the ack is recorded as it is
    job_id = journal.add_job("update_iec", client="AAACB1234F")
    run_events(journal, job_id, secret=secret)
    journal.close()
    for file in tmp_path.glob("journal.sqlite3*"):
        assert secret.encode() not in file.read_bytes(), file.name
    reopened = Journal(tmp_path / "journal.sqlite3")
    assert reopened.job(job_id).result == {"ack": "IEC/UPD/2026/000001"}
    reopened.close()


def test_jobs_left_running_by_a_crash_are_marked_interrupted(journal: Journal) -> None:
    batch_id = journal.create_batch("renew")
    running = journal.add_job("renew", client="A", batch_id=batch_id)
    done = journal.add_job("renew", client="B", batch_id=batch_id)
    journal.job_started(running)
    journal.job_finished(done, Outcome.OK)
    assert journal.mark_unfinished_interrupted(batch_id) == 1
    assert journal.job(running).status == "interrupted"
    assert journal.job(done).status == "ok"


def test_a_lease_held_by_another_process_is_refused(journal: Journal) -> None:
    journal.acquire_lease("AAACB1234F", "renew", holder="host:1")
    with pytest.raises(LeaseHeldError, match="host:1"):
        journal.acquire_lease("AAACB1234F", "renew", holder="host:2")
    journal.acquire_lease("AAACB1234F", "status", holder="host:2")  # another playbook is free
    journal.acquire_lease("AAACB1234F", "renew", holder="host:1")  # renewing one's own is fine


def test_an_expired_lease_can_be_taken_over(journal: Journal) -> None:
    journal.acquire_lease("AAACB1234F", "renew", holder="host:1", ttl_s=-1)
    journal.acquire_lease("AAACB1234F", "renew", holder="host:2")


def test_a_released_lease_is_free_again(journal: Journal) -> None:
    journal.acquire_lease("AAACB1234F", "renew", holder="host:1")
    journal.release_lease("AAACB1234F", "renew", holder="host:1")
    journal.acquire_lease("AAACB1234F", "renew", holder="host:2")


def test_two_processes_cannot_hold_the_same_lease(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(path).acquire_lease("AAACB1234F", "renew")  # held by this process
    code = (
        "import sys; from rpa.journal import Journal; from rpa.errors import LeaseHeldError\n"
        f"j = Journal({str(path)!r})\n"
        "try:\n    j.acquire_lease('AAACB1234F', 'renew')\n"
        "except LeaseHeldError:\n    sys.exit(3)\n"
    )
    other = subprocess.run([sys.executable, "-c", code], check=False, timeout=60)
    assert other.returncode == 3


def test_an_unknown_job_is_a_journal_error(journal: Journal) -> None:
    with pytest.raises(JournalError, match="no job"):
        journal.job("j-nope")


def test_an_unconfirmed_intent_is_settled_by_a_later_successful_run(journal: Journal) -> None:
    crashed = journal.add_job("update_iec", client="AAACB1234F")
    journal.submit_intent(crashed, "Sign and submit")
    later = journal.add_job("update_iec", client="AAACB1234F")
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    bus.emit(RunFinished(job_id=later, outcome=Outcome.FAILED, duration_s=1.0, error="busy"))
    assert journal.unconfirmed_submissions("AAACB1234F") == [crashed]
    bus.emit(RunFinished(job_id=later, outcome=Outcome.OK, duration_s=1.0))
    assert journal.unconfirmed_submissions("AAACB1234F") == []


def test_a_lease_held_by_a_dead_process_of_this_host_is_taken_over(journal: Journal) -> None:
    import socket

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    holder = f"{socket.gethostname()}:{dead.stdout.strip()}"
    journal.acquire_lease("AAACB1234F", "renew", holder=holder)
    journal.acquire_lease("AAACB1234F", "renew")  # the holder has exited: no LeaseHeldError


def test_a_lease_held_by_another_host_waits_for_its_expiry(journal: Journal) -> None:
    journal.acquire_lease("AAACB1234F", "renew", holder="elsewhere:1")
    with pytest.raises(LeaseHeldError):
        journal.acquire_lease("AAACB1234F", "renew")


def test_a_refused_lease_names_the_holders_command_process_host_job_and_start(
    journal: Journal,
) -> None:
    journal.acquire_lease(
        "AAACB1234F",
        "*",
        holder="ci-1:4242:j1",
        job_id="j1",
        command="rpa run renew",
        running="renew",
    )
    with pytest.raises(LeaseHeldError) as refused:
        journal.acquire_lease("AAACB1234F", "*", holder="ci-1:777:j2", job_id="j2")
    busy = refused.value
    assert busy.code == "CLIENT_BUSY"
    assert (busy.command, busy.pid, busy.host, busy.job_id) == ("rpa run renew", 4242, "ci-1", "j1")
    assert busy.since is not None and busy.since.startswith("20")
    message = str(busy)
    assert message.startswith("AAACB1234F is busy: `rpa run renew` is running renew for it")
    for fact in ("process 4242 on ci-1", "job j1", "since 20", "UTC"):
        assert fact in message


def test_the_lease_row_keeps_its_holder_and_first_start_when_renewed(journal: Journal) -> None:
    journal.acquire_lease("AAACB1234F", "*", holder="ci-1:4242:j1", command="rpa batch c.csv")
    first = journal.lease("AAACB1234F", "*")
    assert first is not None
    assert (first.command, first.pid, first.host) == ("rpa batch c.csv", 4242, "ci-1")
    journal.acquire_lease("AAACB1234F", "*", holder="ci-1:4242:j1", command="rpa batch c.csv")
    assert journal.renew_lease("AAACB1234F", "*", holder="ci-1:4242:j1", ttl_s=3600)
    again = journal.lease("AAACB1234F", "*")
    assert again is not None
    assert again.since == first.since
    assert again.expires_at > first.expires_at


def test_a_lease_taken_over_after_it_expired_is_no_longer_renewed_by_its_old_holder(
    journal: Journal,
) -> None:
    journal.acquire_lease("AAACB1234F", "*", holder="elsewhere:1:j1", ttl_s=-1)
    journal.acquire_lease("AAACB1234F", "*", holder="elsewhere:2:j2")
    assert not journal.renew_lease("AAACB1234F", "*", holder="elsewhere:1:j1")
    held = journal.lease("AAACB1234F", "*")
    assert held is not None and held.holder == "elsewhere:2:j2"


def test_two_runs_of_one_process_hold_leases_apart(journal: Journal) -> None:
    from rpa.journal.store import default_holder

    journal.acquire_lease(
        "AAACB1234F", "*", holder=default_holder("j1"), job_id="j1", command="rpa batch"
    )
    with pytest.raises(LeaseHeldError, match=f"process {os.getpid()} .*job j1"):
        journal.acquire_lease("AAACB1234F", "*", holder=default_holder("j2"))


def test_a_journal_made_before_lease_holders_were_recorded_is_migrated(tmp_path: Path) -> None:
    from rpa.journal.schema import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        conn.execute(
            "INSERT INTO leases (client, playbook, holder, job_id, expires_at)"
            " VALUES ('AAACB1234F', 'renew', 'elsewhere:9', 'j0', 9e12)"
        )
    journal = Journal(path)
    try:
        with pytest.raises(LeaseHeldError, match="holder elsewhere:9") as refused:
            journal.acquire_lease("AAACB1234F", "renew")
        assert refused.value.command is None
    finally:
        journal.close()
