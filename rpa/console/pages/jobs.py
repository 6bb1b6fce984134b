"""A job's page: what it did and what it left.

- The timeline as a tree of blocks and steps (``<details>``, as Robot Framework's log):
  a block that failed or never finished is open, the others closed; retries, challenges
  and a submission left without its result sit under their step.
- The failure screenshot (shown), the HTML snapshot (a download: a page of the portal is
  never rendered in the console's origin), the trace (a download, with its
  ``playwright show-trace`` command), other files the job saved.
- The result as fields: ack, application and bank status, the certificate with its
  SHA-256, downloadable.
- The step log (every timeline row), the audit trail of the job and operators' notes.

Files are served by their index in the job's own artifact list
(``/jobs/{id}/artifacts/{n}``), never by a path from the request, and only when the file
the journal names is inside the data folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rpa.console.audit import audit
from rpa.console.auth import Role, checked_form, require
from rpa.console.deps import journal, people, settings
from rpa.console.pages.batches import firms_of
from rpa.console.render import render
from rpa.errors import JournalError
from rpa.journal.store import JobRow, TimelineRow

CONTAINERS = frozenset({"block", "use"})
MAX_NOTE = 2000
#: How each kind of file is served: (content type, inline?)
SERVED_AS = {
    "screenshot": ("image/png", True),
    "captcha": ("image/png", True),
    "html": ("application/octet-stream", False),
    "trace": ("application/zip", False),
}
RESULT_FIELDS = (
    ("ack_number", "Acknowledgement"),
    ("application_status", "Application status"),
    ("bank_status", "Bank status"),
    ("iec_status", "IEC status"),
)


@dataclass
class Event:
    at: str
    text: str
    status: str | None = None
    note: str | None = None


@dataclass
class Step:
    path: str
    kind: str | None
    at: str
    status: str | None = None  # None: never finished
    seconds: float | None = None
    error: str | None = None
    retried: bool = False
    children: list[Step | Event] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def container(self) -> bool:
        return self.kind in CONTAINERS or any(isinstance(c, Step) for c in self.children)

    @property
    def open(self) -> bool:
        """Shown open: it failed, never finished, or something in it was retried."""
        return self.status in ("failed", None) or self.retried


def timeline_tree(rows: list[TimelineRow]) -> list[Step | Event]:
    """The timeline's steps nested by their paths, as they ran, with events in place."""
    top: list[Step | Event] = []
    running: list[Step] = []
    submitted = {r.step for r in rows if r.event == "submit-done"}

    def place(item: Step | Event) -> None:
        (running[-1].children if running else top).append(item)

    def find(path: str | None) -> Step | None:
        return next((s for s in reversed(running) if s.path == path), None)

    for row in rows:
        if row.event == "step-started" and row.step:
            while running and not row.step.startswith(running[-1].path + "/"):
                running.pop()
            step = Step(row.step, row.kind, row.at)
            place(step)
            running.append(step)
        elif row.event == "step-finished" and row.step:
            ended = find(row.step)
            if ended is not None:
                ended.status, ended.seconds, ended.error = row.status, row.duration_s, row.detail
                del running[running.index(ended) :]
        elif row.event == "step-retried":
            retried = find(row.step)
            if retried is not None:
                retried.retried = True
                for above in running:
                    above.retried = True
            why = f" after a {row.status} error" if row.status else ""
            place(Event(row.at, f"Retried{why}", "retried", row.detail))
        elif row.event == "challenge-waiting":
            place(Event(row.at, f"Waited for {row.kind}", "waiting", row.detail))
        elif row.event == "submit-intent" and row.step not in submitted:
            place(Event(row.at, "Submitted without a result: the portal may have it", "failed"))
    return top


def _job(request: Request) -> JobRow:
    try:
        return journal(request).job(request.path_params["job_id"])
    except JournalError as exc:
        raise HTTPException(404, "No such job.") from exc


