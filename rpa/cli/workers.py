"""Remote workers (issue 19) that may raise challenges through the console's API.

``rpa workers add NAME`` makes a worker's credential and prints it once (the journal keeps
only its SHA-256); the worker sends it as ``Authorization: Bearer CREDENTIAL`` to
``/api/v1/challenges`` (docs/console.md). Adding a name again gives it a new credential and
the old one stops working. ``rpa workers list`` names them.
"""

from __future__ import annotations

import os
import re
import secrets
from typing import Annotated

import typer

from rpa.cli.app import app, console, fail, state

workers_app = typer.Typer(
    help="Remote workers that may raise challenges through the console's API.",
    no_args_is_help=True,
)
app.add_typer(workers_app, name="workers")

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@workers_app.command("add")
def add_worker(
    name: Annotated[str, typer.Argument(help="The worker's name, e.g. its PC's")],
) -> None:
    """Add a worker (or give it a new credential) and print its credential once."""
    from rpa.console.audit import audit
    from rpa.journal import Journal
    from rpa.journal.challenge_store import ChallengeStore

    if not _NAME.match(name):
        raise fail("a worker's name is 1-64 letters, digits, '_', '.' or '-'")
    credential = secrets.token_urlsafe(32)
    journal = Journal(state.settings().journal_path)
    try:
        ChallengeStore(journal).add_worker(name, credential)
        who = os.environ.get("USER") or os.environ.get("USERNAME") or "?"
        audit(journal, f"cli:{who}", "worker-added", name)
    finally:
        journal.close()
    console.print(f"Worker {name}: its credential (shown once; keep it on that PC):")
    console.print(credential, highlight=False, soft_wrap=True)


@workers_app.command("list")
def list_workers() -> None:
    """The workers allowed to use the console's API."""
    from rpa.journal import Journal
    from rpa.journal.challenge_store import ChallengeStore

    journal = Journal.for_reading(state.settings(keep_log=False).journal_path)
    try:
        for worker in ChallengeStore(journal).workers():
            flag = "  (disabled)" if worker["disabled"] else ""
            console.print(f"{worker['name']}\tadded {worker['created_at']}{flag}", highlight=False)
    finally:
        journal.close()
