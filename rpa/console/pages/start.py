"""Start a batch (operator and up): upload a client file, read ``rpa clients check``'s
verdict row by row, choose the playbook, concurrency and check mode, start.

An upload is kept under ``<data>/console/uploads/<id>/`` (the batch reads it from there,
and a resume or a replay finds it again), named by the console, never by the sender: it is
only ever parsed as a client file, never executed, never served back. The batch is planned
here and run by ``rpa batch --resume`` in a process of its own (``rpa.console.runs``);
the bad rows are in its report as not run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rpa.cli.clients import verdict
from rpa.clients.file import ClientFile, load_clients
from rpa.console import runs
from rpa.console.audit import audit
from rpa.console.auth import Role, checked_form, require
from rpa.console.catalog import playbook_names
from rpa.console.deps import journal, settings
from rpa.console.render import render
from rpa.errors import ClientFileError
from rpa.journal.store import new_id

SUFFIXES = (".csv", ".xlsx", ".yaml", ".yml")
MAX_UPLOAD = 5 * 1024 * 1024
UPLOAD_ID = re.compile(r"u\d{8}-[0-9a-f]{8}")
MAX_CONCURRENCY = 16


def uploads_dir(request: Request) -> Path:
    return settings(request).data_dir / "console" / "uploads"


def _upload(request: Request, upload_id: str) -> tuple[Path, dict[str, Any]]:
    """The stored file of ``upload_id`` and what the sender called it; 404 if none."""
    if not UPLOAD_ID.fullmatch(upload_id):
        raise HTTPException(404, "No such upload.")
    folder = uploads_dir(request) / upload_id
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HTTPException(404, "No such upload.") from exc
    return folder / f"clients{meta['suffix']}", meta


def _rows(loaded: ClientFile) -> list[dict[str, Any]]:
    """The verdict row by row: each good row, each bad row with its problems."""
    checked = verdict(loaded)
    rows: dict[int, dict[str, Any]] = {}
    for record in checked["records"]:
        client = record["client"]
        rows[record["row"]] = {
            "row": record["row"],
            "iec": client.get("iec"),
            "firm": client.get("firm_name"),
            "problems": [],
        }
    for error in checked["errors"]:
        row = error["row"]
        entry = rows.setdefault(
            row,
            {"row": row, "iec": loaded.row_clients.get(row), "firm": None, "problems": []},
        )
        entry["problems"].append(error["message"])
    return [rows[key] for key in sorted(rows, key=lambda r: (r is None, r or 0))]


async def start_page(request: Request) -> Response:
    await require(request, Role.OPERATOR)
    return render(request, "start.html", {"title": "Start a batch", "max_mb": MAX_UPLOAD >> 20})


async def upload(request: Request) -> Response:
    user = await require(request, Role.OPERATOR)
    try:
        size = int(request.headers.get("content-length") or 0)
    except ValueError:
        size = 0
    if size > MAX_UPLOAD + 64 * 1024:  # refused before the form is read at all
        raise HTTPException(413, f"A client file is at most {MAX_UPLOAD >> 20} MB.")
    form = await checked_form(request)
    file = form.get("clients")
    if not isinstance(file, UploadFile) or not file.filename:
        raise HTTPException(400, "Choose a client file to upload.")
    suffix = Path(file.filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise HTTPException(400, "A client file is .csv, .xlsx or .yaml.")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(413, f"A client file is at most {MAX_UPLOAD >> 20} MB.")
    upload_id = new_id("u")
    folder = uploads_dir(request) / upload_id
    folder.mkdir(parents=True, mode=0o700)
    (folder / f"clients{suffix}").write_bytes(data)
    meta = {"name": Path(file.filename).name[:200], "suffix": suffix, "by": user.name}
    (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
    audit(journal(request), user.name, "upload", upload_id, {"file": meta["name"]})
    return RedirectResponse(f"/batches/new/{upload_id}", 303)


async def check_page(request: Request) -> Response:
    await require(request, Role.OPERATOR)
    upload_id = request.path_params["upload_id"]
    path, meta = _upload(request, upload_id)
    context: dict[str, Any] = {
        "title": "Start a batch",
        "upload_id": upload_id,
        "name": meta["name"],
        "playbooks": playbook_names(settings(request)),
        "concurrency": min(settings(request).concurrency, MAX_CONCURRENCY),
        "max_concurrency": MAX_CONCURRENCY,
    }
    try:
        loaded = await run_in_threadpool(load_clients, path)
    except ClientFileError as exc:
        context.update(unreadable=str(exc).replace(str(path), meta["name"]), rows=[])
        return render(request, "start_check.html", context, status=400)
    rows = _rows(loaded)
    context.update(
        rows=rows,
        good=sum(1 for r in rows if not r["problems"]),
        bad=sum(1 for r in rows if r["problems"]),
        note=loaded.sheet_note,
        unknown=[str(u) for u in loaded.unknown_columns],
    )
    return render(request, "start_check.html", context)


async def start_batch(request: Request) -> Response:
    user = await require(request, Role.OPERATOR)
    form = await checked_form(request)
    upload_id = request.path_params["upload_id"]
    path, meta = _upload(request, upload_id)
    config = settings(request)
    playbook = str(form.get("playbook") or "")
    if playbook not in playbook_names(config):
        raise HTTPException(400, "Choose one of the playbooks offered.")
    try:
        concurrency = int(str(form.get("concurrency") or config.concurrency))
    except ValueError as exc:
        raise HTTPException(400, "Concurrency is a whole number.") from exc
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise HTTPException(400, f"Concurrency is between 1 and {MAX_CONCURRENCY}.")
    check = form.get("check") == "on"
    try:
        batch_id, started = await run_in_threadpool(
            runs.start_batch,
            config,
            journal(request),
            path,
            playbook,
            concurrency=concurrency,
            check=check,
        )
    except ClientFileError as exc:
        raise HTTPException(400, str(exc).replace(str(path), meta["name"])) from exc
    audit(
        journal(request),
        user.name,
        "batch.start",
        batch_id,
        {
            "playbook": playbook,
            "concurrency": concurrency,
            "check": check,
            "file": meta["name"],
            "upload": upload_id,
            "pid": started.pid,
        },
    )
    return RedirectResponse(f"/batches/{batch_id}", 303)


routes: list[BaseRoute] = [
    Route("/batches/new", start_page),
    Route("/batches/new", upload, methods=["POST"]),
    Route("/batches/new/{upload_id}", check_page),
    Route("/batches/new/{upload_id}", start_batch, methods=["POST"]),
]
