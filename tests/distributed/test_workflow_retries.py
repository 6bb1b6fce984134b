"""The workflow's retry policy on a real Temporal dev server, with a stand-in activity:
Temporal retries a transient failure and never a business one, whose output reaches the
office in the workflow's failure."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from rpa.distributed.messages import JobInput, JobOutput
from rpa.distributed.results import output_from
from rpa.distributed.starter import RemoteBatch
from rpa.distributed.worker import SANDBOX
from rpa.distributed.workflow import ACTIVITY, JOB_FAILED, TRANSIENT, ClientJobWorkflow
from tests.distributed.conftest import TemporalServer

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


def job(queue: str) -> JobInput:
    return JobInput(
        office_job_id="j-office",
        batch_id=None,
        playbook="renew",
        client="0312345678",
        record={},
        check=False,
        task_queue=queue,
        heartbeat_timeout_s=10,
        attempts=3,
    )


def output(attempt: int, outcome: str, **more: Any) -> JobOutput:
    return JobOutput(
        outcome=outcome,
        duration_s=1.0,
        worker="stand-in",
        worker_job_id=f"w{attempt}",
        attempt=attempt,
        **more,
    )


async def run_workflow(target: str, fails: list[str]) -> tuple[Any, list[int]]:
    """Run the workflow with an activity that fails as ``fails`` says, attempt by attempt
    (``transient`` | ``business``), then succeeds; return its result (or error) and the
    attempts the activity saw."""
    seen: list[int] = []

    @activity.defn(name=ACTIVITY)
    async def stand_in(arg: JobInput) -> JobOutput:
        attempt = activity.info().attempt
        seen.append(attempt)
        how = fails[attempt - 1] if attempt <= len(fails) else "ok"
        if how == "transient":
            raise ApplicationError("the portal answered HTTP 503", type=TRANSIENT)
        if how == "business":
            failed = output(attempt, "failed", error="PAN mismatch", error_code="PAN_MISMATCH")
            raise ApplicationError("PAN mismatch", asdict(failed), type=JOB_FAILED)
        return output(attempt, "changed", result={"ack_number": "IEC/UPD/2026/1"})

    client = await Client.connect(target)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ClientJobWorkflow],
        activities=[stand_in],
        workflow_runner=SANDBOX,
    ):
        try:
            result: Any = await client.execute_workflow(
                ClientJobWorkflow.run, job(queue), id=f"renew:{queue}:2026", task_queue=queue
            )
        except WorkflowFailureError as exc:
            result = exc
    return result, seen


@pytest.mark.slow
def test_a_transient_failure_is_run_again_by_temporal(
    temporal: TemporalServer, run_async: RunAsync
) -> None:
    result, seen = run_async(run_workflow(temporal.target, ["transient"]))
    assert seen == [1, 2]
    assert isinstance(result, JobOutput)
    assert (result.outcome, result.attempt) == ("changed", 2)


def test_a_business_failure_is_not_retried_and_its_output_reaches_the_office(
    temporal: TemporalServer, run_async: RunAsync
) -> None:
    result, seen = run_async(run_workflow(temporal.target, ["business"]))
    assert seen == [1]
    assert isinstance(result, WorkflowFailureError)
    failed = RemoteBatch._failure_output(result)
    assert failed is not None
    assert (failed.outcome, failed.error_code) == ("failed", "PAN_MISMATCH")
    assert output_from(asdict(failed)) == failed
