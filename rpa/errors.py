"""The whole exception tree of dgft-rpa.

Every error the agent raises on purpose is an ``RpaError``. Dependencies' errors
(Playwright, sqlite3, pydantic, yaml) are translated at the boundary with
``raise ... from exc`` so callers only ever catch ours. Context is passed by keyword.

    RpaError
    ├── ConfigError                 settings that cannot be used
    ├── BrowserError
    │   ├── BrowserNotFoundError    no Chromium to launch; the message says how to get one
    │   └── BrowserLaunchError      a browser was found but would not start
    ├── SecretError                 a secret reference (env:/file:/keyring:) cannot be resolved
    ├── RecordError                 a client record is invalid (field, reason)
    │   └── ClientFileError         a client file cannot be read at all (path, row)
    ├── PlaybookError               a playbook is refused at load time; carries every LoadIssue
    │   └── TemplateError           an expression is invalid, unsafe, or names an undefined value
    ├── StepError                   a step failed at run time (``kind`` says how to react)
    │   ├── TransientError          timeouts, 5xx, "server busy", network: retried with backoff
    │   │   └── PopupShown      a pop-up came instead: named by the detectors, else business
    │   ├── SessionExpiredError     the portal logged us out: re-login, then resume
    │   ├── BusinessError           the portal refused (PAN mismatch...), or assert/fail: no retry
    │   ├── PortalChangedError      a locator matched nothing after its wait
    │   └── NeedsInputError         a challenge (OTP, captcha) nobody answered in time
    ├── JournalError                the journal cannot be read or written
    │   └── LeaseHeldError          another run holds this client's lease (CLIENT_BUSY)
    ├── BatchError                  a batch cannot start or continue (bad resume id, portal down)
    ├── NotifyError                 a run summary could not be emailed or posted
    └── RemoteError                 several PCs: Temporal or this PC's emBridge unreachable
        └── EmbridgeError           emBridge did not list its tokens
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FailureKind(StrEnum):
    """How a failed step or job failed; stored as text in the journal."""

    TRANSIENT = "transient"
    SESSION = "session"
    BUSINESS = "business"
    PORTAL_CHANGED = "portal-changed"
    CHALLENGE_TIMEOUT = "challenge-timeout"
    INTERNAL = "internal"


class RpaError(Exception):
    """Base of every error dgft-rpa raises on purpose."""


class ConfigError(RpaError):
    """Settings that cannot be used (a bad value, an unreadable .env)."""


class BrowserError(RpaError):
    """The browser could not be found or started."""


class BrowserNotFoundError(BrowserError):
    """No Chromium or Chrome could be found; the message names both fixes."""


class BrowserLaunchError(BrowserError):
    """A browser executable was found but Playwright could not start it."""


class SecretError(RpaError):
    """A secret reference could not be resolved. The message never contains the secret."""


class RecordError(RpaError):
    """A client record is invalid.

    ``field`` names the offending field when known; ``row`` is the 1-based row number in
    the client file (the header being row 1) when the record came from a file.
    """

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.row = row


class ClientFileError(RecordError):
    """A client file cannot be read at all (missing, empty, malformed, wrong columns)."""

    def __init__(self, message: str, *, path: str, row: int | None = None) -> None:
        super().__init__(message, row=row)
        self.path = path

    def __str__(self) -> str:
        where = f"{self.path}:{self.row}" if self.row is not None else self.path
        return f"{where}: {self.args[0]}"


@dataclass(frozen=True)
class LoadIssue:
    """One problem found while loading a playbook: where it is and what was expected."""

    file: str
    line: int | None
    column: int | None
    message: str
    step: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        step = f" (step {self.step!r})" if self.step else ""
        return f"{where}{step}: {self.message}"


class PlaybookError(RpaError):
    """A playbook was refused at load time. ``issues`` lists every problem found, in order."""

    def __init__(self, issues: list[LoadIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid playbook")


class TemplateError(PlaybookError):
    """An expression is malformed, unsafe, or refers to something undefined."""

    def __init__(self, message: str, *, expression: str | None = None) -> None:
        self.expression = expression
        self.message = message
        RpaError.__init__(self, message)
        self.issues = [LoadIssue(file="<template>", line=None, column=None, message=message)]


class StepError(RpaError):
    """A step failed at run time.

    ``kind`` tells the engine how to react; ``code`` is a stable business code
    (``PAN_MISMATCH``) when there is one; ``step`` is the step's name or path.
    """

    kind: FailureKind = FailureKind.INTERNAL

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        step: str | None = None,
        screenshot: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.step = step
        self.screenshot = screenshot


class TransientError(StepError):
    """Timeouts, 5xx and "server busy" pages, network errors: worth retrying."""

    kind = FailureKind.TRANSIENT


class PopupShown(TransientError):
    """A wait ended on a pop-up dialog of the portal's (``detect.popup``). The detectors
    turn its text into their code; a text none of them names is a business error."""


class SessionExpiredError(StepError):
    """The portal ended our session; the playbook's ``on_session_expired`` re-logs in."""

    kind = FailureKind.SESSION


class BusinessError(StepError):
    """The portal refused the request, or an ``assert``/``fail`` step said so. Not retried."""

    kind = FailureKind.BUSINESS


class PortalChangedError(StepError):
    """A locator matched nothing after its wait: the portal's pages may have changed."""

    kind = FailureKind.PORTAL_CHANGED

    def __init__(self, message: str, *, locator: str | None = None, **kw: str | None) -> None:
        super().__init__(message, **kw)
        self.locator = locator


class NeedsInputError(StepError):
    """A challenge (OTP, captcha) was not answered in time; a person must supply it."""

    kind = FailureKind.CHALLENGE_TIMEOUT


class JournalError(RpaError):
    """The journal (SQLite) cannot be opened, migrated, read or written."""


class LeaseHeldError(JournalError):
    """Another run holds the lease on this client: the client is busy (``CLIENT_BUSY``).

    ``holder`` is the lease's holder token; ``command``, ``pid``, ``host``, ``since`` (ISO)
    and ``job_id`` say which run holds it, when known (leases taken by older versions say
    less).
    """

    code = "CLIENT_BUSY"

    def __init__(
        self,
        message: str,
        *,
        holder: str | None = None,
        job_id: str | None = None,
        command: str | None = None,
        pid: int | None = None,
        host: str | None = None,
        since: str | None = None,
    ) -> None:
        super().__init__(message)
        self.holder = holder
        self.job_id = job_id
        self.command = command
        self.pid = pid
        self.host = host
        self.since = since


class BatchError(RpaError):
    """A batch cannot start or continue (unknown batch id, portal looks down, lock held)."""


class NotifyError(RpaError):
    """A run summary could not be sent (SMTP refused, unreachable server). ``channel`` is
    ``email`` or ``webhook``. The message never contains a password or a webhook token."""

    def __init__(self, message: str, *, channel: str) -> None:
        super().__init__(message)
        self.channel = channel


class RemoteError(RpaError):
    """Several PCs (``rpa.distributed``): the Temporal server cannot be reached, or this
    PC's emBridge."""


class EmbridgeError(RemoteError):
    """emBridge could not be reached, or answered what we cannot read."""
