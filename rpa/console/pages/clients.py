"""Clients: the renewal plan of this financial year, and each client's history.

``/clients``: every client of the office's client file (``RPA_CLIENTS_FILE``, else the
newest batch's client file that can still be read) with this FY's renewal state from
``rpa.renewal.plan`` (due / done / overdue / in progress / needs a person / unknown), and,
for operators, "Renew the due ones": ``rpa renew run --clients FILE`` in a process of its
own (its run lock and its plan, as the timer runs it), audited.

``/clients/{iec}``: the client's jobs across financial years, newest first: dates in IST,
outcome in plain words, ack, application status, certificate (name, SHA-256, download),
and who ran it: the console user who started the batch or the replay (from the audit), else
the command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rpa.clients.file import ClientFile, load_clients
from rpa.config import Settings
from rpa.console import runs
from rpa.console.audit import audit
from rpa.console.auth import Role, checked_form, current_user, require
from rpa.console.deps import journal, people, settings
from rpa.console.render import render
from rpa.console.words import to_ist
from rpa.errors import RpaError
from rpa.journal import JobRow, Journal
from rpa.journal.overview import change_mark
from rpa.journal.people import People
from rpa.renewal import (
    PlanRow,
    PlanState,
    financial_year,
    fy_label,
    plan,
    plan_totals,
    to_run,
    today_in_india,
)

IEC = re.compile(r"[0-9A-Z]{10}")
HISTORY_LIMIT = 500
STATE_WORDS = {
    PlanState.DUE: "Due",
    PlanState.DONE: "Done",
    PlanState.OVERDUE: "Overdue",
    PlanState.IN_PROGRESS: "In progress at DGFT",
    PlanState.NEEDS_INPUT: "Needs a person",
    PlanState.UNKNOWN: "Unknown",
}
STATE_TONES = {
    PlanState.DUE: "waiting",
    PlanState.DONE: "good",
    PlanState.OVERDUE: "bad",
    PlanState.IN_PROGRESS: "waiting",
    PlanState.NEEDS_INPUT: "bad",
    PlanState.UNKNOWN: "neutral",
}


def _load(source: str) -> ClientFile:
    """A client file, read again only when it changed (size or time)."""
    stat = Path(source).stat()
    key = (source, stat.st_mtime_ns, stat.st_size)
    found = _FILES.get(source)
    if found is None or found[0] != key:
        found = (key, load_clients(source))
        _FILES[source] = found
    return found[1]


_FILES: dict[str, tuple[tuple[str, int, int], ClientFile]] = {}


def client_file(config: Settings, journal_: Journal) -> ClientFile | None:
    """The office's client file: ``RPA_CLIENTS_FILE``, else the newest batch's that can
    still be read (a console upload included)."""
    candidates: list[str] = [str(config.clients_file)] if config.clients_file else []
    candidates += [b.source for b in journal_.batches(limit=50) if b.source]
    for source in dict.fromkeys(candidates):
        try:
            return _load(source)
        except (RpaError, OSError):
            continue
    return None


def renewal_plan(journal_: Journal, loaded: ClientFile, today: date) -> list[PlanRow]:
    """``rpa.renewal.plan`` of the file's clients, computed again only when another process
    wrote to the journal (``PRAGMA data_version``: runs, the CLI), the file or the day
    changed: the page is read far more often than a batch ends."""
    key = (id(journal_), change_mark(journal_), id(loaded), today)
    cached = _PLAN.get("clients")
    if cached is None or cached[0] != key:
        cached = (key, plan(journal_, loaded.records, today))
        _PLAN["clients"] = cached
    return cached[1]


_PLAN: dict[str, tuple[tuple[Any, ...], list[PlanRow]]] = {}


def _who(entries: People) -> tuple[dict[str, str], dict[str, str]]:
    """Console users by batch id (started it) and by job id (replayed it)."""
    batches: dict[str, str] = {}
    jobs: dict[str, str] = {}
    for action in ("batch.start", "renew.start"):
        for row in entries.audit(action=action, limit=HISTORY_LIMIT):
            if row.target:
                batches.setdefault(row.target, row.who)
    for row in entries.audit(action="job.replay", limit=HISTORY_LIMIT):
        replayed = row.detail.get("replay")
        if isinstance(replayed, str):
            jobs.setdefault(replayed, row.who)
    return batches, jobs


def _when(job: JobRow) -> str:
    """When a job happened, as the renewal plan dates it: its end, else its creation."""
    return job.finished_at or job.created_at


@dataclass(frozen=True)
class HistoryLine:
    job: JobRow
    who: str
    certificate: str | None


def _history(
    jobs: Iterable[JobRow], by_batch: dict[str, str], by_job: dict[str, str]
) -> list[tuple[str, list[HistoryLine]]]:
    """The client's jobs grouped by financial year (IST dates), newest first."""
    years: dict[int, list[HistoryLine]] = {}
    for job in sorted(jobs, key=_when, reverse=True):
        moment = to_ist(_when(job))
        fy = financial_year(moment.date()) if moment else 0
        if job.id in by_job:
            who = f"{by_job[job.id]} (replay, console)"
        elif job.batch_id and job.batch_id in by_batch:
            who = f"{by_batch[job.batch_id]} (console)"
        else:
            who = "command line"
        path = job.result.get("certificate_path")
        years.setdefault(fy, []).append(
            HistoryLine(job, who, Path(str(path)).name if path else None)
        )
    return [(fy_label(fy) if fy else "—", lines) for fy, lines in years.items()]


