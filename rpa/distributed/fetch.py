"""Fetching what a remote job left on its worker (its trace), when a person asks for it.

A job's result in the office journal names the worker's own queue (``worker_queue``) and
the files kept there (``worker_artifacts``). ``fetch_artifacts`` brings each one to the
office's ``artifacts/<job>/``, a piece of ≤ 1 MB per ``FetchChunk`` workflow (Temporal's
payloads stay small), and records it on the job like a local artifact.
"""

from __future__ import annotations

import base64
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from temporalio.client import Client, WorkflowFailureError

from rpa.distributed.messages import ChunkRequest
from rpa.distributed.routing import SHARED_QUEUE
from rpa.distributed.workflow import FetchChunkWorkflow
from rpa.errors import RemoteError

if TYPE_CHECKING:
    from rpa.journal import Journal

ARTIFACT_KINDS = {".zip": "trace", ".html": "html", ".log": "log", ".jsonl": "log"}


async def fetch_file(client: Client, queue: str, path: str, dest: Path) -> Path:
    """The worker's file ``path`` into ``dest`` (a folder); returns the file written."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / PurePath(path).name
    offset, total = 0, None
    with target.open("wb") as out:
        while total is None or offset < total:
            try:
                chunk = await client.execute_workflow(
                    FetchChunkWorkflow.run,
                    ChunkRequest(queue, path, offset),
                    id=f"fetch:{queue}:{path}:{offset}",
                    task_queue=SHARED_QUEUE,
                )
            except WorkflowFailureError as exc:
                out.close()
                target.unlink(missing_ok=True)
                raise RemoteError(
                    f"could not fetch {path} from {queue} (is that worker running?): "
                    f"{exc.cause or exc}"
                ) from exc
            data = base64.b64decode(chunk.data_b64)
            total = chunk.total
            if not data and offset < total:  # the file shrank meanwhile
                break
            out.write(data)
            offset += len(data)
    return target


async def fetch_artifacts(client: Client, journal: Journal, job_id: str, dest: Path) -> list[Path]:
    """Every file a remote job left on its worker, into ``dest``; recorded on the job."""
    job = journal.job(job_id)
    queue = str(job.result.get("worker_queue") or "")
    paths = [str(p) for p in job.result.get("worker_artifacts") or []]
    if not queue:
        raise RemoteError(f"job {job_id} did not run on a worker (or names no worker queue)")
    fetched = []
    for path in paths:
        saved = await fetch_file(client, queue, path, dest)
        journal.add_artifact(job_id, ARTIFACT_KINDS.get(saved.suffix, "download"), str(saved))
        fetched.append(saved)
    return fetched
