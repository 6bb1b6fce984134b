"""Replay a failed job (operator and up): ``/jobs/{id}/replay``.

The form shows the client's fields as the batch's client file has them, editable for this
run only (the file is not changed); the secret fields show their REFERENCE (``env:NAME``,
``file:PATH``, ``keyring:SERVICE/NAME``), editable, never a value: a value typed in clear
is refused, and a secret written in clear in the client file is not shown (give a
reference instead). Then the step to start from, and two buttons: "Run in check mode"
(stops before submitting) and "Run for real", offered once a check-mode replay of the job
ended well. Both run ``rpa replay JOB --clients <corrected file>`` in a process of its own
(``rpa.console.runs``): the same lease and guards as every run. Each replay is audited:
who, when, which job, check or real, the step, the names of the fields changed (never a
secret, never a value of one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rpa.clients.file import load_clients
from rpa.clients.records import SECRET_FIELDS, ClientRecord, check_record
from rpa.clients.secrets import SecretRef
from rpa.console import runs
from rpa.console.audit import audit
from rpa.console.auth import Role, checked_form, require
from rpa.console.catalog import playbook_steps
from rpa.console.deps import journal, settings
from rpa.console.render import render
from rpa.errors import JournalError, RpaError
from rpa.journal import JobRow, Journal
from rpa.journal.people import People

#: The client's plain fields the form offers, with their labels.
FIELDS: tuple[tuple[str, str], ...] = (
    ("pan", "PAN"),
    ("firm_name", "Firm name"),
    ("name_as_per_pan", "Name as per PAN"),
    ("dob", "Date of birth or incorporation (YYYY-MM-DD)"),
    ("email", "Email"),
    ("mobile", "Mobile"),
    ("portal_user", "Portal username"),
    ("sign_with", "Sign with (dsc or aadhaar)"),
    ("dsc_token", "DSC token"),
    ("dsc_cert", "DSC certificate"),
    ("place", "Place of declaration"),
)
SECRET_LABELS = {
    "portal_password": "Portal password reference",
    "dsc_pin": "DSC PIN reference",
    "aadhaar": "Aadhaar number reference",
}
REPLAYABLE = {"failed", "needs-input", "interrupted"}
GOOD_CHECK = {"would-change", "ok", "changed"}


def _job(request: Request) -> JobRow:
    try:
        return journal(request).job(request.path_params["job_id"])
    except JournalError as exc:
        raise HTTPException(404, "No such job.") from exc


def _record(journal_: Journal, job: JobRow) -> tuple[ClientRecord | None, Path | None, str]:
    """The job's client as its batch's client file has it now, that file's folder, and why
    not when it cannot be read."""
    source = journal_.batch(job.batch_id).source if job.batch_id else None
    if not source:
        return None, None, "this job has no client file on record"
    try:
        loaded = load_clients(source)
    except RpaError as exc:
        return None, None, f"its client file cannot be read: {exc}"
    record = next((r for _, r in loaded.records if r.iec == job.client), None)
    if record is None:
        return None, None, f"{job.client} is not a valid client of its client file"
    return record, Path(source).resolve().parent, ""


def _last_corrected(request: Request, job: JobRow, base_dir: Path | None) -> ClientRecord | None:
    """The client as the newest replay of ``job`` from the console ran it (the form starts
    from there: the check-mode run's corrections are the real run's), or None. Read as the
    replay read it: its documents where the batch's client file has them."""
    folder = runs.replays_dir(settings(request))
    files = sorted(folder.glob(f"{job.id}-*.yaml"), key=lambda p: p.stat().st_mtime)
    if not files:
        return None
    try:
        [data] = yaml.safe_load(files[-1].read_text(encoding="utf-8"))["clients"]
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return None
    record, _ = check_record(data, base_dir=base_dir)
    return record if record is not None and record.iec == job.client else None


def _last_step(request: Request, job: JobRow) -> str | None:
    """The step the newest console replay of ``job`` started from ("" the beginning), or
    None when there was none."""
    rows = People(journal(request)).audit(target=job.id, action="job.replay", limit=1)
    return str(rows[0].detail.get("from_step") or "") if rows else None


def _checked(request: Request, job: JobRow) -> tuple[str, str | None] | None:
    """The client file and the step of the newest check-mode replay of ``job`` from the
    console that ended well (a real run must be that run), or None."""
    replays = _replays(journal(request), job)
    good = {r.id for r in replays if r.check_mode and r.status in GOOD_CHECK}
    for row in People(journal(request)).audit(target=job.id, action="job.replay"):
        if row.detail.get("check") and row.detail.get("replay") in good:
            name = str(row.detail.get("file") or "")
            path = runs.replays_dir(settings(request)) / name
            if not name or path.name != name or not path.is_file():
                return None
            step = row.detail.get("from_step")
            return path.read_text(encoding="utf-8"), str(step) if step else None
    return None


def _replays(journal_: Journal, job: JobRow) -> list[JobRow]:
    return [j for j in journal_.jobs(client=job.client) if j.replay_of == job.id]


def _shown(record: ClientRecord, name: str) -> str:
    value = getattr(record, name)
    return "" if value is None else str(getattr(value, "value", value))


def _literal(record: ClientRecord | None, name: str) -> bool:
    ref: SecretRef | None = getattr(record, name) if record else None
    return ref is not None and ref.is_literal


