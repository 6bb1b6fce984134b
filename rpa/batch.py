"""Batches: many client jobs through one browser, N at a time, recorded in the journal.

``BatchRunner.run`` hands jobs to ``concurrency`` workers sharing one browser (a fresh
context per job, the client's lease, the check of an earlier unconfirmed submission: the
``JobRunner``'s business, the agent's one path for a client). It:

- recycles the browser after ``recycle_after`` jobs, once the running ones are done, so
  memory stays flat over long batches;
- runs a job again from its start (up to ``job_attempts`` in all) when it ended failed for
  a transient reason: a busy page mid-journey leaves the browser where a step's own retry
  cannot recover, while a fresh run can, and guards make the re-run safe (the runner
  refuses unguarded submits after an intent left without a result);
- pauses (takes no new job) when the portal looks down: ``pause_share`` of the last
  ``pause_window`` finished jobs failed with transient errors;
- on ``stop()`` (Ctrl-C) cancels running jobs, which are recorded ``interrupted``;
- stops the same way when the journal cannot be written (a full disk, damaged pages): no
  job goes on without its record (the engine submits nothing it could not record the
  intent of), and ``run`` raises one ``JournalError`` saying so once every job has stopped.

Job outcomes reach the journal as events: the runner's (the engine's ``RunFinished``, or
the agent's refusals), and the batch's own for a job cancelled outside the engine
(``interrupted``) or a runner that crashed (``failed``), so the journal listener, the live
display and the logs all see every ending.

Resuming is planning: ``resume_jobs`` lists a batch's unfinished jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from loguru import logger
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    wait_fixed,
)
from tenacity.stop import stop_base

from rpa.errors import FailureKind, JournalError
from rpa.events import BatchFinished, BatchPaused, BatchStarted, EventBus, JobQueued, RunFinished
from rpa.journal import JobRow, Journal
from rpa.outcomes import Outcome

UNFINISHED = frozenset({"pending", "running", "interrupted"})


@dataclass(frozen=True)
class BatchJob:
    job_id: str
    client: str  # the IEC
    row: int | None
    playbook: str
    check: bool
    record: Any = None  # the client record the runner renders into the playbook
    attempt: int = 1  # the run of this job in this batch (a transient failure runs it again)


@dataclass(frozen=True)
class JobEnd:
    outcome: Outcome
    error_kind: str | None = None


class JobRunner(Protocol):
    """Runs one job to its end in ``session`` and returns how it ended.

    It takes the client's lease and emits the engine's events (which the journal records),
    its ``RunFinished`` included, and must not raise for a job's own failure (a busy client
    is one); it may raise ``asyncio.CancelledError`` when the batch stops.
    """

    async def __call__(self, job: BatchJob, session: Any) -> JobEnd: ...


class Recyclable(Protocol):
    async def recycle(self) -> None: ...


@dataclass(frozen=True)
class BatchPolicy:
    concurrency: int = 4
    recycle_after: int = 40
    pause_window: int = 8
    pause_share: float = 0.75
    job_attempts: int = 3  # runs of a job that keeps failing transiently, the first included
    job_retry_delay_s: float = 5.0


@dataclass
class BatchSummary:
    batch_id: str
    status: str  # finished | paused | interrupted
    totals: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    @property
    def all_good(self) -> bool:
        good = {Outcome.OK, Outcome.CHANGED, Outcome.WOULD_CHANGE}
        return self.status == "finished" and all(Outcome(k) in good for k in self.totals)


class BatchRunner:
    def __init__(
        self,
        journal: Journal,
        bus: EventBus,
        runner: JobRunner,
        policy: BatchPolicy | None = None,
    ) -> None:
        self.journal = journal
        self.bus = bus
        self.runner = runner
        self.policy = policy or BatchPolicy()
        self._stopping: str | None = None  # why no new job is taken: paused | interrupted
        self._note: str | None = None
        self._journal_failure: JournalError | None = None  # the first, which stopped it
        self._recent: deque[bool] = deque(maxlen=self.policy.pause_window)
        self._tasks: set[asyncio.Task[JobEnd]] = set()
        self._running = 0
        self._since_launch = 0
        self._recycling = False
        self._gate = asyncio.Condition()

    def stop(self) -> None:
        """Stop now: take no new job and cancel the running ones (they end ``interrupted``).
        ``run`` notes how to resume, with its batch's id."""
        if self._stopping is None:
            self._stopping = "interrupted"
        for task in list(self._tasks):
            task.cancel()

    async def run(self, batch_id: str, jobs: Iterable[BatchJob], session: Any) -> BatchSummary:
        todo: asyncio.Queue[BatchJob] = asyncio.Queue()
        for job in jobs:
            todo.put_nowait(job)
        workers = max(1, min(self.policy.concurrency, todo.qsize()))
        playbook = self.journal.batch(batch_id).playbook
        self.journal.set_batch_status(batch_id, "running")
        self.bus.emit(
            BatchStarted(batch_id=batch_id, playbook=playbook, total=todo.qsize(), workers=workers)
        )
        await asyncio.gather(
            *(self._worker(n, batch_id, todo, session) for n in range(workers)),
            return_exceptions=False,
        )
        if self._journal_failure is not None:
            raise self._journal_stopped(batch_id, self._journal_failure)
        status = self._stopping or "finished"
        if status == "interrupted":
            self._note = f"stopped by the user; resume with: rpa batch --resume {batch_id}"
        totals = Counter(j.status for j in self.journal.jobs(batch_id=batch_id))
        self.journal.set_batch_status(batch_id, status, note=self._note)
        summary = BatchSummary(batch_id, status, dict(totals), self._note)
        self.bus.emit(BatchFinished(batch_id=batch_id, status=status, totals=summary.totals))
        return summary

    async def _worker(
        self, number: int, batch_id: str, todo: asyncio.Queue[BatchJob], session: Any
    ) -> None:
        while self._stopping is None:
            try:
                job = todo.get_nowait()
            except asyncio.QueueEmpty:
                return
            await self._enter(session)
            try:
                await self._one(number, batch_id, job, session)
            finally:
                await self._leave()

    async def _enter(self, session: Recyclable) -> None:
        """Wait for a recycle to finish, or do it when this job is the one past the limit."""
        async with self._gate:
            await self._gate.wait_for(lambda: not self._recycling)
            if self._since_launch >= self.policy.recycle_after:
                self._recycling = True
                await self._gate.wait_for(lambda: self._running == 0)
                logger.debug("recycling the browser after {} jobs", self._since_launch)
                try:
                    await session.recycle()
                finally:
                    self._since_launch = 0
                    self._recycling = False
                    self._gate.notify_all()
            self._running += 1
            self._since_launch += 1

    async def _leave(self) -> None:
        async with self._gate:
            self._running -= 1
            self._gate.notify_all()

    async def _one(self, worker: int, batch_id: str, job: BatchJob, session: Any) -> None:
        try:
            await self._one_recorded(worker, batch_id, job, session)
        except JournalError as exc:
            self._journal_failed(exc)

    def _journal_failed(self, exc: JournalError) -> None:
        """The journal cannot record a job: stop, as ``stop()`` does, and say it once."""
        if self._journal_failure is None:
            self._journal_failure = exc
            logger.opt(exception=exc).error("the journal failed, stopping the batch: {}", exc)
        self.stop()

    def _journal_stopped(self, batch_id: str, failure: JournalError) -> JournalError:
        note = (
            f"{failure}. The batch stopped: no job submits what the journal cannot record. "
            f"Once the journal can be written again, resume with: rpa batch --resume {batch_id}"
        )
        with contextlib.suppress(JournalError):  # it may work again (space freed)
            self.journal.set_batch_status(batch_id, "interrupted", note=note)
        return JournalError(note)

    async def _one_recorded(self, worker: int, batch_id: str, job: BatchJob, session: Any) -> None:
        self.bus.emit(
            JobQueued(job_id=job.job_id, batch_id=batch_id, client=job.client, worker=worker)
        )
        started = time.monotonic()
        task = asyncio.ensure_future(self._attempts(job, session))
        self._tasks.add(task)
        try:
            end = await task
        except asyncio.CancelledError:
            # the engine records a job it was running; one cancelled outside it (between
            # attempts, before it started) is recorded here
            if self.journal.job(job.job_id).status != Outcome.INTERRUPTED:
                self._finished(job, Outcome.INTERRUPTED, started, "interrupted before it finished")
            if self._stopping is None:  # cancelled from outside: stop everything
                self.stop()
            return
        except JournalError:
            raise
        except Exception as exc:  # a runner bug: record it, keep the batch going
            logger.exception("job {} crashed", job.job_id)
            self._finished(
                job, Outcome.FAILED, started, f"internal error: {exc!r}", FailureKind.INTERNAL
            )
            end = JobEnd(Outcome.FAILED, FailureKind.INTERNAL)
        finally:
            self._tasks.discard(task)
        self._observe(batch_id, end)

    def _finished(
        self,
        job: BatchJob,
        outcome: Outcome,
        started: float,
        error: str,
        kind: FailureKind | None = None,
    ) -> None:
        self.bus.emit(
            RunFinished(
                job_id=job.job_id,
                outcome=outcome,
                duration_s=time.monotonic() - started,
                error=error,
                error_kind=kind,
            )
        )

    async def _attempts(self, job: BatchJob, session: Any) -> JobEnd:
        """Run ``job``; again from its start while it fails transiently (see the module
        doc), up to ``job_attempts`` runs ``job_retry_delay_s`` apart, unless the batch
        stops meanwhile."""

        def log_again(state: RetryCallState) -> None:
            logger.info(
                "{}: transient failure, running it again ({})",
                job.client,
                state.attempt_number + 1,
            )

        retrying = AsyncRetrying(
            retry=retry_if_result(_transient),
            stop=stop_after_attempt(self.policy.job_attempts) | _WhenStopping(self),
            wait=wait_fixed(self.policy.job_retry_delay_s),
            before_sleep=log_again,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        end: JobEnd | None = None
        async for attempt in retrying:  # (no `with attempt`: a cancellation must go through)
            end = await self.runner(
                replace(job, attempt=attempt.retry_state.attempt_number), session
            )
            attempt.retry_state.set_result(end)
        assert end is not None
        return end

    def _observe(self, batch_id: str, end: JobEnd) -> None:
        self._recent.append(_transient(end))
        window = self.policy.pause_window
        if self._stopping is None and len(self._recent) == window:
            share = sum(self._recent) / window
            if share >= self.policy.pause_share:
                self._stopping = "paused"
                self._note = (
                    f"the portal looks down: {sum(self._recent)} of the last {window} jobs"
                    " failed with transient errors (timeouts, server busy). Paused; resume"
                    f" later with: rpa batch --resume {batch_id}"
                )
                logger.warning(self._note)
                self.bus.emit(BatchPaused(batch_id=batch_id, reason=self._note))


class _WhenStopping(stop_base):
    """Stop re-running jobs once the batch is stopping (paused, interrupted)."""

    def __init__(self, batch: BatchRunner) -> None:
        self.batch = batch

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.batch._stopping is not None


def _transient(end: JobEnd) -> bool:
    return end.outcome is Outcome.FAILED and end.error_kind == FailureKind.TRANSIENT


def resume_jobs(journal: Journal, batch_id: str) -> list[JobRow]:
    """The jobs of ``batch_id`` still to run: left running by a crash, interrupted, pending.

    Jobs a crash left ``running`` are first marked ``interrupted`` in the journal.
    """
    journal.mark_unfinished_interrupted(batch_id)
    return [job for job in journal.jobs(batch_id=batch_id) if job.status in UNFINISHED]
