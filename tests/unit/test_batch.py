from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from rpa.batch import BatchJob, BatchPolicy, BatchRunner, JobEnd, resume_jobs
from rpa.errors import FailureKind
from rpa.events import BatchPaused, Event, EventBus, RunFinished
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.outcomes import Outcome

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


class FakeSession:
    def __init__(self) -> None:
        self.recycles = 0
        self.running = 0

    async def recycle(self) -> None:
        assert self.running == 0, "recycled while a job was running"
        self.recycles += 1


class FakeRunner:
    """Ends each job as ``outcomes`` says (default changed), tracking concurrency."""

    def __init__(
        self, bus: EventBus, outcomes: dict[str, JobEnd] | None = None, delay: float = 0.01
    ) -> None:
        self.bus = bus
        self.outcomes = outcomes or {}
        self.delay = delay
        self.peak = 0
        self.ran: list[str] = []

    async def __call__(self, job: BatchJob, session: FakeSession) -> JobEnd:
        session.running += 1
        self.peak = max(self.peak, session.running)
        try:
            await asyncio.sleep(self.delay)
            end = self.outcomes.get(job.client, JobEnd(Outcome.CHANGED))
            self.ran.append(job.client)
            self.bus.emit(
                RunFinished(
                    job_id=job.job_id,
                    outcome=end.outcome,
                    duration_s=0.01,
                    error_kind=end.error_kind,
                )
            )
            return end
        finally:
            session.running -= 1


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def make_batch(
    journal: Journal, clients: list[str], playbook: str = "renew"
) -> tuple[str, list[BatchJob]]:
    batch_id = journal.create_batch(playbook)
    jobs = []
    for row, client in enumerate(clients, start=2):
        job_id = journal.add_job(playbook, client=client, batch_id=batch_id, row=row)
        jobs.append(BatchJob(job_id, client, row, playbook, check=False))
    return batch_id, jobs


def bus_for(journal: Journal, seen: list[Event] | None = None) -> EventBus:
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    if seen is not None:
        bus.add(seen.append)
    return bus


def test_every_job_runs_once_and_no_more_than_the_concurrency_at_once(
    journal: Journal, run_async: RunAsync
) -> None:
    clients = [f"C{i:09d}" for i in range(12)]
    batch_id, jobs = make_batch(journal, clients)
    bus = bus_for(journal)
    runner = FakeRunner(bus)
    summary = run_async(
        BatchRunner(journal, bus, runner, BatchPolicy(concurrency=3)).run(
            batch_id, jobs, FakeSession()
        )
    )
    assert sorted(runner.ran) == clients
    assert runner.peak == 3
    assert summary.status == "finished" and summary.totals == {"changed": 12}
    assert summary.all_good


def test_the_browser_is_recycled_between_jobs_never_under_a_running_one(
    journal: Journal, run_async: RunAsync
) -> None:
    batch_id, jobs = make_batch(journal, [f"C{i:09d}" for i in range(10)])
    bus = bus_for(journal)
    session = FakeSession()
    run_async(
        BatchRunner(journal, bus, FakeRunner(bus), BatchPolicy(concurrency=3, recycle_after=4)).run(
            batch_id, jobs, session
        )
    )
    assert session.recycles == 2  # after jobs 4 and 8


def test_a_batch_pauses_when_most_recent_jobs_fail_transiently(
    journal: Journal, run_async: RunAsync
) -> None:
    clients = [f"C{i:09d}" for i in range(20)]
    batch_id, jobs = make_batch(journal, clients)
    seen: list[Event] = []
    bus = bus_for(journal, seen)
    down = JobEnd(Outcome.FAILED, FailureKind.TRANSIENT)
    runner = FakeRunner(bus, {c: down for c in clients})
    summary = run_async(
        BatchRunner(
            journal,
            bus,
            runner,
            BatchPolicy(concurrency=1, pause_window=4, pause_share=0.75, job_attempts=1),
        ).run(batch_id, jobs, FakeSession())
    )
    assert summary.status == "paused"
    assert len(runner.ran) == 4
    assert "looks down" in (summary.note or "")
    assert any(isinstance(e, BatchPaused) for e in seen)
    assert journal.batch(batch_id).status == "paused"
    assert len(resume_jobs(journal, batch_id)) == 16


def test_business_failures_do_not_pause_a_batch(journal: Journal, run_async: RunAsync) -> None:
    clients = [f"C{i:09d}" for i in range(6)]
    batch_id, jobs = make_batch(journal, clients)
    bus = bus_for(journal)
    refused = JobEnd(Outcome.FAILED, FailureKind.BUSINESS)
    summary = run_async(
        BatchRunner(
            journal,
            bus,
            FakeRunner(bus, {c: refused for c in clients}),
            BatchPolicy(concurrency=2, pause_window=3, job_attempts=1),
        ).run(batch_id, jobs, FakeSession())
    )
    assert summary.status == "finished" and summary.totals == {"failed": 6}
    assert not summary.all_good


