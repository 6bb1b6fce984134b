"""Traces stay on the worker and are fetched when asked for: a piece at a time through
Temporal, from the worker's own queue, and only from its data folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from rpa.config import Settings, load_settings
from rpa.distributed.activity import JobActivity, worker_id
from rpa.distributed.fetch import fetch_artifacts
from rpa.distributed.routing import SHARED_QUEUE, worker_queue
from rpa.distributed.worker import SANDBOX
from rpa.distributed.workflow import FetchChunkWorkflow
from rpa.errors import RemoteError
from rpa.events import EventBus
from rpa.journal import Journal
from tests.distributed.conftest import TemporalServer

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


class WorkerAgent:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bus = EventBus()


async def fetch_with_a_worker(
    target: str, worker_data: Path, journal: Journal, job_id: str, dest: Path
) -> list[Path]:
    client = await Client.connect(target)
    jobs = JobActivity(
        WorkerAgent(load_settings({"data_dir": worker_data}, env_file=None)),  # type: ignore[arg-type]
        session=None,
        concurrency=1,
    )
    async with (
        Worker(client, task_queue=jobs.queue, activities=[jobs.fetch_file_chunk]),
        Worker(
            client, task_queue=SHARED_QUEUE, workflows=[FetchChunkWorkflow], workflow_runner=SANDBOX
        ),
    ):
        return await fetch_artifacts(client, journal, job_id, dest)


def remote_job(journal: Journal, worker_data: Path, files: list[Path]) -> str:
    job_id = journal.add_job("renew", client="0312345678")
    result = {
        "worker_queue": worker_queue(worker_id(worker_data)),
        "worker_artifacts": [str(f) for f in files],
    }
    journal.job_finished(job_id, "failed", result=result, error="PAN mismatch")
    return job_id


def test_a_remote_jobs_trace_is_fetched_from_its_worker_into_the_office(
    temporal: TemporalServer, run_async: RunAsync, tmp_path: Path
) -> None:
    worker_data = tmp_path / "pc-2"
    trace = worker_data / "artifacts" / "j-on-pc-2" / "trace.zip"
    trace.parent.mkdir(parents=True)
    content = os.urandom(2_500_000)  # three pieces
    trace.write_bytes(content)
    journal = Journal(tmp_path / "office" / "journal.sqlite3")
    job_id = remote_job(journal, worker_data, [trace])
    dest = tmp_path / "office" / "artifacts" / job_id
    (fetched,) = run_async(fetch_with_a_worker(temporal.target, worker_data, journal, job_id, dest))
    assert fetched == dest / "trace.zip"
    assert fetched.read_bytes() == content
    assert ("trace", str(fetched)) in journal.artifacts(job_id)


def test_a_worker_gives_no_file_but_its_artifacts(
    temporal: TemporalServer, run_async: RunAsync, tmp_path: Path
) -> None:
    worker_data = tmp_path / "pc-2"
    worker_data.mkdir()
    own_journal = Journal(worker_data / "journal.sqlite3")  # the worker's, not for the office
    own_journal.close()
    journal = Journal(tmp_path / "office" / "journal.sqlite3")
    job_id = remote_job(journal, worker_data, [worker_data / "journal.sqlite3"])
    with pytest.raises(RemoteError, match="could not fetch"):
        run_async(
            fetch_with_a_worker(temporal.target, worker_data, journal, job_id, tmp_path / "out")
        )
