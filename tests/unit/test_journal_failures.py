"""A journal that cannot be written (issue 16 §6), piece by piece: the store's one error,
the batch stopping with it once, the console not repeating it, the log file that is made
only when written and never in the way. The whole command: tests/engine/
test_engine_journal_faults.py."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from rpa.batch import BatchJob, BatchPolicy, BatchRunner, JobEnd
from rpa.errors import JournalError
from rpa.events import EventBus, RunFinished, RunStarted
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.logfile import LogFile
from rpa.logs import LOG_FILE_NAME, configure_logging
from rpa.outcomes import Outcome
from tests.faults import FailingConnection

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def fail_writes(journal: Journal, after: int, fault: str = "full") -> None:
    journal._conn = FailingConnection(journal._conn, after, fault)  # type: ignore[assignment]


@pytest.fixture
def quiet_logs() -> Iterator[None]:
    yield
    logger.remove()


# --- the store -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "says"),
    [("full", "database or disk is full"), ("corrupt", "database disk image is malformed")],
)
def test_a_failed_write_is_one_journal_error_never_sqlites_own(
    journal: Journal, fault: str, says: str
) -> None:
    fail_writes(journal, 0, fault)
    with pytest.raises(JournalError, match=f"^journal write failed: {says}$") as caught:
        journal.create_batch("renew")
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_a_disk_that_refuses_even_the_rollback_still_gives_a_journal_error(
    journal: Journal,
) -> None:
    class Refusing(FailingConnection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if sql == "ROLLBACK":
                raise sqlite3.OperationalError("disk I/O error")
            return super().execute(sql, *args)

    journal._conn = Refusing(journal._conn, 0, "full")  # type: ignore[assignment]
    with pytest.raises(JournalError, match="database or disk is full"):
        journal.create_batch("renew")


def test_a_journal_that_cannot_be_written_can_still_be_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    writer = Journal(path)
    batch_id = writer.create_batch("renew")
    writer.close()
    reader = Journal(path, read_only=True)
    assert reader.batch(batch_id).playbook == "renew"
    with pytest.raises(JournalError, match="journal write failed"):
        reader.create_batch("renew")
    reader.close()


# --- the batch -------------------------------------------------------------------------------


class RecordingRunner:
    """Runs each job through the journal as the engine does: started, then finished; a
    job whose write fails raises the journal's error, as the engine's ``run_job`` does."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.started: list[str] = []
        self.cancelled: list[str] = []

    async def __call__(self, job: BatchJob, session: object) -> JobEnd:
        self.started.append(job.client)
        try:
            self.bus.emit(
                RunStarted(job_id=job.job_id, playbook="renew", client=job.client, check=False)
            )
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            self.cancelled.append(job.client)
            raise
        self.bus.emit(RunFinished(job_id=job.job_id, outcome=Outcome.CHANGED, duration_s=0.05))
        return JobEnd(Outcome.CHANGED)


def test_a_batch_whose_journal_fails_stops_every_job_and_raises_one_error(
    journal: Journal, run_async: RunAsync, quiet_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    batch_id = journal.create_batch("renew")
    jobs = [
        BatchJob(journal.add_job("renew", client=c, batch_id=batch_id), c, n, "renew", False)
        for n, c in enumerate([f"C{i:09d}" for i in range(12)], start=2)
    ]
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    runner = RecordingRunner(bus)
    configure_logging(level="INFO")
    fail_writes(journal, 5)  # a few jobs start, then the disk is full

    with pytest.raises(JournalError) as caught:
        run_async(
            BatchRunner(journal, bus, runner, BatchPolicy(concurrency=3)).run(
                batch_id, jobs, object()
            )
        )

    message = str(caught.value)
    assert message.startswith("journal write failed: database or disk is full. The batch")
    assert f"rpa batch --resume {batch_id}" in message
    assert len(runner.started) < len(jobs), "the batch went on taking jobs"
    assert runner.cancelled, "jobs that could not be recorded went on"
    console = capsys.readouterr().err
    assert "Traceback" not in console and "database or disk is full" not in console


# --- the logs --------------------------------------------------------------------------------


def test_the_console_leaves_a_journal_failure_to_the_log_file(
    tmp_path: Path, journal: Journal, quiet_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configure_logging(level="INFO", logs_dir=tmp_path / "logs")
    assert path is not None
    fail_writes(journal, 0)
    try:
        journal.create_batch("renew")
    except JournalError as exc:
        logger.exception("job j1 failed inside the engine")
        logger.warning("could not release the lease on C000000001: {}", exc)
    logger.info("an ordinary line")
    console = capsys.readouterr().err
    assert "Traceback" not in console and "disk is full" not in console
    assert "an ordinary line" in console
    records = [json.loads(line)["record"] for line in path.read_text().splitlines()]
    assert [r["message"] for r in records][:2] == [
        "job j1 failed inside the engine",
        "could not release the lease on C000000001: journal write failed: database or disk is full",
    ]
    assert records[0]["exception"]["type"] == "JournalError"


def test_the_log_file_is_made_only_when_a_line_is_written(tmp_path: Path, quiet_logs: None) -> None:
    path = configure_logging(level="INFO", logs_dir=tmp_path / "data" / "logs")
    assert path == tmp_path / "data" / "logs" / LOG_FILE_NAME
    assert not (tmp_path / "data").exists()
    logger.debug("the first line")
    [line] = path.read_text().splitlines()
    assert json.loads(line)["record"]["message"] == "the first line"


def test_a_log_folder_that_cannot_be_made_is_no_error(
    tmp_path: Path, quiet_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    configure_logging(level="INFO", logs_dir=blocker / "logs")
    logger.info("still said on the console")
    logger.info("and again")
    console = capsys.readouterr().err
    assert console.count("still said on the console") == 1
    assert "Logging error" not in console and "Traceback" not in console


def test_the_log_file_rotates_and_keeps_so_many(tmp_path: Path) -> None:
    sink = LogFile(tmp_path / "rpa.jsonl", max_bytes=100, keep=2)
    for n in range(8):
        sink.write(f"{n}" * 60 + "\n")
    sink.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rpa.jsonl", "rpa.jsonl.1", "rpa.jsonl.2"]
    assert (tmp_path / "rpa.jsonl").read_text() == "7" * 60 + "\n"
    assert (tmp_path / "rpa.jsonl.2").read_text() == "5" * 60 + "\n"
