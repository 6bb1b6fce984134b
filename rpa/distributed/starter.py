"""The office side of a batch on Temporal: a workflow per job, followed live, filed.

``RemoteBatch.run`` takes the batch the CLI planned (jobs already in the office journal) and,
for each job, starts workflow ``<playbook>:<IEC>:<FY>`` on the shared queue with its
activity routed to the client's token (``routing``):

- the id reuse policy is ``ALLOW_DUPLICATE_FAILED_ONLY``: a run that completed this FY is
  never started again. The start is refused; the job is filed ``ok`` with that run's result
  (``already_done``, its ack) and no workflow starts;
- a run still going (a batch stopped with Ctrl-C, another office PC's batch) is followed,
  not started again (``USE_EXISTING``);
- each workflow is followed until it ends: ``describe`` shows when a worker took the
  activity and the step its heartbeat names; its result is filed (``results``).

Events reach the office's bus as from a local batch (``BatchStarted``, ``JobQueued`` when a
worker takes a job, steps, ``RunFinished``, ``BatchFinished``), so the live display, the
JSON output and the journal are the same; so are the summary and the exit code. Ctrl-C stops
following (the workflows go on; the same command follows them again).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loguru import logger
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from rpa.batch import BatchJob, BatchSummary
from rpa.distributed.messages import JobInput, JobOutput
from rpa.distributed.results import OfficeFiling, output_from
from rpa.distributed.routing import SHARED_QUEUE, submits, task_queue_for, workflow_id
from rpa.distributed.workflow import ClientJobWorkflow
from rpa.events import BatchFinished, BatchStarted, JobQueued
from rpa.outcomes import Outcome
from rpa.renewal import financial_year, today_in_india

if TYPE_CHECKING:
    from rpa.agent import Agent


Handle = WorkflowHandle[Any, Any]


@dataclass
class Followed:
    """What the office has seen of one job's workflow."""

    started: bool = False
    step: str | None = None
    slot: int | None = None


