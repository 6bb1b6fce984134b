"""The challenges inbox (``/challenges``): every OTP or captcha a running job waits for.

Each waiting challenge is an article named by the client (``IEC 0512345678 · Firm``) with
where the OTP went (masked), the captcha's image, the time left, a field ("OTP" or
"Captcha") and "Submit"; for an OTP, "Send link to client" (``rpa.challenges.relay``).
The list refreshes itself (``static/challenges.js`` polls ``/challenges/items`` and adds
or drops articles, leaving what a person is typing alone); without scripts the page works
with a reload.

Operators and admins answer; a viewer sees the page and gets 403 on every POST. An
answer is handed to the waiting job through the inbox's 0600 files (never the journal)
and audited (who, when, which job and challenge: never the answer).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rpa.challenges.inbox import Inbox
from rpa.console import deps
from rpa.console.audit import audit
from rpa.console.auth import Role, User, checked_form, current_user, require
from rpa.console.render import render
from rpa.errors import ConfigError, NotifyError
from rpa.journal.challenge_store import Challenge, ChallengeStore

MAX_ANSWER = 64
#: What a redirect after a POST may say (by key: no text of the request is reflected).
SAID = {
    "answered": "Answer sent to the job.",
    "gone": "That challenge is no longer waiting (answered, expired or its job moved on).",
    "empty": "Type the answer first.",
    "relayed": "Link sent to the client.",
}


def store(request: Request) -> ChallengeStore:
    return ChallengeStore(deps.journal(request))


def inbox(request: Request) -> Inbox:
    return Inbox(deps.settings(request).data_dir / "inbox")


#: Providers that take their answer from the inbox, so the console can answer them.
ANSWERS_HERE = ("console", "queue")
ELSEWHERE = {
    "prompt": "Asked at the terminal where the job runs: answer it there.",
    "mock": "The mock portal's test side answers it.",
    "mock-outbox": "The mock portal's outbox answers it.",
}


@dataclass(frozen=True)
class Shown:
    """A waiting challenge as the page shows it; ``elsewhere`` says why the console cannot
    answer it (a job asking at its terminal), None when it can."""

    challenge: Challenge
    elsewhere: str | None = None


def shown(request: Request) -> list[Shown]:
    """The challenges someone waits for: a remote worker's, or a local job's whose process
    still waits (its inbox record is live); a crashed job's are left out."""
    records = {(r.job_id, r.kind): r for r in inbox(request).waiting_for()}
    found: list[Shown] = []
    for challenge in store(request).waiting():
        if challenge.remote:
            found.append(Shown(challenge))
            continue
        record = records.get((challenge.job_id, challenge.kind))
        if record is None or not record.alive:
            continue
        if record.provider in ANSWERS_HERE:
            found.append(Shown(challenge))
        else:
            why = ELSEWHERE.get(record.provider, f"Its {record.provider} provider answers it.")
            found.append(Shown(challenge, why))
    return found


def answerable(request: Request, challenge: Challenge) -> bool:
    """Whether an answer given here reaches a job that waits for it."""
    if challenge.remote:
        return True
    return any(
        record.kind == challenge.kind and record.provider in ANSWERS_HERE and record.alive
        for record in inbox(request).waiting_for(challenge.job_id)
    )


def _context(request: Request, user: User | None) -> dict[str, object]:
    settings = deps.settings(request)
    can_relay = bool(settings.smtp_host or settings.relay_webhook_url)
    return {
        "waiting": shown(request),
        "can_answer": bool(user and user.can(Role.OPERATOR)),
        "can_relay": can_relay,
    }


async def challenges_page(request: Request) -> Response:
    user = await require(request, Role.VIEWER)
    said = SAID.get(request.query_params.get("said", ""), "")
    error = request.query_params.get("error", "")
    context = {
        **_context(request, user),
        "recent": store(request).recent(limit=15),
        "said": said,
        "error": RELAY_ERRORS.get(error, ""),
    }
    return render(request, "challenges.html", context)


async def challenge_items(request: Request) -> Response:
    """The waiting list alone, for the page's live refresh."""
    await require(request, Role.VIEWER)
    return render(request, "challenges_items.html", _context(request, current_user(request)))


async def challenge_image(request: Request) -> Response:
    await require(request, Role.VIEWER)
    challenge = _challenge(request)
    if challenge.kind != "captcha" or not challenge.artifact:
        raise HTTPException(404, "This challenge has no image.")
    root = deps.settings(request).artifacts_dir.resolve()
    path = Path(challenge.artifact).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, "The captcha image is not in this data folder.")
    return FileResponse(path, media_type="image/png")


async def answer(request: Request) -> Response:
    user = await require(request, Role.OPERATOR)
    form = await checked_form(request)
    challenge = _challenge(request)
    given = form.get("answer")
    text = given.strip() if isinstance(given, str) else ""
    if not text or len(text) > MAX_ANSWER:
        return _back("empty", challenge.id)
    if not hand_over(request, challenge, text, by=user.name):
        return _back("gone")
    audit(
        deps.journal(request),
        user.name,
        "challenge-answered",
        challenge.job_id,
        {"challenge": challenge.id, "kind": challenge.kind, "client": challenge.client},
    )
    return _back("answered")


def hand_over(request: Request, challenge: Challenge, text: str, *, by: str) -> bool:
    """Give ``text`` to the job waiting on ``challenge``; False when it no longer waits."""
    if not answerable(request, challenge) or not store(request).answered(challenge.id, by):
        return False
    inbox(request).post(challenge.job_id, challenge.kind, text)
    return True


RELAY_ERRORS = {
    "relay-setup": "The link could not be sent: email (RPA_SMTP_HOST) or the SMS gateway "
    "(RPA_RELAY_WEBHOOK_URL) is not set up, or the client has no address for it.",
    "relay-failed": "The link could not be sent: the mail server or the gateway refused it "
    "(see the console's log).",
}


async def send_relay(request: Request) -> Response:
    user = await require(request, Role.OPERATOR)
    await checked_form(request)
    challenge = _challenge(request)
    if not challenge.waiting or challenge.kind != "otp":
        return _back("gone")
    from rpa.challenges.relay import send_link

    settings = deps.settings(request)
    try:
        sent = await asyncio.to_thread(send_link, settings, store(request), challenge, by=user.name)
    except ConfigError:
        return RedirectResponse("/challenges?error=relay-setup", 303)
    except NotifyError:
        return RedirectResponse("/challenges?error=relay-failed", 303)
    audit(
        deps.journal(request),
        user.name,
        "relay-link-sent",
        challenge.job_id,
        {"challenge": challenge.id, "via": sent.via, "to": sent.to},
    )
    return _back("relayed")


def _challenge(request: Request) -> Challenge:
    found = store(request).challenge(int(request.path_params["challenge_id"]))
    if found is None:
        raise HTTPException(404, "No such challenge.")
    return found


def _back(said: str, anchor: int | None = None) -> Response:
    where = f"/challenges?said={said}" + (f"#challenge-{anchor}" if anchor else "")
    return RedirectResponse(where, 303)


routes: list[BaseRoute] = [
    Route("/challenges", challenges_page),
    Route("/challenges/items", challenge_items),
    Route("/challenges/{challenge_id:int}/image", challenge_image),
    Route("/challenges/{challenge_id:int}/answer", answer, methods=["POST"]),
    Route("/challenges/{challenge_id:int}/relay", send_relay, methods=["POST"]),
]