async def clients_page(request: Request) -> Response:
    await require(request, Role.VIEWER)
    config = settings(request)
    loaded = await run_in_threadpool(client_file, config, journal(request))
    today = today_in_india()
    rows = await run_in_threadpool(renewal_plan, journal(request), loaded, today) if loaded else []
    due = to_run(rows, today) if rows else []
    totals = plan_totals(rows)
    user = current_user(request)
    return render(
        request,
        "clients.html",
        {
            "title": "Clients",
            "source": str(loaded.path) if loaded else None,
            "fy": fy_label(financial_year(today)),
            "today": today,
            "rows": rows,
            "due": due,
            "totals": {STATE_WORDS[PlanState(k)]: v for k, v in totals.items() if v},
            "state_words": STATE_WORDS,
            "state_tones": STATE_TONES,
            "can_run": bool(user and user.can(Role.OPERATOR)),
        },
    )


async def find_client(request: Request) -> Response:
    await require(request, Role.VIEWER)
    iec = re.sub(r"\s", "", str(request.query_params.get("iec") or "")).upper()
    if not IEC.fullmatch(iec):
        raise HTTPException(400, "An IEC is 10 letters and digits.")
    return RedirectResponse(f"/clients/{iec}", 303)


async def client_page(request: Request) -> Response:
    await require(request, Role.VIEWER)
    iec = request.path_params["iec"]
    if not IEC.fullmatch(iec):
        raise HTTPException(404, "No such client.")
    jobs = journal(request).jobs(client=iec)
    config = settings(request)
    loaded = await run_in_threadpool(client_file, config, journal(request))
    record = next((r for _, r in loaded.records if r.iec == iec), None) if loaded else None
    if not jobs and record is None:
        raise HTTPException(404, "The journal and the client file know no such client.")
    today = today_in_india()
    state = None
    if record is not None:
        [state] = await run_in_threadpool(plan, journal(request), [record], today)
    by_batch, by_job = _who(people(request))
    context: dict[str, Any] = {
        "title": f"Client {iec}",
        "iec": iec,
        "firm": record.firm_name if record else _firm_from(jobs),
        "plan": state,
        "fy": fy_label(financial_year(today)),
        "state_words": STATE_WORDS,
        "state_tones": STATE_TONES,
        "years": _history(jobs[-HISTORY_LIMIT:], by_batch, by_job),
    }
    return render(request, "client.html", context)


def _firm_from(jobs: list[JobRow]) -> str | None:
    for job in reversed(jobs):
        name = job.result.get("firm_name")
        if name:
            return str(name)
    return None


async def renew_due(request: Request) -> Response:
    user = await require(request, Role.OPERATOR)
    await checked_form(request)
    config = settings(request)
    loaded = await run_in_threadpool(client_file, config, journal(request))
    if loaded is None:
        raise HTTPException(400, "No client file to renew from: set RPA_CLIENTS_FILE.")
    today = today_in_india()
    rows = await run_in_threadpool(plan, journal(request), loaded.records, today)  # fresh
    due = to_run(rows, today)
    if not due:
        raise HTTPException(400, "Nobody is due: nothing to renew.")
    known = {b.id for b in journal(request).batches(limit=20)}
    started = runs.start_renewal(config, loaded.path)
    batch_id = await run_in_threadpool(
        runs.wait_for_batch, journal(request), "renew", str(loaded.path), known
    )
    audit(
        journal(request),
        user.name,
        "renew.start",
        batch_id,
        {"clients": len(due), "file": str(loaded.path), "pid": started.pid},
    )
    return RedirectResponse(f"/batches/{batch_id}" if batch_id else "/batches", 303)


routes: list[BaseRoute] = [
    Route("/clients", clients_page),
    Route("/clients/find", find_client),
    Route("/clients/renew", renew_due, methods=["POST"]),
    Route("/clients/{iec}", client_page),
]
