"""The workflow of one client job: deterministic, no browser, one activity.

It schedules ``run_client_job`` on the job's task queue (the PC holding the client's token,
or the shared queue) with a retry policy for transient failures only: the activity raises a
retryable error for a transient failure with runs left, and a non-retryable
``ApplicationError`` carrying the ``JobOutput`` for any other failure. A job that ended
``ok``/``changed``/``would-change`` completes the workflow with its output; any other ending
fails the workflow with the output in the error's details, so the id reuse policy
(``ALLOW_DUPLICATE_FAILED_ONLY``) lets a later batch run it again, and never a completed one.

A heartbeat timeout (the PC switched off, the worker killed) is retried like a transient
failure: the next attempt runs through the lease and the guard (``Agent.run_client``), so a
job lost with its PC never submits twice.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from rpa.distributed.messages import ChunkRequest, FileChunk, JobInput, JobOutput

ACTIVITY = "run_client_job"
FETCH_ACTIVITY = "fetch_file_chunk"
JOB_FAILED = "JobFailed"  # the error type of a job that ended failed / needs-input
TRANSIENT = "TransientFailure"


@workflow.defn(name="ClientJob")
class ClientJobWorkflow:
    @workflow.run
    async def run(self, job: JobInput) -> JobOutput:
        try:
            output: JobOutput = await workflow.execute_activity(
                ACTIVITY,
                job,
                result_type=JobOutput,
                task_queue=job.task_queue,
                start_to_close_timeout=timedelta(seconds=job.job_timeout_s),
                heartbeat_timeout=timedelta(seconds=job.heartbeat_timeout_s),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=5),
                    backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=2),
                    maximum_attempts=job.attempts,
                    non_retryable_error_types=[JOB_FAILED],
                ),
            )
            return output
        except ActivityError as exc:
            cause = exc.cause
            details = cause.details if isinstance(cause, ApplicationError) else ()
            message = str(cause) if cause is not None else str(exc)
            raise ApplicationError(message, *details, type=JOB_FAILED, non_retryable=True) from exc


@workflow.defn(name="FetchChunk")
class FetchChunkWorkflow:
    """A piece of a file kept on a worker (a trace), from the worker's own queue. A worker
    that is off does not answer: the fetch fails after a minute, and can be asked again."""

    @workflow.run
    async def run(self, request: ChunkRequest) -> FileChunk:
        chunk: FileChunk = await workflow.execute_activity(
            FETCH_ACTIVITY,
            request,
            result_type=FileChunk,
            task_queue=request.queue,
            schedule_to_close_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        return chunk
