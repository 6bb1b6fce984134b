"""How a request reaches what the console serves: the journal, its people, the settings.

``create_app`` opens one ``Journal`` (thread-safe, one connection) for the app's life and
keeps it with the settings on ``app.state``; pages ask for them here, never open their own.
"""

from __future__ import annotations

from starlette.requests import Request

from rpa.config import Settings
from rpa.journal.people import People
from rpa.journal.store import Journal


def journal(request: Request) -> Journal:
    found: Journal = request.app.state.journal
    return found


def people(request: Request) -> People:
    found: People = request.app.state.people
    return found


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found
