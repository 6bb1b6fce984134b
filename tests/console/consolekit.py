"""Helpers for the console's tests (the fixtures are in conftest.py): a real uvicorn
server in a thread on a free port, over a temporary data folder, with a user of each role.

- ``console`` (module scope): a ``ConsoleServer``: ``url``, ``settings``, ``journal`` (its
  own connection, to seed jobs through ``rpa.journal``'s API), ``users`` (role → name),
  ``passwords`` (role → password), ``http(role)`` (an httpx client already signed in, and
  its CSRF token), ``secrets`` (the planted secrets no page may show; add yours).
- ``signed_in(page, role)``: signs ``page`` in through the sign-in form, as a person does.
- Every response the server sends is scanned for the planted secrets as it is sent
  (``SecretScanner``); the autouse ``no_secret_in_any_page`` fails the test during which a
  page showed one.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from mock_portal.server import free_port, serve_in_thread
from rpa.config import Settings, load_settings
from rpa.console.app import create_app
from rpa.console.auth import COOKIE, SESSION_TTL_S, _token_hash, hash_password
from rpa.journal import Journal
from rpa.journal.people import People

ROLES = ("viewer", "operator", "admin")
USERS = {"viewer": "vera", "operator": "omar", "admin": "ada"}
#: Secrets the fixtures plant: no page may ever show one.
PLANTED_PIN = "58274619"
PLANTED_OTP = "604917"


#: Every scanner of this test session: what each console served, and any secret it showed.
SCANNERS: list[SecretScanner] = []


class SecretScanner:
    """ASGI middleware: looks for each planted secret in every response body it sends."""

    def __init__(self, app: Any, secrets: set[str]) -> None:
        self.app = app
        self.secrets = secrets
        self.found: list[str] = []  # "path: which secret"
        self.pages = 0
        SCANNERS.append(self)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        tail = b""  # the end of the previous chunk: a secret split across two chunks

        async def scanning_send(message: Any) -> None:
            nonlocal tail
            if message["type"] == "http.response.body":
                chunk = tail + message.get("body", b"")
                for secret in self.secrets:
                    if secret.encode() in chunk:
                        self.found.append(f"{path}: {secret[:2]}…")
                tail = chunk[-64:]
                if not message.get("more_body"):
                    self.pages += 1
            await send(message)

        await self.app(scope, receive, scanning_send)


@dataclass
class ConsoleServer:
    url: str
    settings: Settings
    journal: Journal
    app: Any
    scanner: SecretScanner
    users: dict[str, str] = field(default_factory=lambda: dict(USERS))
    passwords: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    _stop: Callable[[], None] | None = None

    def http(self, role: str) -> tuple[httpx.Client, str]:
        """An httpx client signed in as ``role``'s user (a session made in the journal),
        and that session's CSRF token."""
        token, csrf = random.token_urlsafe(32), random.token_urlsafe(32)
        People(self.journal).add_session(_token_hash(token), USERS[role], csrf, SESSION_TTL_S)
        client = httpx.Client(base_url=self.url, cookies={COOKIE: token}, timeout=30)
        return client, csrf

    def stop(self) -> None:
        if self._stop:
            self._stop()


def start_console(data_dir: Path, **settings: Any) -> ConsoleServer:
    """A console over ``data_dir`` on a free port, with a user of each role."""
    config = load_settings({"data_dir": data_dir, **settings}, env_file=None)
    journal = Journal(config.journal_path)
    people = People(journal)
    passwords = {role: f"pw-{role}-{random.token_hex(6)}" for role in ROLES}
    for role in ROLES:
        people.put_user(USERS[role], role, hash_password(passwords[role]))
    planted = {*passwords.values(), PLANTED_PIN, PLANTED_OTP}
    app = create_app(config)
    scanner = SecretScanner(app, planted)
    port = free_port()
    server, thread = serve_in_thread(scanner, "127.0.0.1", port, "console")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        journal.close()

    return ConsoleServer(
        url=f"http://127.0.0.1:{port}",
        settings=config,
        journal=journal,
        app=app,
        scanner=scanner,
        passwords=passwords,
        secrets=planted,
        _stop=stop,
    )


def sign_in(page: Page, server: ConsoleServer, role: str) -> Page:
    """Sign ``page`` in as ``role``'s user through the sign-in form."""
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill(USERS[role])
    page.get_by_label("Password").fill(server.passwords[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


#: A client file with firm names (the examples'): IEC → firm as the console shows them.
EXAMPLE_CLIENTS = Path(__file__).resolve().parents[2] / "examples" / "clients.csv"
FIRMS = {
    "AABCB4821K": "Bharat Spices Exports Pvt Ltd",
    "0395012847": "Kaveri Handlooms",
    "AAJFG2290M": "Ganga Agro Foods LLP",
    "0507004412": "Mehta & Sons",
}


@dataclass(frozen=True)
class Seeded:
    """One client of a seeded batch: how its job ends (``pending``/``running`` or an
    outcome), with its error code and result."""

    client: str
    outcome: str
    code: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    step: str | None = None


def seed_batch(
    journal: Journal,
    clients: list[Seeded],
    *,
    playbook: str = "renew",
    source: Path | None = EXAMPLE_CLIENTS,
    not_run: list[dict[str, Any]] | None = None,
    status: str = "running",
) -> tuple[str, list[str]]:
    """A batch of ``clients`` in the journal, through its API; its id and its job ids."""
    options = {"not_run": not_run} if not_run else {}
    batch = journal.create_batch(playbook, source=str(source) if source else None, options=options)
    jobs = []
    for row, seeded in enumerate(clients, start=1):
        job = journal.add_job(playbook, client=seeded.client, batch_id=batch, row=row)
        jobs.append(job)
        if seeded.outcome == "pending":
            continue
        journal.job_started(job)
        if seeded.step:
            journal.step_started(job, seeded.step, kind="click")
        if seeded.outcome == "running":
            continue
        failed = seeded.outcome in ("failed", "needs-input")
        journal.job_finished(
            job,
            seeded.outcome,
            duration_s=42.0,
            result=seeded.result,
            error=seeded.error or ("it failed" if failed else None),
            error_code=seeded.code,
            error_kind="business" if failed else None,
        )
    if status != "running":
        journal.set_batch_status(batch, status)
    return batch, jobs
