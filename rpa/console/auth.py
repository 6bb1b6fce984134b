"""Sign-in, sessions, roles and CSRF for the console.

- **Passwords** are hashed with scrypt (``hashlib.scrypt``: memory-hard, in the standard
  library), ``scrypt$n$r$p$salt$key``, and checked in constant time.
- **Sessions**: a random 256-bit token in the cookie ``rpa_session`` (HttpOnly,
  SameSite=Lax, Secure when the console is reached over https); the journal keeps only its
  SHA-256 (``rpa.journal.people``), so a copy of the journal signs nobody in.
- **CSRF**: each session has its own token; every POST carries it (a form field
  ``csrf_token`` or the header ``X-CSRF-Token``) and ``checked_form`` refuses a POST
  without it, or with another, with 403. The sign-in form, before a session exists, uses
  a double-submit cookie.
- **Throttling**: after ``THROTTLE_TRIES`` failed sign-ins of one username from one
  address within ``THROTTLE_WINDOW_S``, that pair is refused (429) until the window has
  passed, even with the right password.
- **Roles** are enforced here, on the server: ``require(request, Role.OPERATOR)`` raises
  403 for a viewer. viewer < operator < admin.

The pages: ``GET/POST /login`` and ``POST /logout`` (``routes``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rpa.console.audit import audit
from rpa.console.deps import journal, people
from rpa.journal.people import SessionRow

COOKIE = "rpa_session"
LOGIN_CSRF_COOKIE = "rpa_login_csrf"
SESSION_TTL_S = 12 * 3600
THROTTLE_TRIES = 5
THROTTLE_WINDOW_S = 15 * 60
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
_UNSET = object()


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    def can(self, needed: Role) -> bool:
        return self.role.allows(needed)


class SignInNeeded(Exception):
    """Raised by ``require`` when nobody is signed in; the app redirects to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


# -- passwords -----------------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_MAXMEM
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(key)
        got = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the user does not exist, so that an unknown name takes
    as long to refuse as a wrong password (no user enumeration by timing)."""
    return hash_password(secrets.token_hex(8))


# -- throttling ----------------------------------------------------------------------------


class Throttle:
    """Failed sign-ins per (username, address), kept in memory for the window."""

    def __init__(self, tries: int = THROTTLE_TRIES, window_s: float = THROTTLE_WINDOW_S) -> None:
        self.tries = tries
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        cutoff = time.monotonic() - self.window_s
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures

    def blocked_for(self, username: str, address: str) -> float:
        """Seconds until ``username`` may try again from ``address``; 0 when it may now."""
        failures = self._recent((username.casefold(), address))
        if len(failures) < self.tries:
            return 0.0
        return max(1.0, failures[0] + self.window_s - time.monotonic())

    def failed(self, username: str, address: str) -> None:
        self._recent((username.casefold(), address)).append(time.monotonic())

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop((username.casefold(), address), None)


# -- sessions ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session(request: Request) -> tuple[SessionRow, User] | None:
    """The request's live session and user (looked up once per request)."""
    cached = getattr(request.state, "console_session", _UNSET)
    if cached is not _UNSET:
        return cast("tuple[SessionRow, User] | None", cached)
    found: tuple[SessionRow, User] | None = None
    token = request.cookies.get(COOKIE)
    if token:
        row = people(request).session(_token_hash(token))
        if row is not None:
            session, user_row = row
            try:
                found = session, User(user_row.name, Role(user_row.role))
            except ValueError:
                found = None
    request.state.console_session = found
    return found


def current_user(request: Request) -> User | None:
    """Who is signed in on this request, or None."""
    found = _session(request)
    return found[1] if found else None


async def require(request: Request, role: Role = Role.VIEWER) -> User:
    """The signed-in user, when their role is at least ``role``. Signed out: a redirect
    to /login (``SignInNeeded``); a lower role: 403."""
    user = current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target)
    if not user.can(role):
        raise HTTPException(403, f"This needs the {role.value} role; you are a {user.role}.")
    return user


def csrf_token(request: Request) -> str:
    """The CSRF token forms of this session carry ('' when signed out)."""
    found = _session(request)
    return found[0].csrf if found else ""


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token matches the session's; 403 otherwise (also
    when nobody is signed in)."""
    form = await request.form()
    given = form.get("csrf_token") or request.headers.get("x-csrf-token") or ""
    expected = csrf_token(request)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise HTTPException(403, "The form's security token is missing or wrong; reload the page.")
    return form


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


# -- pages ---------------------------------------------------------------------------------


def _safe_next(value: Any) -> str:
    """Only a path of this site (never ``//host`` or a URL) is followed after sign-in."""
    text = value if isinstance(value, str) else ""
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return "/"
    return text


def _login_page(
    request: Request, *, error: str = "", username: str = "", status: int = 200
) -> Response:
    from rpa.console.render import render

    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "error": error,
            "username": username,
            "login_csrf": token,
            "next": _safe_next(request.query_params.get("next", "/")),
        },
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/login",
    )
    return response


async def login_form(request: Request) -> Response:
    if current_user(request) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next", "/")), 303)
    return _login_page(request)


async def login(request: Request) -> Response:
    form = await request.form()
    given = form.get("csrf_token")
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not isinstance(given, str) or not hmac.compare_digest(given, cookie):
        raise HTTPException(403, "The sign-in form's security token is missing or wrong.")
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    address = client_address(request)
    throttle: Throttle = request.app.state.throttle
    wait = throttle.blocked_for(username, address)
    if wait:
        minutes = max(1, round(wait / 60))
        return _login_page(
            request,
            error=f"Too many failed sign-ins. Try again in about {minutes} minute(s).",
            username=username,
            status=429,
        )
    row = people(request).user(username) if username else None
    good = verify_password(password, row.password_hash if row else _dummy_hash())
    if row is None or row.disabled or not good:
        throttle.failed(username, address)
        return _login_page(
            request, error="Wrong username or password.", username=username, status=401
        )
    throttle.succeeded(username, address)
    token = secrets.token_urlsafe(32)
    people(request).add_session(
        _token_hash(token), row.name, secrets.token_urlsafe(32), SESSION_TTL_S
    )
    audit(journal(request), row.name, "signed-in", None, {"from": address})
    response = RedirectResponse(_safe_next(form.get("next")), 303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    user = await require(request)
    await checked_form(request)
    token = request.cookies.get(COOKIE, "")
    people(request).end_session(_token_hash(token))
    audit(journal(request), user.name, "signed-out", None)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


def login_redirect(next_path: str) -> Response:
    return RedirectResponse(f"/login?next={quote(next_path, safe='/')}", 303)


routes: list[BaseRoute] = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
