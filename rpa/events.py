"""Events the engine emits, and the listener protocol.

The engine knows nothing of SQLite, the terminal or logs: it calls ``emit`` on an
``EventBus`` and listeners (the journal, the progress display, the log) react.
Listeners must be quick. An ordinary listener that raises is logged and detached, so one
broken observer (a progress display) cannot fail a job. A *critical* listener's error
propagates out of ``emit`` instead: the journal is one, because the intent to submit must
be on disk before the engine submits, and a job must stop if it cannot be recorded. No
event carries a secret: error texts are masked (of the job's own secrets, ``rpa.masking``)
when an event is built, and a result cannot hold one (a playbook passes secrets only whole,
to the page). An event is a record: the engine emits it ``verbatim``, so a listener that
masks what it writes leaves its acks, paths and dates as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from rpa.outcomes import Outcome, StepStatus


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Event:
    job_id: str = ""  # empty for batch-level events
    at: datetime = field(default_factory=_now)


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    playbook: str
    client: str | None
    check: bool


@dataclass(frozen=True, kw_only=True)
class StepStarted(Event):
    step: str  # the step's path, e.g. "login/Enter password"
    kind: str


@dataclass(frozen=True, kw_only=True)
class StepRetried(Event):
    step: str
    attempt: int  # the attempt that failed, 1-based
    error: str
    error_kind: str
    delay_s: float


@dataclass(frozen=True, kw_only=True)
class StepFinished(Event):
    step: str
    kind: str
    status: StepStatus
    duration_s: float
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChallengeWaiting(Event):
    challenge: str  # otp | captcha
    prompt: str  # whom to ask, e.g. "OTP sent to mobile ******4321"
    artifact: str | None = None  # e.g. the saved captcha image


@dataclass(frozen=True, kw_only=True)
class SubmitIntent(Event):
    """Emitted just before a ``submit: true`` step acts on the portal."""

    step: str


@dataclass(frozen=True, kw_only=True)
class SubmitDone(Event):
    """Emitted just after a ``submit: true`` step succeeded."""

    step: str


@dataclass(frozen=True, kw_only=True)
class ArtifactSaved(Event):
    kind: str  # screenshot | html | trace | download | log
    path: str


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    outcome: Outcome
    duration_s: float
    result: dict[str, Any] = field(default_factory=dict)  # registered outputs (ack, sha256, ...)
    error: str | None = None
    error_kind: str | None = None
    error_code: str | None = None
    error_step: str | None = None


@dataclass(frozen=True, kw_only=True)
class BatchStarted(Event):
    batch_id: str
    playbook: str
    total: int  # jobs to run in this pass (finished ones of a resumed batch excluded)
    workers: int


@dataclass(frozen=True, kw_only=True)
class JobQueued(Event):
    """A batch job handed to a worker; ``client`` is the IEC."""

    batch_id: str
    client: str
    worker: int


@dataclass(frozen=True, kw_only=True)
class BatchPaused(Event):
    batch_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class BatchFinished(Event):
    batch_id: str
    status: str  # finished | paused | interrupted
    totals: dict[str, int] = field(default_factory=dict)


class Listener(Protocol):
    def __call__(self, event: Event) -> None: ...


class EventBus:
    """Fans events out to listeners, in the order they were added."""

    def __init__(self, listeners: Iterable[Listener] = ()) -> None:
        self._listeners: list[tuple[Listener, bool]] = [(each, False) for each in listeners]

    def add(self, listener: Listener, *, critical: bool = False) -> None:
        self._listeners.append((listener, critical))

    def emit(self, event: Event) -> None:
        for entry in list(self._listeners):
            listener, critical = entry
            if critical:
                listener(event)
                continue
            try:
                listener(event)
            except Exception:
                from loguru import logger  # not at import: reading the journal needs no logs

                logger.exception("event listener {} failed; detaching it", listener)
                self._listeners.remove(entry)
