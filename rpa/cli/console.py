"""The office console from the command line: ``rpa serve`` and ``rpa users``.

- ``rpa serve [--host 127.0.0.1] [--port 8750]`` runs the console (``rpa.console``) with
  uvicorn over this data folder's journal and prints its URL. ``--ssl-certfile`` and
  ``--ssl-keyfile`` serve it over https (then the session cookie is Secure).
- ``rpa users add NAME --role viewer|operator|admin`` adds a user or replaces one's role
  and password (which ends their sessions); the password is asked twice without echo, or
  read from the first line of stdin with ``--password-stdin`` (scripts, tests).
  ``rpa users list`` and ``rpa users disable NAME``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rpa.cli.app import EXIT_FAILED, app, console, fail, state

users_app = typer.Typer(help="People who may sign in to the console.", no_args_is_help=True)
app.add_typer(users_app, name="users")

ROLES = ("viewer", "operator", "admin")
MIN_PASSWORD = 10


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the console")] = 8750,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM): serve over https")
    ] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM)")] = None,
    relay_port: Annotated[
        int | None,
        typer.Option(help="Also serve only the OTP relay pages on this port (to expose them)"),
    ] = None,
    relay_host: Annotated[
        str, typer.Option(help="Address of the relay listener (its reverse proxy's side)")
    ] = "127.0.0.1",
) -> None:
    """Run the office console: watch batches, answer challenges, replay failures."""
    from rpa.console.app import create_app

    settings = state.settings()
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise fail("give both --ssl-certfile and --ssl-keyfile, or neither")
    application = create_app(settings)
    people = application.state.people
    scheme = "https" if ssl_certfile else "http"
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    console.print(f"Console: {scheme}://{shown_host}:{port}/  (data: {settings.data_dir})")
    if not people.users():
        console.print("No users yet: add one with  rpa users add NAME --role admin", style="yellow")
    from rpa.console.serving import Heartbeat, Listener, run

    listeners = [Listener(application, host, port)]
    relay_url = None
    if relay_port is not None:
        relay_url = f"{scheme}://{relay_host}:{relay_port}"
        console.print(f"OTP relay pages only: {relay_url}/r/…")
        listeners.append(Listener(create_app(settings, relay_only=True), relay_host, relay_port))
    beat = Heartbeat(settings.data_dir, f"{scheme}://{shown_host}:{port}", relay_url).start()
    try:
        run(
            listeners,
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        )
    finally:
        beat.stop()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise fail("the two passwords differ")
    return first


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="The sign-in name")],
    role: Annotated[str, typer.Option(help="viewer | operator | admin")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Add a user (or replace one's role and password)."""
    from rpa.console.audit import audit
    from rpa.console.auth import hash_password
    from rpa.journal import Journal
    from rpa.journal.people import People

    if role not in ROLES:
        raise fail(f"unknown role {role!r}: choose viewer, operator or admin")
    name = name.strip()
    if not name or any(ch.isspace() for ch in name) or len(name) > 64:
        raise fail("a user name is 1-64 characters without spaces")
    password = _read_password(password_stdin)
    if len(password) < MIN_PASSWORD:
        raise fail(f"the password is too short: at least {MIN_PASSWORD} characters")
    journal = Journal(state.settings().journal_path)
    try:
        new = People(journal).put_user(name, role, hash_password(password))
        audit(journal, f"cli:{_os_user()}", "user-added" if new else "user-changed", name,
              {"role": role})  # fmt: skip
    finally:
        journal.close()
    console.print(f"{'Added' if new else 'Changed'} {name} ({role}).")


@users_app.command("list")
def list_users() -> None:
    """The console's users and their roles."""
    from rpa.journal import Journal
    from rpa.journal.people import People

    journal = Journal.for_reading(state.settings(keep_log=False).journal_path)
    try:
        for user in People(journal).users():
            flag = "  (disabled)" if user.disabled else ""
            console.print(f"{user.name}\t{user.role}{flag}", highlight=False)
    finally:
        journal.close()


@users_app.command("disable")
def disable_user(name: Annotated[str, typer.Argument(help="The sign-in name")]) -> None:
    """Stop a user signing in (their sessions end now)."""
    from rpa.console.audit import audit
    from rpa.journal import Journal
    from rpa.journal.people import People

    journal = Journal(state.settings().journal_path)
    try:
        if not People(journal).disable_user(name):
            console.print(f"No user {name}.")
            raise typer.Exit(EXIT_FAILED)
        audit(journal, f"cli:{_os_user()}", "user-disabled", name)
    finally:
        journal.close()
    console.print(f"Disabled {name}.")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