@dataclass
class RemoteBatch:
    agent: Agent
    client: Client
    poll_s: float = 1.0
    fy: int = field(default_factory=lambda: financial_year(today_in_india()))
    _slots: set[int] = field(default_factory=set)

    @property
    def filing(self) -> OfficeFiling:
        settings = self.agent.settings
        return OfficeFiling(
            self.agent.bus,
            certificates_dir=settings.certificates_dir,
            artifacts_dir=settings.artifacts_dir,
        )

    def job_input(self, job: BatchJob, batch_id: str, *, does_submit: bool) -> JobInput:
        settings = self.agent.settings
        return JobInput(
            office_job_id=job.job_id,
            batch_id=batch_id,
            playbook=job.playbook,
            client=job.client,
            record=job.record.model_dump(mode="json"),
            check=job.check,
            task_queue=task_queue_for(job.record, submits=does_submit and not job.check),
            heartbeat_timeout_s=settings.temporal_heartbeat_s,
        )

    async def run(self, batch_id: str, jobs: list[BatchJob]) -> BatchSummary:
        journal, bus = self.agent.journal, self.agent.bus
        batch = journal.batch(batch_id)
        does_submit = submits(self.agent.playbook(batch.playbook))
        journal.set_batch_status(batch_id, "running")
        bus.emit(
            BatchStarted(batch_id=batch_id, playbook=batch.playbook, total=len(jobs), workers=0)
        )
        tasks = [
            asyncio.ensure_future(self._one(job, batch_id, does_submit=does_submit)) for job in jobs
        ]
        status, note = "finished", None
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            status = "interrupted"
            note = (
                "stopped following: the workflows go on; follow them again with: "
                f"rpa batch --resume {batch_id} --temporal HOST:PORT"
            )
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        totals = Counter(j.status for j in journal.jobs(batch_id=batch_id))
        journal.set_batch_status(batch_id, status, note=note)
        bus.emit(BatchFinished(batch_id=batch_id, status=status, totals=dict(totals)))
        return BatchSummary(batch_id, status, dict(totals), note)

    async def _one(self, job: BatchJob, batch_id: str, *, does_submit: bool) -> None:
        try:
            await self._started_and_followed(job, batch_id, does_submit=does_submit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the server gone, a bug: this job fails, the batch goes on
            logger.opt(exception=exc).warning("{}: lost on Temporal: {}", job.client, exc)
            self.filing.lost(job.job_id, f"the job could not be run on Temporal: {exc}")

    async def _started_and_followed(
        self, job: BatchJob, batch_id: str, *, does_submit: bool
    ) -> None:
        wid = workflow_id(
            job.playbook,
            job.client,
            self.fy,
            check=job.check,
            submits=does_submit,
            job_id=job.job_id,
        )
        arg = self.job_input(job, batch_id, does_submit=does_submit)
        policy = (
            WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
            if does_submit and not job.check
            else WorkflowIDReusePolicy.ALLOW_DUPLICATE
        )
        try:
            handle = await self.client.start_workflow(
                ClientJobWorkflow.run,
                arg,
                id=wid,
                task_queue=SHARED_QUEUE,
                id_reuse_policy=policy,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except WorkflowAlreadyStartedError:
            await self._already_done(job, wid)
            return
        seen = Followed()
        try:
            await self._follow(job, handle, seen)
        except asyncio.CancelledError:
            self.filing.lost(
                job.job_id,
                f"the office stopped following workflow {wid}; it goes on",
                outcome=Outcome.INTERRUPTED,
            )
            raise
        finally:
            if seen.slot is not None:
                self._slots.discard(seen.slot)

    async def _already_done(self, job: BatchJob, wid: str) -> None:
        """The workflow of this client × playbook × FY completed earlier: file its result
        as this job's, ``ok`` (nothing was done now), without starting anything."""
        filing = self.filing
        handle = self.client.get_workflow_handle(wid, result_type=JobOutput)
        previous = await handle.result()
        result = {**previous.result, "already_done": True, "done_by_workflow": wid}
        seen = Followed()
        self._ensure_started(job, seen)
        self._slots.discard(seen.slot or 0)
        filing.finished(
            job.job_id,
            job.client,
            JobOutput(
                outcome=str(Outcome.OK),
                duration_s=0.0,
                worker=previous.worker,
                worker_job_id=previous.worker_job_id,
                attempt=previous.attempt,
                result=result,
                certificate=previous.certificate,
                note=f"done earlier this FY by workflow {wid}; no workflow started",
            ),
        )

    async def _follow(self, job: BatchJob, handle: Handle, seen: Followed) -> None:
        filing = self.filing
        waiting = asyncio.ensure_future(handle.result())
        try:
            while True:
                done, _ = await asyncio.wait({waiting}, timeout=self.poll_s)
                if done:
                    break
                with contextlib.suppress(Exception):  # progress only; the result decides
                    await self._progress(job, handle, seen)
        finally:
            if not waiting.done():
                waiting.cancel()
        try:
            output = waiting.result()
        except WorkflowFailureError as exc:
            output = self._failure_output(exc)
            if output is None:
                self._ensure_started(job, seen)
                filing.lost(job.job_id, f"workflow {handle.id} failed: {exc.cause or exc}")
                return
        self._ensure_started(job, seen)
        filing.finished(job.job_id, job.client, output)

    def _ensure_started(self, job: BatchJob, seen: Followed) -> None:
        if not seen.started:
            seen.started = True
            seen.slot = self._slot()
            self.agent.bus.emit(
                JobQueued(
                    job_id=job.job_id,
                    batch_id=self.agent.journal.job(job.job_id).batch_id or "",
                    client=job.client,
                    worker=seen.slot,
                )
            )
            self.filing.started(job.job_id, job.playbook, job.client, job.check)

    def _slot(self) -> int:
        slot = next(n for n in range(len(self._slots) + 1) if n not in self._slots)
        self._slots.add(slot)
        return slot

    @staticmethod
    def _failure_output(exc: WorkflowFailureError) -> JobOutput | None:
        cause: BaseException | None = exc.cause
        while cause is not None:
            if isinstance(cause, ApplicationError) and cause.details:
                return output_from(cause.details[0])
            cause = getattr(cause, "cause", None)
        return None

    async def _progress(self, job: BatchJob, handle: Handle, seen: Followed) -> None:
        description = await handle.describe()
        for pending in description.raw_description.pending_activities:
            if pending.state != PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
                continue
            self._ensure_started(job, seen)
            if pending.heartbeat_details.payloads:
                values = await self.client.data_converter.decode(pending.heartbeat_details.payloads)
                step = str(values[0]) if values else None
                if step and step != seen.step:
                    seen.step = step
                    self.filing.step(job.job_id, step)


async def run_remote(
    agent: Agent, batch_id: str, jobs: list[BatchJob], target: str, namespace: str
) -> BatchSummary:
    """The batch on Temporal; Ctrl-C (or SIGTERM) stops following it."""
    from rpa.distributed.worker import connect

    client = await connect(target, namespace, agent.settings)
    remote = RemoteBatch(agent, client)
    run = asyncio.ensure_future(remote.run(batch_id, jobs))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, run.cancel)
    try:
        return await run  # (a cancelled run ends "interrupted", with its summary)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
