"""Read models for the console's pages: a page of batches with their counts, a batch's
latest job per client, what its running jobs wait for, who runs them, and a cheap
"has anything changed" check for the live views.

Every query here is bounded by an index (``batches_by_created``, ``jobs_by_batch``,
``challenges_by_status``), so the pages stay fast with tens of thousands of jobs.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rpa.journal.store import BatchRow, JobRow, Journal, holder_process


@dataclass(frozen=True)
class BatchSummary:
    batch: BatchRow
    counts: Counter[str] = field(default_factory=Counter)  # job status → jobs

    @property
    def jobs(self) -> int:
        return sum(self.counts.values())

    @property
    def not_run(self) -> int:
        return len(self.batch.options.get("not_run") or [])

    @property
    def done(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in ("pending", "running"))


@dataclass(frozen=True)
class Worker:
    """A process running jobs of a batch (its lease holder): ``host`` and ``pid``."""

    name: str  # host:pid
    host: str
    pid: int | None
    command: str | None
    jobs: list[str]  # the job ids it runs now


def batch_page(journal: Journal, *, page: int, per_page: int) -> tuple[list[BatchSummary], int]:
    """The ``page``-th page (from 1) of batches, newest first, and how many batches there
    are."""
    (total,) = journal._read("SELECT count(*) FROM batches")[0]
    ids = [
        r["id"]
        for r in journal._read(
            "SELECT id FROM batches ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (per_page, (max(1, page) - 1) * per_page),
        )
    ]
    counts = _counts(journal, ids)
    return [BatchSummary(journal.batch(i), counts.get(i, Counter())) for i in ids], int(total)


def _counts(journal: Journal, ids: list[str]) -> dict[str, Counter[str]]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = journal._read(
        "SELECT batch_id, status, count(*) AS n FROM jobs"
        f" WHERE batch_id IN ({marks}) GROUP BY batch_id, status",
        tuple(ids),
    )
    counts: dict[str, Counter[str]] = {}
    for r in rows:
        counts.setdefault(r["batch_id"], Counter())[r["status"]] = r["n"]
    return counts


def summary(journal: Journal, batch_id: str) -> BatchSummary:
    return BatchSummary(
        journal.batch(batch_id), _counts(journal, [batch_id]).get(batch_id, Counter())
    )


def latest_jobs(journal: Journal, batch_id: str) -> list[JobRow]:
    """The batch's latest job per client (a replay supersedes the job it replays), in the
    client file's row order."""
    latest: dict[str, JobRow] = {}
    for job in journal.jobs(batch_id=batch_id):
        latest[job.client or job.id] = job
    return sorted(latest.values(), key=lambda j: (j.row is None, j.row or 0, j.created_at))


def waiting_for(journal: Journal, batch_id: str) -> dict[str, str]:
    """Job id → the challenge (``otp``/``captcha``) it waits for, of the batch's jobs."""
    rows = journal._read(
        "SELECT c.job_id, c.kind FROM challenges c JOIN jobs j ON j.id = c.job_id"
        " WHERE c.status = 'waiting' AND j.batch_id = ?",
        (batch_id,),
    )
    return {r["job_id"]: r["kind"] for r in rows}


def workers(journal: Journal, batch_id: str) -> list[Worker]:
    """The processes holding a live lease for a job of the batch, with those jobs."""
    rows = journal._read(
        "SELECT l.holder, l.command, l.job_id FROM leases l JOIN jobs j ON j.id = l.job_id"
        " WHERE j.batch_id = ? AND l.expires_at > ? ORDER BY l.holder",
        (batch_id, time.time()),
    )
    found: dict[str, Worker] = {}
    for r in rows:
        host, pid = holder_process(r["holder"])
        name = f"{host}:{pid}" if pid is not None else host
        worker = found.setdefault(name, Worker(name, host, pid, r["command"], []))
        worker.jobs.append(r["job_id"])
    return list(found.values())


def change_mark(journal: Journal) -> int:
    """A number that changes whenever another connection has written to the journal
    (``PRAGMA data_version``): the live views' cheap test before they read anything."""
    (mark,) = journal._read("PRAGMA data_version")[0]
    return int(mark)


def batch_mark(journal: Journal, batch_id: str) -> tuple[Any, ...]:
    """What a batch's live view shows changing: its status, its jobs' statuses and steps,
    and the challenges its jobs wait for."""
    jobs = journal._read(
        "SELECT count(*), group_concat(status || ':' || coalesce(current_step, ''), '|'),"
        " max(finished_at), max(started_at) FROM jobs WHERE batch_id = ?",
        (batch_id,),
    )[0]
    batch = journal._read("SELECT status FROM batches WHERE id = ?", (batch_id,))
    waiting = sorted(waiting_for(journal, batch_id).items())
    return (tuple(jobs), batch[0]["status"] if batch else None, tuple(waiting))