def _inside_data(request: Request, path: str | None) -> Path:
    """``path`` when it is a file inside the data folder; 404 otherwise."""
    if not path:
        raise HTTPException(404, "No such file.")
    root = settings(request).data_dir.resolve()
    try:
        real = Path(path).resolve()
        real.relative_to(root)
    except (OSError, ValueError) as exc:
        raise HTTPException(404, "No such file.") from exc
    if not real.is_file():
        raise HTTPException(404, "The file is no longer there.")
    return real


async def job_page(request: Request) -> Response:
    user = await require(request, Role.VIEWER)
    job = _job(request)
    j = journal(request)
    firm = job.result.get("firm_name") or ""
    if not firm and job.batch_id:
        firm = firms_of(j.batch(job.batch_id).source).get(job.client or "", "")
    artifacts = [
        {"index": i, "kind": kind, "name": Path(path).name}
        for i, (kind, path) in enumerate(j.artifacts(job.id))
    ]
    screenshots = [a for a in artifacts if a["kind"] == "screenshot"]
    certificate = job.result.get("certificate_path")
    known = {name for name, _ in RESULT_FIELDS} | {"certificate_path", "certificate_sha256"}
    timeline = j.timeline(job.id)
    waiting = [c for c in j.waiting_challenges() if c["job_id"] == job.id]
    return render(
        request,
        "job.html",
        {
            "job": job,
            "firm": firm,
            "tree": timeline_tree(timeline),
            "log": timeline,
            "screenshot": screenshots[-1] if screenshots else None,
            "artifacts": artifacts,
            "result_fields": [
                (label, job.result[name]) for name, label in RESULT_FIELDS if job.result.get(name)
            ],
            "other_results": {k: v for k, v in job.result.items() if k not in known},
            "certificate": Path(str(certificate)).name if certificate else None,
            "certificate_sha256": job.result.get("certificate_sha256"),
            "waiting": waiting[0]["kind"] if waiting else None,
            "trail": people(request).audit(target=job.id, limit=50),
            "can_note": user.can(Role.OPERATOR),
        },
    )


async def artifact(request: Request) -> Response:
    """One of the job's own files, by its index in the job's artifact list."""
    await require(request, Role.VIEWER)
    job = _job(request)
    files = journal(request).artifacts(job.id)
    index = request.path_params["index"]
    if not 0 <= index < len(files):
        raise HTTPException(404, "No such file.")
    kind, path = files[index]
    real = _inside_data(request, path)
    media, inline = SERVED_AS.get(kind, ("application/octet-stream", False))
    return FileResponse(
        real,
        media_type=media,
        filename=real.name,
        content_disposition_type="inline" if inline else "attachment",
        headers={"content-security-policy": "sandbox; default-src 'none'"},
    )


async def certificate(request: Request) -> Response:
    """The certificate the job saved (the path its result names, inside the data folder)."""
    await require(request, Role.VIEWER)
    job = _job(request)
    real = _inside_data(request, job.result.get("certificate_path"))
    return FileResponse(
        real,
        media_type="application/pdf",
        filename=real.name,
        content_disposition_type="attachment",
        headers={"content-security-policy": "sandbox; default-src 'none'"},
    )


async def add_note(request: Request) -> Response:
    """An operator's note on a job (what was found, what was done), in its audit trail."""
    user = await require(request, Role.OPERATOR)
    form = await checked_form(request)
    job = _job(request)
    text = str(form.get("note") or "").strip()[:MAX_NOTE]
    if text:
        audit(journal(request), user.name, "job-noted", job.id, {"note": text})
    return RedirectResponse(f"/jobs/{job.id}#trail", 303)


def trail_text(detail: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in detail.items())


routes: list[BaseRoute] = [
    Route("/jobs/{job_id}", job_page),
    Route("/jobs/{job_id}/artifacts/{index:int}", artifact),
    Route("/jobs/{job_id}/certificate", certificate),
    Route("/jobs/{job_id}/notes", add_note, methods=["POST"]),
]
