"""Batches: the list (newest first, paginated) and a batch's page, live.

A batch's page shows its progress, the workers (processes) running its jobs now, each
client's row (firm name, IEC, outcome in plain words, times in IST, the step a running job
is at, what it waits for) and the rows of the client file that were not run, and why.
It stays live through server-sent events: ``/batches/{id}/events`` sends the page's live
part again, rendered, when it changed. The stream asks the journal "changed?" once a
second with ``PRAGMA data_version`` (no read at all while nothing was written), and ends
when the batch has finished.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from rpa.console.auth import Role, require
from rpa.console.deps import journal
from rpa.console.render import environment, render
from rpa.errors import JournalError
from rpa.journal import overview
from rpa.journal.store import FINAL_STATUSES
from rpa.report import NOT_RUN_OPTION, firm_names

PER_PAGE = 25
LIVE_POLL_S = 1.0
LIVE_MAX_S = 15 * 60  # a stream ends after this; the browser's EventSource reconnects
ROWS_PER_PAGE = 500


@functools.lru_cache(maxsize=64)
def _firms(source: str, stamp: tuple[float, int]) -> dict[str, str]:
    return firm_names(source)


def firms_of(source: str | None) -> dict[str, str]:
    """IEC → firm name from a batch's client file, read again only when the file changed."""
    if not source:
        return {}
    try:
        info = os.stat(source)
    except OSError:
        return {}
    return _firms(source, (info.st_mtime, info.st_size))


async def batch_list(request: Request) -> Response:
    await require(request, Role.VIEWER)
    page = _page_number(request)
    summaries, total = overview.batch_page(journal(request), page=page, per_page=PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    return render(
        request,
        "batches.html",
        {"summaries": summaries, "page": page, "pages": pages, "total": total},
    )


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def _live_context(request: Request, batch_id: str) -> dict[str, Any]:
    j = journal(request)
    try:
        summary = overview.summary(j, batch_id)
    except JournalError as exc:
        raise HTTPException(404, f"No batch {batch_id}.") from exc
    batch = summary.batch
    firms = firms_of(batch.source)
    jobs = overview.latest_jobs(j, batch_id)
    page = _page_number(request)
    shown = jobs[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE]
    not_run = [e for e in batch.options.get(NOT_RUN_OPTION) or [] if isinstance(e, dict)]
    finished = batch.status != "running" and all(job.finished for job in jobs)
    return {
        "batch": batch,
        "summary": summary,
        "jobs": shown,
        "page": page,
        "pages": max(1, math.ceil(len(jobs) / ROWS_PER_PAGE)),
        "firms": {
            job.id: firms.get(job.client or "") or job.result.get("firm_name") or ""
            for job in shown
        },
        "waiting": overview.waiting_for(j, batch_id),
        "workers": overview.workers(j, batch_id),
        "not_run": not_run,
        "not_run_firms": {
            str(e.get("client")): firms.get(str(e.get("client")), "") for e in not_run
        },
        "finished": finished,
        "total": len(jobs) + len(not_run),
        "done": sum(1 for job in jobs if job.status in FINAL_STATUSES) + len(not_run),
    }


async def batch_page(request: Request) -> Response:
    await require(request, Role.VIEWER)
    context = _live_context(request, request.path_params["batch_id"])
    return render(request, "batch.html", context)


def _sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


async def batch_events(request: Request) -> Response:
    """The batch's live part, rendered, each time it changes (``text/event-stream``)."""
    await require(request, Role.VIEWER)
    batch_id = request.path_params["batch_id"]
    j = journal(request)
    _live_context(request, batch_id)  # 404 before the stream starts
    template = environment().get_template("batch_live.html")

    async def stream() -> AsyncIterator[str]:
        seen_data, seen_batch, quiet = -1, None, 0
        deadline = asyncio.get_running_loop().time() + LIVE_MAX_S
        yield "retry: 3000\n\n"
        closing = request.app.state.closing
        while asyncio.get_running_loop().time() < deadline and not closing.is_set():
            mark = overview.change_mark(j)
            if mark != seen_data:
                seen_data = mark
                now = overview.batch_mark(j, batch_id)
                if now != seen_batch:
                    seen_batch = now
                    context = _live_context(request, batch_id)
                    html = template.render({"request": request, **context})
                    yield _sse("update", html)
                    if context["finished"]:
                        yield _sse("done", "")
                        return
            else:
                quiet += 1
                if quiet % 15 == 0:
                    yield ": still here\n\n"  # a comment: a dropped connection shows
            if await request.is_disconnected():
                return
            await asyncio.sleep(LIVE_POLL_S)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


routes: list[BaseRoute] = [
    Route("/batches", batch_list),
    Route("/batches/{batch_id}", batch_page),
    Route("/batches/{batch_id}/events", batch_events),
]
