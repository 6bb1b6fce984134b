"""Two pure-ASGI middlewares: fault injection (outermost) and the JSESSIONID session.

Faults apply to portal pages and actions (``/CP/...`` and the eSign provider ``/esign/...``)
but never to ``/__mock__/*``, static files or captcha images, so that the random stream
(a ``random.Random(seed)`` per fault configuration, three draws per request, consumed in
request order) depends only on the pages and actions a client asks for.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_portal import state, wording

COOKIE = "JSESSIONID"
_CAPTCHA_IMAGES = ("/CP/captchaImage", "/CP/SimpleCaptcha")
_UNFAULTED_PREFIXES = ("/__mock__", "/CP/static/", "/esign/static/", *_CAPTCHA_IMAGES)


def is_faultable(path: str) -> bool:
    if path.startswith(_UNFAULTED_PREFIXES):
        return False
    return path.startswith(("/CP", "/esign"))


@dataclass
class FaultDecision:
    latency_s: float = 0.0
    error_status: int | None = None
    maintenance: bool = False


class FaultInjector:
    """Holds the seeded random stream of the current fault configuration."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: str | None = None
        self._rng = random.Random(0)

    def reset(self) -> None:
        with self._lock:
            self._key = None

    def _stream(self, faults: dict[str, Any]) -> random.Random:
        # the busy answers owed are counted down as they are given: not part of the key
        key = json.dumps({k: v for k, v in faults.items() if k != "busy_actions"}, sort_keys=True)
        if key != self._key:
            self._key = key
            self._rng = random.Random(faults.get("seed", 0))
        return self._rng

    def draw(self, faults: dict[str, Any]) -> FaultDecision:
        with self._lock:
            rng = self._stream(faults)
            r_latency, r_error, r_status = rng.random(), rng.random(), rng.random()
        decision = FaultDecision(maintenance=bool(faults.get("maintenance")))
        latency_ms = float(faults.get("latency_ms") or 0) + r_latency * float(
            faults.get("jitter_ms") or 0
        )
        decision.latency_s = latency_ms / 1000.0
        rate = float(faults.get("error_rate") or 0)
        statuses = list(faults.get("error_statuses") or [503])
        if r_error < rate:
            decision.error_status = int(statuses[int(r_status * len(statuses)) % len(statuses)])
        return decision

    def chance(self, faults: dict[str, Any], rate: float) -> bool:
        """One more draw from the same stream (the announcement after login)."""
        if rate <= 0:
            return False
        with self._lock:
            return bool(self._stream(faults).random() < rate)


def _take_owed_busy(conn: sqlite3.Connection, faults: dict[str, Any], scope: Scope) -> bool:
    """Whether ``faults.busy_actions`` ({actionVal: n}) owes this request's action a busy
    answer; one is counted off. (The server runs one event loop: nothing interleaves.)"""
    owed = dict(faults.get("busy_actions") or {})
    query = parse_qs(scope.get("query_string", b"").decode())
    action = (query.get("actionVal") or [""])[0]
    if not owed.get(action):
        return False
    owed[action] = int(owed[action]) - 1
    state.set_faults(
        conn,
        {k: v for k, v in faults.items() if k != "busy_actions"}
        | (
            {"busy_actions": {k: n for k, n in owed.items() if n > 0}} if any(owed.values()) else {}
        ),
    )
    return True


def _is_xhr(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"x-requested-with":
            return bool(value.decode().lower() == "xmlhttprequest")
    return False


def _fault_page(title: str, text: str, status: int, xhr: bool) -> HTMLResponse:
    body = (
        f'<div class="fault-page" id="faultPage" data-status="{status}">'
        f'<h1 class="fault-title">{title}</h1><p class="fault-text">{text}</p>'
        f'<p class="fault-status">HTTP {status}</p></div>'
    )
    if not xhr:
        body = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | DGFT'
            '</title><link rel="stylesheet" href="/CP/static/portal.css"></head><body>'
            f'<main id="mainSectionWrap">{body}</main></body></html>'
        )
    return HTMLResponse(body, status_code=status)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, *, db_path: str, injector: FaultInjector) -> None:
        self.app = app
        self.db_path = db_path
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_faultable(scope["path"]):
            await self.app(scope, receive, send)
            return
        conn = state.connect(self.db_path)
        try:
            faults = state.get_faults(conn)
            owed = _take_owed_busy(conn, faults, scope)
        finally:
            conn.close()
        if not faults:
            await self.app(scope, receive, send)
            return
        decision = self.injector.draw(faults)
        if owed:
            decision.error_status = 503
        if decision.latency_s > 0:
            await asyncio.sleep(decision.latency_s)
        xhr = _is_xhr(scope)
        if decision.maintenance:
            page = _fault_page(wording.MAINTENANCE_TITLE, wording.MAINTENANCE, 503, xhr)
            await page(scope, receive, send)
            return
        if decision.error_status is not None:
            status = decision.error_status
            page = _fault_page(wording.SERVER_BUSY_TITLE, wording.SERVER_BUSY, status, xhr)
            await page(scope, receive, send)
            return
        await self.app(scope, receive, send)


@dataclass
class Session:
    id: str
    email: str | None
    csrf: str
    data: dict[str, Any] = field(default_factory=dict)
    timed_out: bool = False
    is_new: bool = False


class SessionMiddleware:
    """Loads (or starts) the JSESSIONID session into ``scope["state"]["session"]``.

    A logged-in session idle for longer than the TTL (``faults.session_ttl_s`` if set, else
    the app's ``session_ttl_s``), or logged in longer than ``faults.session_max_age_s`` ago,
    is dropped and replaced by an anonymous one marked ``timed_out``; anonymous sessions do
    not expire.
    """

    def __init__(self, app: ASGIApp, *, db_path: str, session_ttl_s: float) -> None:
        self.app = app
        self.db_path = db_path
        self.session_ttl_s = session_ttl_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith(("/CP", "/esign"))
            or path.startswith(("/CP/static/", "/esign/static/", *_CAPTCHA_IMAGES))
        ):
            await self.app(scope, receive, send)
            return
        session = self._load(scope)
        scope.setdefault("state", {})["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.is_new:
                headers = MutableHeaders(scope=message)
                already = any(v.startswith(f"{COOKIE}=") for v in headers.getlist("set-cookie"))
                if not already:
                    headers.append("set-cookie", cookie_header(session.id))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _expired(self, conn: Any, row: Any) -> bool:
        """Idle past the TTL, or (fault ``session_max_age_s``) logged in too long ago."""
        faults = state.get_faults(conn)
        ttl = float(faults.get("session_ttl_s") or self.session_ttl_s)
        now = time.time()
        if now - row["last_seen"] > ttl:
            return True
        max_age = faults.get("session_max_age_s")
        if not max_age:
            return False
        return bool(now - row["started"] > float(max_age))

    def _load(self, scope: Scope) -> Session:
        sid = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                jar.load(value.decode("latin-1"))
                if COOKIE in jar:
                    sid = jar[COOKIE].value
        conn = state.connect(self.db_path)
        try:
            row = state.get_session(conn, sid) if sid else None
            timed_out = False
            if row is not None and row["email"] and self._expired(conn, row):
                state.delete_session(conn, row["id"])
                row, timed_out = None, True
            if row is None:
                row = state.new_session(conn)
                return Session(row["id"], None, row["csrf"], {}, timed_out, True)
            state.touch_session(conn, row["id"])
            return Session(row["id"], row["email"], row["csrf"], json.loads(row["data"]))
        finally:
            conn.close()


def cookie_header(sid: str) -> str:
    return f"{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"
