"""The audit trail: who did what, to what, and when, in the journal's ``audit`` table.

Every action a person takes in the console is audited (signed in or out, a challenge
answered, a job replayed, a batch started...). ``detail`` is for facts (which step, which
playbook, check mode): never a secret, never an answer; it is masked on its way in anyway.
"""

from __future__ import annotations

from typing import Any

from loguru import logger

from rpa.journal.people import People
from rpa.journal.store import Journal


def audit(
    journal: Journal,
    who: str,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record that ``who`` did ``action`` to ``target`` (a job, batch, client id)."""
    People(journal).add_audit(who, action, target, detail)
    logger.bind(who=who, action=action, target=target).info(
        "console: {} {} {}", who, action, target or ""
    )
