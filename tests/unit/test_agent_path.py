"""``Agent.run_client``, the one path that runs a client: its lease, the refusals
(``CLIENT_BUSY``, ``UNCONFIRMED_SUBMISSION``), the lease kept while a job runs; with a fake
engine, no browser."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from rpa.agent import CLIENT_BUSY, UNCONFIRMED_SUBMISSION, Agent
from rpa.batch import BatchJob, BatchRunner
from rpa.challenges.base import Providers
from rpa.clients.file import load_clients
from rpa.clients.records import ClientRecord
from rpa.config import load_settings
from rpa.engine import JobResult
from rpa.errors import LeaseHeldError
from rpa.events import Event, EventBus, RunFinished, RunStarted
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.outcomes import Outcome
from rpa.playbook.loader import Loader
from rpa.playbook.model import Playbook

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
ROOT = Path(__file__).resolve().parents[2]
IEC = "AABCB4821K"
OTHER = "0395012847"

UNGUARDED = """
name: poke
steps:
  - name: Send
    log: submit
    submit: true
"""
GUARDED = """
name: poke_safely
steps:
  - name: Send
    log: submit
    submit: true
    guard: "false"
"""


@dataclass
class FakeEngine:
    """Emits what the engine emits; each job lasts ``duration_s``; ``during`` runs mid-job."""

    bus: EventBus
    duration_s: float = 0.01
    during: Callable[[str], None] | None = None
    ran: list[tuple[str, bool]] = field(default_factory=list)  # (job id, prior_intent)

    async def run_job(
        self, job_id: str, playbook: Playbook, inputs: Any, client: Any = None, **kw: Any
    ) -> JobResult:
        self.ran.append((job_id, kw["prior_intent"]))
        self.bus.emit(RunStarted(job_id=job_id, playbook=playbook.name, client=IEC, check=False))
        await asyncio.sleep(self.duration_s / 2)
        if self.during is not None:
            self.during(job_id)
        await asyncio.sleep(self.duration_s / 2)
        self.bus.emit(RunFinished(job_id=job_id, outcome=Outcome.CHANGED, duration_s=0.01))
        return JobResult(job_id=job_id, outcome=Outcome.CHANGED)


@dataclass
class FakeEngineAgent(Agent):
    fake: FakeEngine | None = None

    @property
    def engine(self) -> Any:
        return self.fake


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


@pytest.fixture
def seen() -> list[Event]:
    return []


@pytest.fixture
def agent(tmp_path: Path, journal: Journal, seen: list[Event]) -> FakeEngineAgent:
    settings = load_settings({"data_dir": tmp_path / "data"}, env_file=None)
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    bus.add(seen.append)
    made = FakeEngineAgent(settings, bus, journal, Providers(), Loader([tmp_path]))
    made.command = "rpa run poke"
    made.fake = FakeEngine(bus)
    return made


@pytest.fixture(scope="module")
def records() -> dict[str, ClientRecord]:
    loaded = load_clients(ROOT / "examples" / "clients.yaml")
    return {record.iec: record for _, record in loaded.records}


def playbook(tmp_path: Path, text: str) -> Playbook:
    name = text.split("name: ")[1].split()[0]
    path = tmp_path / f"{name}.yaml"
    path.write_text(dedent(text))
    return Loader([tmp_path]).load(path)


def finished(seen: list[Event], job_id: str) -> list[RunFinished]:
    return [e for e in seen if isinstance(e, RunFinished) and e.job_id == job_id]


def test_a_client_another_run_holds_is_refused_client_busy_naming_that_run(
    agent: FakeEngineAgent,
    journal: Journal,
    records: dict[str, ClientRecord],
    tmp_path: Path,
    seen: list[Event],
    run_async: RunAsync,
) -> None:
    journal.acquire_lease(
        IEC, "*", holder="ci-1:4242:j0", job_id="j0", command="rpa run renew", running="renew"
    )
    job_id = journal.add_job("poke", client=IEC)
    result = run_async(agent.run_client(job_id, playbook(tmp_path, UNGUARDED), records[IEC], None))
    assert result.outcome is Outcome.FAILED
    assert result.failure is not None and result.failure.code == CLIENT_BUSY
    for fact in ("`rpa run renew`", "process 4242 on ci-1", "job j0", "since"):
        assert fact in result.failure.message
    row = journal.job(job_id)
    assert (row.status, row.error_code, row.error) == (
        "failed",
        CLIENT_BUSY,
        result.failure.message,
    )
    assert [e.error_code for e in finished(seen, job_id)] == [CLIENT_BUSY]
    assert agent.fake is not None and agent.fake.ran == []


def test_the_lease_covers_every_playbook_of_the_client_while_a_job_runs_and_is_released_after(
    agent: FakeEngineAgent,
    journal: Journal,
    records: dict[str, ClientRecord],
    tmp_path: Path,
    run_async: RunAsync,
) -> None:
    poke, other_playbook = playbook(tmp_path, UNGUARDED), playbook(tmp_path, GUARDED)
    first = journal.add_job("poke", client=IEC)
    second = journal.add_job("poke_safely", client=IEC)
    elsewhere = journal.add_job("poke", client=OTHER)
    held: list[Any] = []

    async def both() -> tuple[JobResult, JobResult, JobResult]:
        assert agent.fake is not None
        agent.fake.duration_s = 0.4
        agent.fake.during = lambda job: held.append(journal.lease(IEC, "*"))
        running = asyncio.ensure_future(agent.run_client(first, poke, records[IEC], None))
        await asyncio.sleep(0.1)
        refused = await agent.run_client(second, other_playbook, records[IEC], None)
        other_client = await agent.run_client(elsewhere, poke, records[OTHER], None)
        return await running, refused, other_client

    done, refused, other_client = run_async(both())
    assert done.outcome is Outcome.CHANGED and other_client.outcome is Outcome.CHANGED
    assert refused.failure is not None and refused.failure.code == CLIENT_BUSY
    assert f"process {os.getpid()}" in refused.failure.message
    assert "`rpa run poke` is running poke" in refused.failure.message
    lease = held[0]
    assert (lease.job_id, lease.command, lease.pid, lease.running) == (
        first,
        "rpa run poke",
        os.getpid(),
        "poke",
    )
    assert journal.lease(IEC, "*") is None and journal.lease(OTHER, "*") is None


def test_a_job_longer_than_the_lease_ttl_keeps_its_lease_renewed(
    agent: FakeEngineAgent,
    journal: Journal,
    records: dict[str, ClientRecord],
    tmp_path: Path,
    run_async: RunAsync,
) -> None:
    agent.lease_ttl_s = 0.3
    assert agent.fake is not None
    agent.fake.duration_s = 1.2  # four TTLs
    refusals: list[str] = []

    def another_run_tries(job: str) -> None:
        try:
            journal.acquire_lease(IEC, "*", holder="elsewhere:1:j9")
        except LeaseHeldError as busy:
            refusals.append(busy.code)

    agent.fake.during = another_run_tries
    job_id = journal.add_job("poke", client=IEC)
    result = run_async(agent.run_client(job_id, playbook(tmp_path, UNGUARDED), records[IEC], None))
    assert result.outcome is Outcome.CHANGED
    assert refusals == [CLIENT_BUSY]


def test_an_unguarded_submit_after_an_intent_without_a_result_is_refused_before_the_engine(
    agent: FakeEngineAgent,
    journal: Journal,
    records: dict[str, ClientRecord],
    tmp_path: Path,
    run_async: RunAsync,
) -> None:
    crashed = journal.add_job("poke", client=IEC)
    journal.submit_intent(crashed, "Send")  # then the machine died
    job_id = journal.add_job("poke", client=IEC)
    result = run_async(agent.run_client(job_id, playbook(tmp_path, UNGUARDED), records[IEC], None))
    assert result.failure is not None and result.failure.code == UNCONFIRMED_SUBMISSION
    assert "Send" in result.failure.message
    assert journal.job(job_id).error_code == UNCONFIRMED_SUBMISSION
    assert agent.fake is not None and agent.fake.ran == []
    assert journal.lease(IEC, "*") is None


def test_a_guarded_submit_after_an_intent_without_a_result_runs_through_its_guard(
    agent: FakeEngineAgent,
    journal: Journal,
    records: dict[str, ClientRecord],
    tmp_path: Path,
    run_async: RunAsync,
) -> None:
    crashed = journal.add_job("poke_safely", client=IEC)
    journal.submit_intent(crashed, "Send")
    result = run_async(
        agent.run_client(crashed, playbook(tmp_path, GUARDED), records[IEC], None, rerun=True)
    )
    assert result.outcome is Outcome.CHANGED
    assert agent.fake is not None and agent.fake.ran == [(crashed, True)]


def test_a_cancelled_job_releases_its_lease(
    agent: FakeEngineAgent,
    journal: Journal,
    records: dict[str, ClientRecord],
    tmp_path: Path,
    run_async: RunAsync,
) -> None:
    assert agent.fake is not None
    agent.fake.duration_s = 5
    job_id = journal.add_job("poke", client=IEC)

    async def cancel() -> None:
        task = asyncio.ensure_future(
            agent.run_client(job_id, playbook(tmp_path, UNGUARDED), records[IEC], None)
        )
        await asyncio.sleep(0.1)
        assert journal.lease(IEC, "*") is not None
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_async(cancel())
    assert journal.lease(IEC, "*") is None


def test_in_a_batch_a_client_busy_elsewhere_is_recorded_failed_client_busy_through_an_event(
    agent: FakeEngineAgent,
    journal: Journal,
    records: dict[str, ClientRecord],
    tmp_path: Path,
    seen: list[Event],
    run_async: RunAsync,
) -> None:
    agent.command = "rpa batch clients.csv --playbook poke"
    journal.acquire_lease(IEC, "*", holder="ci-1:4242:j0", job_id="j0", command="rpa replay j7")
    batch_id = journal.create_batch("poke")
    jobs = [
        BatchJob(journal.add_job("poke", client=iec, batch_id=batch_id), iec, 2, "poke", False, r)
        for iec, r in ((IEC, records[IEC]), (OTHER, records[OTHER]))
    ]
    runner = BatchRunner(journal, agent.bus, agent.batch_runner(playbook(tmp_path, UNGUARDED)))
    summary = run_async(runner.run(batch_id, jobs, None))
    assert summary.totals == {"failed": 1, "changed": 1}
    busy = journal.job(jobs[0].job_id)
    assert (busy.status, busy.error_code) == ("failed", CLIENT_BUSY)
    assert busy.error is not None and "`rpa replay j7`" in busy.error
    assert "process 4242 on ci-1" in busy.error
    assert [e.error_code for e in finished(seen, jobs[0].job_id)] == [CLIENT_BUSY]
