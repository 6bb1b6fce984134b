"""The OTP relay page a client's link opens (``/r/TOKEN``): "Enter the OTP sent to
******1234 for <firm>", one field "OTP", one button "Submit", nothing else (no nav, no job,
no IEC). These are the only routes of ``create_app(settings, relay_only=True)``, which
``rpa serve --relay-port`` serves on a listener of its own for the internet.

The token is the credential: 256 random bits, found by its SHA-256, spent by one answer,
dead when the OTP's wait ends. An unknown, spent or expired link gets 410 and the same
page for all three. Requests are rate-limited per address (``PER_ADDRESS`` in
``WINDOW_S``) and a link's page may be opened ``PER_TOKEN`` times; past that, 429.
The answer goes to the waiting job through the inbox, like an operator's, and is audited
as answered by ``client (relay link)``.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rpa.console import deps
from rpa.console.audit import audit
from rpa.console.auth import client_address
from rpa.console.pages.challenges import hand_over, store
from rpa.console.render import environment
from rpa.journal.challenge_store import Challenge, token_hash

PER_ADDRESS = 30
WINDOW_S = 10 * 60
PER_TOKEN = 10
RELAY_BY = "client (relay link)"
_OTP = re.compile(r"^[A-Za-z0-9]{4,10}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class RateLimit:
    """At most ``limit`` hits per key in ``window_s`` (in memory: one console process)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count a hit; False when ``key`` is over its limit."""
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10_000:  # forget idle keys now and then
                self._hits = {k: q for k, q in self._hits.items() if q and now - q[-1] < 60}
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


def _limits(request: Request) -> tuple[RateLimit, RateLimit]:
    state = request.app.state
    if not hasattr(state, "relay_limits"):
        state.relay_limits = (RateLimit(PER_ADDRESS, WINDOW_S), RateLimit(PER_TOKEN, WINDOW_S))
    limits: tuple[RateLimit, RateLimit] = state.relay_limits
    return limits


def _page(state: str, challenge: Challenge | None = None, status: int = 200) -> Response:
    html = environment().get_template("relay.html").render(state=state, challenge=challenge)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8")


def _live(request: Request) -> tuple[str, Challenge] | None:
    """The token and its challenge, when the link is good: known, unspent, unexpired and
    its OTP still waited for."""
    per_address, per_token = _limits(request)
    if not per_address.hit(client_address(request)):
        raise HTTPException(429, "Too many tries from this address; wait a few minutes.")
    token = str(request.path_params["token"])
    if not _TOKEN.match(token):
        return None
    if not per_token.hit(token_hash(token)):
        raise HTTPException(429, "Too many tries with this link; wait a few minutes.")
    link = store(request).relay_link(token)
    if link is None or link.used_at is not None or link.expires_at <= time.time():
        return None
    challenge = store(request).challenge(link.challenge_id)
    if challenge is None or not challenge.waiting:
        return None
    return token, challenge


async def relay_page(request: Request) -> Response:
    found = _live(request)
    if found is None:
        return _page("gone", status=410)
    return _page("ask", found[1])


async def relay_answer(request: Request) -> Response:
    found = _live(request)
    if found is None:
        return _page("gone", status=410)
    token, challenge = found
    form = await request.form()
    given = form.get("otp")
    otp = re.sub(r"\s+", "", given) if isinstance(given, str) else ""
    if not _OTP.match(otp):
        return _page("bad", challenge, status=400)
    if not store(request).use_relay_token(token):
        return _page("gone", status=410)
    if not hand_over(request, challenge, otp, by=RELAY_BY):
        return _page("gone", status=410)
    audit(
        deps.journal(request),
        RELAY_BY,
        "challenge-answered",
        challenge.job_id,
        {"challenge": challenge.id, "kind": "otp", "client": challenge.client},
    )
    return _page("done", challenge)


routes: list[BaseRoute] = [
    Route("/r/{token}", relay_page),
    Route("/r/{token}", relay_answer, methods=["POST"]),
]
