"""The console's HTTP API for remote workers (issue 19): a job running on another PC raises
its OTP or captcha here, a person answers it in the Challenges page like a local one, and
the worker polls for the answer.

Every call carries ``Authorization: Bearer CREDENTIAL`` (``rpa workers add NAME`` prints it
once; the journal keeps only its SHA-256). No cookie is involved, so no CSRF token either.

``POST /api/v1/challenges`` (JSON) raises a challenge::

    {"job_id": "j20261205-1a2b3c4d", "kind": "otp" | "captcha", "client": "0512345678",
     "firm": "Acme Exports", "playbook": "renew", "prompt": "OTP sent to mobile",
     "timeout_s": 600, "channel": "mobile", "destination": "9876541234",
     "relay_to": {"email": "...", "mobile": "..."}, "otp_relay": "email",
     "image_base64": "iVBORw0..."}

``job_id``, ``kind`` and ``timeout_s`` are required; a captcha needs ``image_base64`` (a
PNG, at most 512 KB); ``destination`` is masked before it is stored. A job the office
journal does not know is recorded as running. Answer: ``201 {"id": 7, "state":
"waiting", "expires_at": 1733400000.0}``.

``GET /api/v1/challenges/{id}`` → ``{"id": 7, "state": "waiting" | "answered" |
"expired" | "refused"}``; once answered, the first GET also carries ``"answer"`` and the
console forgets it (the next GETs say ``"answer_taken": true``).
``DELETE /api/v1/challenges/{id}``: the job stopped waiting (the challenge expires).
A worker sees only its own challenges (others are 404).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rpa.challenges.base import mask_destination
from rpa.console import deps
from rpa.console.audit import audit
from rpa.console.auth import client_address
from rpa.console.pages.challenges import inbox, store
from rpa.console.pages.relay import RateLimit
from rpa.journal.challenge_store import ANSWERED, EXPIRED, WAITING, Challenge
from rpa.masking import mask

MAX_IMAGE = 512 * 1024
MAX_TIMEOUT_S = 3600.0
_JOB = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_PNG = b"\x89PNG\r\n\x1a\n"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _failures(request: Request) -> RateLimit:
    state = request.app.state
    if not hasattr(state, "api_failures"):
        state.api_failures = RateLimit(20, 10 * 60)
    limit: RateLimit = state.api_failures
    return limit


def _worker(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    name = (
        store(request).worker_for(credential.strip())
        if scheme.lower() == "bearer" and credential.strip()
        else None
    )
    if name is None:
        if not _failures(request).hit(client_address(request)):
            raise ApiError(429, "too many failed credentials from this address")
        raise ApiError(401, "a worker's bearer credential is needed (rpa workers add NAME)")
    return name


def _errors(handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except ApiError as exc:
            headers = {"www-authenticate": "Bearer"} if exc.status == 401 else None
            return JSONResponse({"error": exc.message}, status_code=exc.status, headers=headers)

    return wrapped


def _text(body: dict[str, Any], name: str, *, limit: int = 200) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ApiError(400, f"{name} must be text of at most {limit} characters")
    return value.strip() or None


async def raise_challenge(request: Request) -> Response:
    worker = _worker(request)
    try:
        body = await request.json()
    except ValueError as exc:
        raise ApiError(400, "the body must be JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    job_id = _text(body, "job_id") or ""
    kind = body.get("kind")
    if not _JOB.match(job_id):
        raise ApiError(400, "job_id: letters, digits, '_', '.' and '-' only")
    if kind not in ("otp", "captcha"):
        raise ApiError(400, "kind must be otp or captcha")
    timeout = body.get("timeout_s")
    if not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT_S:
        raise ApiError(400, f"timeout_s must be a number of seconds up to {MAX_TIMEOUT_S:g}")
    client = _text(body, "client", limit=20)
    address = _text(body, "destination")
    relay_to = body.get("relay_to") or {}
    if not isinstance(relay_to, dict) or not all(
        k in ("email", "mobile") and isinstance(v, str) and len(v) < 200
        for k, v in relay_to.items()
    ):
        raise ApiError(400, "relay_to: {email, mobile} as text")
    otp_relay = body.get("otp_relay")
    if otp_relay not in (None, "email", "sms", "none"):
        raise ApiError(400, "otp_relay must be email, sms or none")
    settings = deps.settings(request)
    artifact = None
    if kind == "captcha":
        artifact = _save_image(settings.artifacts_dir / job_id, body.get("image_base64"))
    challenges = store(request)
    challenges.ensure_job(job_id, client=client, playbook=_text(body, "playbook") or "remote")
    challenges.close_waiting(job_id, kind, EXPIRED)
    destination = address if address is None or "*" in address else mask_destination(address)
    refused = challenges.refuse_previous(job_id, kind, destination)
    prompt = _text(body, "prompt", limit=500) or ("OTP" if kind == "otp" else "Captcha")
    from rpa.challenges.console import REFUSED_NOTE

    challenge_id = challenges.describe(
        job_id,
        kind,
        prompt=mask(prompt),
        client=client,
        firm=_text(body, "firm"),
        expires_at=time.time() + float(timeout),
        provider=f"worker:{worker}",
        channel=_text(body, "channel", limit=20),
        destination=destination,
        artifact=artifact,
        relay_to={k: str(v) for k, v in relay_to.items()},
        relay_mode=otp_relay,
        note=REFUSED_NOTE[kind] if refused else None,
    )
    inbox(request).discard(job_id, kind)
    audit(
        deps.journal(request),
        f"worker:{worker}",
        "challenge-raised",
        job_id,
        {"challenge": challenge_id, "kind": kind},
    )
    found = challenges.challenge(challenge_id)
    assert found is not None
    return JSONResponse(_state(found), status_code=201)


def _save_image(folder: Any, encoded: object) -> str:
    if not isinstance(encoded, str):
        raise ApiError(400, "a captcha needs image_base64 (a PNG)")
    try:
        image = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "image_base64 is not base64") from exc
    if len(image) > MAX_IMAGE or not image.startswith(_PNG):
        raise ApiError(400, f"image_base64 must be a PNG of at most {MAX_IMAGE // 1024} KB")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"captcha-remote-{time.time_ns()}.png"
    path.write_bytes(image)
    return str(path)


def _state(challenge: Challenge) -> dict[str, Any]:
    state = challenge.status
    if state == WAITING and challenge.expired:
        state = EXPIRED
    return {"id": challenge.id, "state": state, "expires_at": challenge.expires_at}


def _own(request: Request, worker: str) -> Challenge:
    raw = request.path_params["challenge_id"]
    found = store(request).challenge(int(raw))
    if found is None or found.provider != f"worker:{worker}":
        raise ApiError(404, "no such challenge of this worker")
    return found


async def challenge_state(request: Request) -> Response:
    worker = _worker(request)
    challenge = _own(request, worker)
    body = _state(challenge)
    if challenge.status == ANSWERED:
        answer = inbox(request).take(challenge.job_id, challenge.kind)
        if answer is not None:
            body["answer"] = answer
        else:
            body["answer_taken"] = True
    return JSONResponse(body)


async def withdraw(request: Request) -> Response:
    worker = _worker(request)
    challenge = _own(request, worker)
    store(request).close(challenge.id, EXPIRED)
    inbox(request).discard(challenge.job_id, challenge.kind)
    found = store(request).challenge(challenge.id)
    assert found is not None
    return JSONResponse(_state(found))


routes: list[BaseRoute] = [
    Route("/api/v1/challenges", _errors(raise_challenge), methods=["POST"]),
    Route("/api/v1/challenges/{challenge_id:int}", _errors(challenge_state), methods=["GET"]),
    Route("/api/v1/challenges/{challenge_id:int}", _errors(withdraw), methods=["DELETE"]),
]
