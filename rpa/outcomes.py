"""How a job and a step end: values the engine's events carry and the journal stores as text.

Apart from ``rpa.events`` so that reading the journal (``rpa jobs list``) needs only these
two enums, not the events' classes (issue 16 §7).
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """How a job ended; stored as text."""

    OK = "ok"  # nothing to do (already done, or a read-only playbook)
    CHANGED = "changed"  # a submission was made
    WOULD_CHANGE = "would-change"  # check mode stopped before a submission
    FAILED = "failed"
    NEEDS_INPUT = "needs-input"  # a challenge nobody answered in time
    INTERRUPTED = "interrupted"  # stopped by Ctrl-C or a batch pause


class StepStatus(StrEnum):
    OK = "ok"
    CHANGED = "changed"
    SKIPPED = "skipped"
    FAILED = "failed"