def test_stopping_a_batch_marks_running_jobs_interrupted_and_starts_no_more(
    journal: Journal, run_async: RunAsync
) -> None:
    batch_id, jobs = make_batch(journal, [f"C{i:09d}" for i in range(6)])
    seen: list[Event] = []
    bus = bus_for(journal, seen)
    batch = BatchRunner(journal, bus, FakeRunner(bus, delay=5), BatchPolicy(concurrency=2))

    async def run_then_stop() -> Any:
        session = FakeSession()
        task = asyncio.ensure_future(batch.run(batch_id, jobs, session))
        for _ in range(1000):  # until both workers run a job (a hang guard, not a timing)
            if session.running == 2:
                break
            await asyncio.sleep(0.01)
        assert session.running == 2, "the two workers never started their jobs"
        batch.stop()
        return await task

    summary = run_async(run_then_stop())
    assert summary.status == "interrupted"
    statuses = sorted(j.status for j in journal.jobs(batch_id=batch_id))
    assert statuses == ["interrupted", "interrupted", "pending", "pending", "pending", "pending"]
    assert [j.client for j in resume_jobs(journal, batch_id)] == [j.client for j in jobs]
    # recorded through events, as every ending is: the live display and the log see them
    ended = [e for e in seen if isinstance(e, RunFinished)]
    assert sorted(e.job_id for e in ended) == sorted(j.job_id for j in jobs[:2])
    assert {e.outcome for e in ended} == {Outcome.INTERRUPTED}


def test_a_job_the_engine_recorded_interrupted_is_not_recorded_again_by_the_batch(
    journal: Journal, run_async: RunAsync
) -> None:
    batch_id, jobs = make_batch(journal, ["AAACB1234F"])
    seen: list[Event] = []
    bus = bus_for(journal, seen)

    class LikeTheEngine(FakeRunner):
        async def __call__(self, job: BatchJob, session: FakeSession) -> JobEnd:
            try:
                return await super().__call__(job, session)
            except asyncio.CancelledError:
                self.bus.emit(
                    RunFinished(job_id=job.job_id, outcome=Outcome.INTERRUPTED, duration_s=0.1)
                )
                raise

    batch = BatchRunner(journal, bus, LikeTheEngine(bus, delay=5))

    async def run_then_stop() -> Any:
        session = FakeSession()
        task = asyncio.ensure_future(batch.run(batch_id, jobs, session))
        for _ in range(1000):  # until its job runs (a hang guard, not a timing)
            if session.running == 1:
                break
            await asyncio.sleep(0.01)
        assert session.running == 1, "the job never started"
        batch.stop()
        return await task

    run_async(run_then_stop())
    assert journal.job(jobs[0].job_id).status == "interrupted"
    assert len([e for e in seen if isinstance(e, RunFinished)]) == 1


def test_a_runner_that_crashes_fails_its_job_and_the_batch_goes_on(
    journal: Journal, run_async: RunAsync
) -> None:
    batch_id, jobs = make_batch(journal, ["AAACB1234F", "1198002743"])
    seen: list[Event] = []
    bus = bus_for(journal, seen)

    class Crashy(FakeRunner):
        async def __call__(self, job: BatchJob, session: FakeSession) -> JobEnd:
            if job.client == "AAACB1234F":
                raise RuntimeError("bug")
            return await super().__call__(job, session)

    summary = run_async(BatchRunner(journal, bus, Crashy(bus)).run(batch_id, jobs, FakeSession()))
    assert summary.totals == {"failed": 1, "changed": 1}
    crashed = journal.jobs(client="AAACB1234F")[0]
    assert "internal error" in (crashed.error or "")
    (ended,) = [e for e in seen if isinstance(e, RunFinished) and e.job_id == crashed.id]
    assert (ended.outcome, ended.error_kind) == (Outcome.FAILED, FailureKind.INTERNAL)


def test_resume_lists_jobs_a_crash_left_running_and_their_unconfirmed_submit_stays_known(
    journal: Journal,
) -> None:
    batch_id, jobs = make_batch(journal, ["AAACB1234F", "1198002743", "AAAFZ9876K"])
    journal.job_finished(jobs[0].job_id, Outcome.CHANGED)
    journal.job_started(jobs[1].job_id)
    journal.submit_intent(jobs[1].job_id, "Sign and submit")  # then the machine died
    todo = resume_jobs(journal, batch_id)
    assert [j.client for j in todo] == ["1198002743", "AAAFZ9876K"]
    assert journal.job(jobs[1].job_id).status == "interrupted"
    assert journal.unconfirmed_submissions("1198002743", "renew") == [jobs[1].job_id]
    assert journal.unconfirmed_submissions("AAAFZ9876K", "renew") == []


def test_a_job_that_fails_transiently_runs_again_and_a_business_failure_does_not(
    journal: Journal, run_async: RunAsync
) -> None:
    batch_id, jobs = make_batch(journal, ["AAACB1234F", "1198002743"])
    bus = bus_for(journal)

    class FlakyOnce(FakeRunner):
        async def __call__(self, job: BatchJob, session: FakeSession) -> JobEnd:
            first = job.client not in self.ran
            end = await super().__call__(job, session)
            if job.client == "AAACB1234F" and first:
                return JobEnd(Outcome.FAILED, FailureKind.TRANSIENT)
            return end

    runner = FlakyOnce(bus, {"1198002743": JobEnd(Outcome.FAILED, FailureKind.BUSINESS)})
    policy = BatchPolicy(concurrency=1, job_attempts=3, job_retry_delay_s=0)
    summary = run_async(
        BatchRunner(journal, bus, runner, policy).run(batch_id, jobs, FakeSession())
    )
    assert runner.ran.count("AAACB1234F") == 2
    assert runner.ran.count("1198002743") == 1
    assert journal.jobs(client="AAACB1234F")[0].status == "changed"
    assert summary.totals == {"changed": 1, "failed": 1}
