"""The console's app factory: ``create_app(settings)`` → a Starlette app over the journal.

Each page module exports ``routes: list[BaseRoute]``; this module only gathers them, opens
the journal, adds the security headers and maps errors to pages (signed out: a redirect to
/login; 403/404: a page saying so). ``relay_only=True`` builds the small app of the OTP
relay pages alone, for a listener of its own (``rpa serve --relay-port``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rpa.config import Settings
from rpa.console.auth import SignInNeeded, Throttle, login_redirect
from rpa.journal.people import People
from rpa.journal.store import Journal

STATIC_DIR = Path(__file__).parent / "static"

#: Sent with every response. Scripts only from the console itself (no inline script), no
#: framing, no referrer leaking a job id to another site.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class SecurityHeaders:
    """Pure ASGI middleware (it does not buffer, so server-sent events stream through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _console_routes() -> list[BaseRoute]:
    """Every page module's routes (each owner adds its module's line here)."""
    from rpa.console import auth
    from rpa.console.pages import api, batches, challenges, clients, jobs, replay, reports, start

    # C's pages, before batches': /batches/new is not a batch id
    mine = [*start.routes, *replay.routes, *clients.routes, *reports.routes]
    from rpa.console.pages import audit_trail

    return [
        *auth.routes,
        *mine,
        *batches.routes,
        *jobs.routes,
        *challenges.routes,
        *api.routes,
        *audit_trail.routes,
    ]


def _relay_routes() -> list[BaseRoute]:
    """The OTP relay's pages (a client's phone reaches only these)."""
    from rpa.console.pages import relay

    return [*relay.routes]


async def _home(request: Request) -> Response:
    return RedirectResponse("/batches", 303)


async def _signed_out(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    if request.url.path.startswith("/api/") or request.method != "GET":
        return JSONResponse({"error": "sign in first"}, status_code=401)
    return login_redirect(exc.next_path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    from rpa.console.render import render

    titles = {403: "Not allowed", 404: "Not found", 405: "Not allowed", 429: "Too many tries"}
    return render(
        request,
        "error.html",
        {"title": titles.get(exc.status_code, "Error"), "detail": exc.detail},
        status=exc.status_code,
    )


def create_app(
    settings: Settings, *, relay_only: bool = False, throttle: Throttle | None = None
) -> Starlette:
    """The console (or, with ``relay_only``, only the relay pages) over ``settings``'
    journal. ``throttle`` replaces the default sign-in throttle (tests)."""
    journal = Journal(settings.journal_path)
    routes: list[BaseRoute] = list(_relay_routes())
    if not relay_only:
        routes += [Route("/", _home), *_console_routes()]
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"))
    handlers: dict[Any, Any] = {SignInNeeded: _signed_out, HTTPException: _http_error}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        journal.close()

    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.state.settings = settings
    app.state.journal = journal
    app.state.people = People(journal)
    app.state.throttle = throttle or Throttle()
    app.state.relay_only = relay_only
    app.state.closing = threading.Event()  # set when the server stops: live streams end
    app.add_middleware(SecurityHeaders)
    return app