def _secret_shown(record: ClientRecord, name: str) -> str:
    ref: SecretRef | None = getattr(record, name)
    return "" if ref is None or ref.is_literal else str(ref)


def _context(
    request: Request,
    job: JobRow,
    record: ClientRecord | None,
    base_dir: Path | None,
    why: str,
    **extra: Any,
) -> dict[str, Any]:
    replays = _replays(journal(request), job)
    shown = (_last_corrected(request, job, base_dir) or record) if record else None
    checked = any(r.check_mode and r.status in GOOD_CHECK for r in replays)
    fields = [
        {"name": n, "label": label, "value": _shown(shown, n) if shown else ""}
        for n, label in FIELDS
    ]
    secret_fields = [
        {
            "name": n,
            "label": SECRET_LABELS[n],
            "value": _secret_shown(shown, n) if shown else "",
            "literal": _literal(shown, n),
        }
        for n in SECRET_FIELDS
    ]
    return {
        "title": f"Replay {job.id}",
        "job": job,
        "replayable": job.status in REPLAYABLE,
        "record": record,
        "why": why,
        "fields": fields,
        "secret_fields": secret_fields,
        "steps": playbook_steps(settings(request), job.playbook),
        "replays": list(reversed(replays)),
        "last_step": _last_step(request, job),
        "checked": checked,
        **extra,
    }


async def replay_page(request: Request) -> Response:
    await require(request, Role.OPERATOR)
    job = _job(request)
    record, base_dir, why = await run_in_threadpool(_record, journal(request), job)
    return render(request, "replay.html", _context(request, job, record, base_dir, why))


def _reference(name: str, given: str) -> str | None:
    """A secret field's reference as typed, or None; a value in clear is refused."""
    text = given.strip()
    if not text:
        return None
    try:
        ref = SecretRef.parse(text)
    except ValueError as exc:
        raise ValueError(f"{SECRET_LABELS[name]}: {exc}") from None
    if ref.is_literal:
        raise ValueError(
            f"{SECRET_LABELS[name]}: give a reference (env:NAME, file:PATH or "
            "keyring:SERVICE/NAME), never the secret itself"
        )
    return str(ref)


async def replay(request: Request) -> Response:
    user = await require(request, Role.OPERATOR)
    form = await checked_form(request)
    job = _job(request)
    if job.status not in REPLAYABLE:
        raise HTTPException(400, "Only a failed, unanswered or interrupted job is replayed.")
    config = settings(request)
    record, base_dir, why = await run_in_threadpool(_record, journal(request), job)
    if record is None:
        raise HTTPException(400, f"This job cannot be replayed here: {why}.")
    check = form.get("mode") != "real"
    if not check and not any(
        r.check_mode and r.status in GOOD_CHECK for r in _replays(journal(request), job)
    ):
        raise HTTPException(400, "Run the replay in check mode first.")
    data = record.model_dump(mode="json", exclude=set[str](SECRET_FIELDS))
    changed: list[str] = []
    for name, _ in FIELDS:
        given = str(form.get(name) or "").strip()
        if given != _shown(record, name):
            changed.append(name)
            data[name] = given or None
    secrets: dict[str, str | None] = {}
    problems: list[str] = []
    for name in SECRET_FIELDS:
        try:
            secrets[name] = _reference(name, str(form.get(name) or ""))
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if (secrets[name] or "") != _secret_shown(record, name):
            changed.append(name)
        elif secrets[name] is None and getattr(record, name) is not None:
            problems.append(
                f"{SECRET_LABELS[name]}: the client file has it in clear; give a reference"
            )
    step_ids = {s.id for s in playbook_steps(config, job.playbook)}
    from_step = str(form.get("from_step") or "") or None
    if from_step is not None and from_step not in step_ids:
        problems.append("Choose a step the playbook has.")
    corrected = None
    if not problems:
        with_refs = {**data, **{k: v for k, v in secrets.items() if v}}
        corrected, errors = check_record(with_refs, base_dir=base_dir)
        problems.extend(str(e) for e in errors)
    if corrected is not None and not problems and not check:
        text = runs.replay_text(corrected, secrets, base_dir=base_dir)
        if _checked(request, job) != (text, from_step):
            problems.append(
                "The details or the step are not those of the check-mode run that ended "
                "well: run in check mode again first."
            )
    if problems or corrected is None:
        context = _context(request, job, record, base_dir, why, problems=problems)
        for field in context["fields"]:  # keep what was typed (plain fields only)
            field["value"] = str(form.get(field["name"]) or "")
        return render(request, "replay.html", context, status=400)
    known = {j.id for j in _replays(journal(request), job)}
    name = f"{job.id}-{'check' if check else 'real'}-{len(known) + 1}"
    path = runs.replay_file(config, corrected, secrets, base_dir=base_dir, name=name)
    runs.start_replay(
        config, job.id, path, from_step=from_step, check=check, documents_dir=base_dir
    )
    new_id = await run_in_threadpool(
        runs.wait_for_replay, journal(request), job.id, job.client, known
    )
    audit(
        journal(request),
        user.name,
        "job.replay",
        job.id,
        {
            "replay": new_id,
            "check": check,
            "from_step": from_step,
            "changed": sorted(changed),
            "file": path.name,
        },
    )
    return RedirectResponse(f"/jobs/{job.id}/replay", 303)


routes: list[BaseRoute] = [
    Route("/jobs/{job_id}/replay", replay_page),
    Route("/jobs/{job_id}/replay", replay, methods=["POST"]),
]
