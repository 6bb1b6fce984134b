"""The portal's request plumbing: the action registry, ``/CP/web`` and ``/CP/webHP``.

Like the real portal, server actions are addressed as
``/CP/web?requestType=ApplicationRH&actionVal=<action>`` (logged-in area; a few actions such as
``checkLogin`` work without a login) and ``/CP/webHP?...&actionVal=<action>`` (public).
Each area module registers its actions with :func:`action`. A handler gets a :class:`Ctx`
and returns a response, usually ``ctx.render(fragment)``: an HTML fragment for the page's
JavaScript (``X-Requested-With: XMLHttpRequest``), or the fragment inside the full page
shell for a plain navigation. Every POST must carry the session's CSRF token (header
``X-CSRF-TOKEN`` or form field ``_csrf``) or it is refused with 403.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mock_portal import state, wording
from mock_portal.middleware import FaultInjector, Session, cookie_header

TEMPLATES = Path(__file__).parent / "templates"
MAX_PART = 20 * 1024 * 1024

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def web_url(action_val: str, **params: Any) -> str:
    query = {"requestType": "ApplicationRH", "actionVal": action_val, **params}
    return "/CP/web?" + urlencode({k: v for k, v in query.items() if v is not None})


def webhp_url(action_val: str, **params: Any) -> str:
    query = {"requestType": "ApplicationRH", "actionVal": action_val, **params}
    return "/CP/webHP?" + urlencode({k: v for k, v in query.items() if v is not None})


LOGIN_URL = webhp_url("loginPage")
DASHBOARD_URL = web_url("dashboard")


def _ddmmyyyy(value: str | None) -> str:
    from mock_portal.eiec import display_date

    return display_date(value)


def _address(addr: dict[str, Any] | None) -> str:
    from mock_portal.eiec import address_lines

    return address_lines(addr or {}) or "-"


env.globals.update(W=wording, web_url=web_url, webhp_url=webhp_url)
env.filters.update(ddmmyyyy=_ddmmyyyy, address=_address)


@dataclass
class Settings:
    db_path: str
    test_mode: bool = False
    embridge_url: str = "http://127.0.0.1:26769"
    session_ttl_s: float = 900.0
    #: Where the signing page looks for emBridge while the fault ``embridge_down`` is on.
    closed_embridge_url: str = "http://127.0.0.1:9"
    injector: FaultInjector = field(default_factory=FaultInjector)


Handler = Callable[["Ctx"], Awaitable[Response]]


@dataclass
class Action:
    name: str
    handler: Handler
    login: bool
    methods: tuple[str, ...]


ACTIONS: dict[str, Action] = {}


def action(
    name: str, *, login: bool = True, methods: tuple[str, ...] = ("GET", "POST")
) -> Callable[[Handler], Handler]:
    """Register a handler for ``actionVal=name``. ``login=False`` makes it public."""

    def register(handler: Handler) -> Handler:
        ACTIONS[name] = Action(name, handler, login, methods)
        return handler

    return register


@dataclass
class Ctx:
    request: Request
    conn: sqlite3.Connection
    session: Session
    settings: Settings
    form: FormData
    now: datetime
    xhr: bool
    user: sqlite3.Row | None = None
    extra_cookies: list[str] = field(default_factory=list)

    # --- reading the request ---

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name)
        if value is None:
            value = self.request.query_params.get(name, default)
        return value.strip() if isinstance(value, str) else default

    def upload(self, name: str) -> UploadFile | None:
        value = self.form.get(name)
        if isinstance(value, UploadFile) and value.filename:
            return value
        return None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def data(self) -> dict[str, Any]:
        """The session's data, saved after the handler returns."""
        return self.session.data

    @property
    def email(self) -> str:
        assert self.session.email is not None
        return self.session.email

    def embridge_url(self) -> str:
        if state.get_faults(self.conn).get("embridge_down"):
            return self.settings.closed_embridge_url
        return self.settings.embridge_url

    # --- answering ---

    def render(
        self,
        template: str,
        *,
        title: str,
        breadcrumb: list[tuple[str, str | None]] | None = None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        ctx = {
            "title": title,
            "breadcrumb": breadcrumb or [],
            "csrf": self.session.csrf,
            "user": self.user,
            "now": self.now,
            **context,
        }
        fragment = env.get_template(template).render(ctx)
        if self.xhr:
            return HTMLResponse(fragment, status_code=status)
        announcement = self.data.pop("announcement", False)
        page = env.get_template("shell.html").render(
            ctx, fragment=fragment, announcement=announcement, logged_in=self.user is not None
        )
        return HTMLResponse(page, status_code=status)

    def redirect(self, url: str) -> Response:
        """A redirect the page's JavaScript follows (``X-Redirect``), or a plain 303."""
        if self.xhr:
            return Response(status_code=200, headers={"X-Redirect": url})
        return RedirectResponse(url, status_code=303)

    def json(self, payload: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(payload, status_code=status)

    def start_session(self, email: str | None) -> None:
        """Replace the session (new id and CSRF token) at login and logout."""
        state.delete_session(self.conn, self.session.id)
        row = state.new_session(self.conn, email)
        self.session = Session(row["id"], email, row["csrf"], {}, False, False)
        self.extra_cookies.append(cookie_header(row["id"]))


def _is_xhr(request: Request) -> bool:
    return request.headers.get("x-requested-with", "").lower() == "xmlhttprequest"


def refuse_csrf(xhr: bool) -> HTMLResponse:
    body = (
        f'<div class="alert alert-danger" role="alert" id="csrfError">{wording.CSRF_REFUSED}</div>'
    )
    if not xhr:
        body = f"<!doctype html><html><body><h1>403 Forbidden</h1>{body}</body></html>"
    return HTMLResponse(body, status_code=403)


async def read_form(request: Request) -> FormData:
    if request.method != "POST":
        return FormData()
    return await request.form(max_part_size=MAX_PART)


def csrf_ok(request: Request, form: FormData, session: Session) -> bool:
    token = request.headers.get("x-csrf-token") or form.get("_csrf") or ""
    if not token:
        token = request.query_params.get("_csrf", "")
    return isinstance(token, str) and token == session.csrf


def not_found() -> HTMLResponse:
    return HTMLResponse("<h1>404 Not Found</h1>", status_code=404)


async def _dispatch(
    request: Request, *, public_endpoint: bool, name_override: str | None = None
) -> Response:
    settings: Settings = request.app.state.settings
    session: Session = request.state.session
    xhr = _is_xhr(request)
    form = await read_form(request)
    name = (
        name_override or request.query_params.get("actionVal") or str(form.get("actionVal") or "")
    )
    embridge_action = (
        name in ("encryptEmbridgeRequest", "decryptEmbridgeResponse") and not public_endpoint
    )
    act = ACTIONS.get(name)
    if request.method == "POST" and not csrf_ok(request, form, session):
        # A form posted after its session timed out carries the old session's token: the
        # portal answers the timeout (below), as the real one does, not a CSRF refusal.
        needs_login = embridge_action or (act is not None and act.login)
        if not (session.timed_out and needs_login):
            return refuse_csrf(xhr)
    if embridge_action:
        return await _embridge_action(name, form, session)
    if act is None or request.method not in act.methods or (public_endpoint and act.login):
        return not_found()
    conn = state.connect(settings.db_path)
    try:
        ctx = Ctx(request, conn, session, settings, form, state.now(conn), xhr)
        if session.email:
            ctx.user = state.get_user(conn, session.email)
        if act.login and ctx.user is None:
            reason = "timeout" if session.timed_out else "login"
            response = ctx.redirect(webhp_url("loginPage", msg=reason))
        elif (
            act.login
            and ctx.user is not None
            and ctx.user["must_change_password"]
            and name not in ("changePassword", "logout")
        ):
            response = ctx.redirect(web_url("changePassword"))
        else:
            response = await act.handler(ctx)
        state.save_session(conn, ctx.session.id, ctx.session.data)
        for cookie in ctx.extra_cookies:
            response.headers.append("set-cookie", cookie)
        return response
    finally:
        await form.close()
        conn.close()


async def _embridge_action(name: str, form: FormData, session: Session) -> Response:
    if session.email is None:
        return JSONResponse({"status": 0, "errorMessage": wording.SESSION_TIMED_OUT}, 401)
    from mock_portal import embridge

    plain = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        result = embridge.handle_portal_action(name, plain)
    except embridge.EnvelopeError:  # tampered or malformed: the client's fault, not ours
        return JSONResponse({"status": 0, "errorMessage": "Invalid request"}, 400)
    if result is None:
        return not_found()
    return JSONResponse(result)


async def web_endpoint(request: Request) -> Response:
    return await _dispatch(request, public_endpoint=False)


async def webhp_endpoint(request: Request) -> Response:
    return await _dispatch(request, public_endpoint=True)


async def home_endpoint(request: Request) -> Response:
    """``/CP/``, ``/CP/index.jsp``: the landing page, or a public page by ``?opt=<slug>``."""
    return await _dispatch(request, public_endpoint=True, name_override="home")
