"""The activity: one client job on this PC, through the one path that runs a client.

``JobActivity.run_client_job`` records the job in the worker's own journal, runs it with
``Agent.run_client`` (the client's lease, the guard after an earlier intent, the journal's
intent and result before and after each submission) in the worker's browser, heartbeats
while it runs (the step it is on, which the office shows), and returns a ``JobOutput``:

- ``ok`` / ``changed`` / ``would-change``: returned;
- ``failed`` transiently with runs left: a retryable error, and Temporal runs it again
  (``TransientFailure``; as a local batch re-runs a transient failure);
- any other ending (a business failure, ``needs-input``, the last transient one): a
  non-retryable ``ApplicationError`` (``JobFailed``) whose details carry the output.

A retried attempt is a re-run (``rerun``, traced from its start) with ``prior_intent``: the
attempt before it may have submitted on a PC that is now off, and only the portal (the
guard) knows. The certificate (≤ 1 MB) and the failure screenshot travel back as bytes;
traces stay on the worker, named in ``artifacts``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger
from temporalio import activity
from temporalio.exceptions import ApplicationError

from rpa.clients.records import ClientRecord
from rpa.distributed.messages import (
    CHUNK_BYTES,
    MAX_CERTIFICATE_BYTES,
    MAX_SCREENSHOT_BYTES,
    ChunkRequest,
    FileBlob,
    FileChunk,
    JobInput,
    JobOutput,
)
from rpa.distributed.routing import worker_queue
from rpa.distributed.workflow import ACTIVITY, FETCH_ACTIVITY, JOB_FAILED, TRANSIENT
from rpa.errors import FailureKind
from rpa.events import Event, RunFinished, StepStarted
from rpa.outcomes import Outcome

if TYPE_CHECKING:
    from rpa.agent import Agent

GOOD = frozenset({Outcome.OK, Outcome.CHANGED, Outcome.WOULD_CHANGE})
RECYCLE_AFTER = 40  # jobs per browser launch (as BatchPolicy.recycle_after)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_id(data_dir: Path) -> str:
    """This worker, the same across restarts: its host and its data folder."""
    folder = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]
    return f"{socket.gethostname()}-{folder}"


class StepTracker:
    """A bus listener: the step each running job is on (for heartbeats)."""

    def __init__(self) -> None:
        self.steps: dict[str, str] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.steps[event.job_id] = event.step
        elif isinstance(event, RunFinished):
            self.steps.pop(event.job_id, None)


class JobActivity:
    """The activity of one worker process: its agent, its browser, ``concurrency`` jobs at
    once whatever queue they came from."""

    def __init__(
        self, agent: Agent, session: Any, *, concurrency: int, recycle_after: int = RECYCLE_AFTER
    ) -> None:
        self.agent = agent
        self.session = session
        self.slots = asyncio.Semaphore(concurrency)
        self.tracker = StepTracker()
        self.recycle_after = recycle_after
        self.running = 0
        self.since_launch = 0
        self.launching = asyncio.Lock()
        self.queue = worker_queue(worker_id(agent.settings.data_dir))
        agent.bus.add(self.tracker)

    @activity.defn(name=ACTIVITY)
    async def run_client_job(self, job: JobInput) -> JobOutput:
        info = activity.info()
        beat = asyncio.ensure_future(self._heartbeat(None, job.heartbeat_timeout_s))
        try:
            async with self.slots:
                async with self.launching:  # one job at a time checks, and counts itself
                    await self._fresh_browser()
                    self.running += 1
                    self.since_launch += 1
                beat.cancel()
                try:
                    return await self._run(job, info.attempt)
                finally:
                    self.running -= 1
        finally:
            beat.cancel()

    @activity.defn(name=FETCH_ACTIVITY)
    async def fetch_file_chunk(self, request: ChunkRequest) -> FileChunk:
        """A piece of a file of this worker's artifacts (a trace a job left here); nothing
        else of the PC, its journal included."""
        root = self.agent.settings.artifacts_dir.resolve()
        path = Path(request.path).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ApplicationError(
                f"{request.path} is not one of this worker's artifacts",
                type="NoSuchFile",
                non_retryable=True,
            )
        with path.open("rb") as file:
            file.seek(request.offset)
            data = file.read(CHUNK_BYTES)
        return FileChunk(base64.b64encode(data).decode(), path.stat().st_size)

    async def _fresh_browser(self) -> None:
        """A worker runs for weeks: its browser is relaunched after ``recycle_after`` jobs,
        or when it is gone (crashed), at a moment no job uses it, as a batch does."""
        if self.running:
            return
        try:
            gone = not self.session.browser.is_connected()
        except Exception:  # not running at all
            gone = True
        if gone or self.since_launch >= self.recycle_after:
            logger.debug("relaunching the browser after {} jobs", self.since_launch)
            await self.session.recycle()
            self.since_launch = 0

    async def _run(self, job: JobInput, attempt: int) -> JobOutput:
        agent = self.agent
        record = ClientRecord.model_validate(job.record)
        playbook = agent.playbook(job.playbook)
        job_id = agent.journal.add_job(job.playbook, client=record.iec, check_mode=job.check)
        logger.info(
            "{}: {} (office job {}, attempt {}) as {}",
            record.label,
            job.playbook,
            job.office_job_id,
            attempt,
            job_id,
        )
        beat = asyncio.ensure_future(self._heartbeat(job_id, job.heartbeat_timeout_s))
        started = time.monotonic()
        try:
            await agent.run_client(
                job_id,
                playbook,
                record,
                self.session,
                check=job.check,
                rerun=attempt > 1,
                prior_intent=attempt > 1,
            )
        finally:
            beat.cancel()
        output = self._output(job_id, attempt, time.monotonic() - started)
        if Outcome(output.outcome) in GOOD:
            return output
        transient = output.error_kind == FailureKind.TRANSIENT
        if transient and attempt < job.attempts:
            raise ApplicationError(output.error or "transient failure", type=TRANSIENT)
        raise ApplicationError(
            output.error or str(output.outcome), asdict(output), type=JOB_FAILED, non_retryable=True
        )

    async def _heartbeat(self, job_id: str | None, timeout_s: float) -> None:
        """Heartbeat every third of the timeout, with the step the job is on."""
        while True:
            step = self.tracker.steps.get(job_id or "", "waiting for a free browser slot")
            activity.heartbeat(step if job_id else "queued on the worker")
            await asyncio.sleep(max(0.5, timeout_s / 3))

    def _output(self, job_id: str, attempt: int, duration_s: float) -> JobOutput:
        row = self.agent.journal.job(job_id)
        artifacts = self.agent.journal.artifacts(job_id)
        output = JobOutput(
            outcome=row.status,
            duration_s=row.duration_s if row.duration_s is not None else duration_s,
            worker=worker_name(),
            worker_job_id=job_id,
            attempt=attempt,
            result=dict(row.result),
            error=row.error,
            error_kind=row.error_kind,
            error_code=row.error_code,
            error_step=row.error_step,
            artifacts=[path for kind, path in artifacts if kind in ("trace", "html", "log")],
            worker_queue=self.queue,
        )
        if path := row.result.get("certificate_path"):
            output.certificate, note = _blob(Path(str(path)), MAX_CERTIFICATE_BYTES)
            output.note = note
        screenshots = [path for kind, path in artifacts if kind == "screenshot"]
        if screenshots and Outcome(row.status) not in GOOD:
            output.screenshot, _ = _blob(Path(screenshots[-1]), MAX_SCREENSHOT_BYTES)
        return output


def _blob(path: Path, limit: int) -> tuple[FileBlob | None, str | None]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"{path.name} could not be read on the worker: {exc.strerror}"
    if len(data) > limit:
        size = len(data) / 1_000_000
        return None, f"{path.name} ({size:.1f} MB) is over the limit: kept on the worker"
    return (
        FileBlob(path.name, base64.b64encode(data).decode(), hashlib.sha256(data).hexdigest()),
        None,
    )
