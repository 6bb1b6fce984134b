"""Secrets kept out of what the agent writes, and the little scrubbing that remains.

**Records are never altered here.** What the agent records (acks, certificate paths, dates,
amounts, portal text: a job's outputs, the journal's results, reports, events) is written as
it is. A secret stays out of records because it is never put into one:

- a playbook may pass a secret only whole, to a ``fill`` value, a ``sign`` param or a
  ``use`` step's secret input (``rpa validate`` refuses any other use), so no output,
  variable, ``log``/``fail`` message or URL can be built from one;
- a value typed into a secret field is noted (``StepContext.note_secret_input``):
  screenshots paint over the field and the trace recorder stops before the step;
- a provider's answer (an OTP, a captcha) goes into its field and nowhere else.

**What remains is scrubbing of free text, scoped to the job that owns the secret.** Some
text can quote a secret by accident: Playwright's call log names the value a failed
``fill`` typed (``- fill("2026")``), an internal error may quote anything, a portal may
echo a number into its page. The error messages a job reports, log records made while it
runs, its step log's notes and its failure page's HTML pass through ``mask``, which stars
the secrets of *that job only*:

- ``job_scope()`` opens a ``SecretScope`` for one job (the engine does, around the whole
  job); asyncio copies it into every task the job starts;
- ``register_secret`` adds a value to the current scope, ``mask`` scrubs with it;
- another job of the same process (a batch runs many at once) never sees this scope, so a
  client's PIN ``2026`` cannot star another client's ``IEC/UPD/2026/000003``;
- outside any job the *process scope* is current: the process's own secrets (an SMTP
  password, a webhook URL, a ``--input`` secret of ``rpa run``). Jobs do not inherit it;
- ``verbatim()`` marks text that is a record, already free of secrets (the engine emits
  events inside it): ``mask`` leaves it alone, so a sink that masks every line (the step
  log, the journal, the JSON progress stream) cannot alter an ack in an event.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

MASK = "********"
_MIN_LEN = 3  # shorter values would mask ordinary text ("1", "ok")


class SecretScope:
    """The secret values one job (or the process, outside jobs) knows."""

    def __init__(self, name: str = "process") -> None:
        self.name = name
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def register(self, value: str | None) -> None:
        if not value:
            return
        with self._lock:
            if value not in self._values:
                self._values.add(value)
                self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def __contains__(self, value: object) -> bool:
        """Whether ``value`` is, as a whole, one of the secrets."""
        return value in self._values

    def __repr__(self) -> str:
        return f"<secret scope {self.name}: {len(self._values)} value(s)>"

    def mask(self, text: str) -> str:
        """``text`` with every secret of this scope (3+ characters) starred."""
        if not self._values or not text:
            return text
        pattern = self._pattern
        if pattern is None:
            with self._lock:
                # Longest first, so a secret containing another is masked whole.
                alternatives = sorted(
                    (v for v in self._values if len(v) >= _MIN_LEN), key=len, reverse=True
                )
                pattern = re.compile("|".join(map(re.escape, alternatives)) or r"(?!)")
                self._pattern = pattern
        return pattern.sub(MASK, text)


_PROCESS = SecretScope()
_current: ContextVar[SecretScope | None] = ContextVar("rpa_secret_scope", default=None)
_verbatim: ContextVar[bool] = ContextVar("rpa_verbatim", default=False)


def current_scope() -> SecretScope:
    """The running job's scope, or the process scope outside any job."""
    return _current.get() or _PROCESS


@contextmanager
def job_scope(name: str) -> Iterator[SecretScope]:
    """A fresh scope for one job, current until the block ends (in this task and the tasks
    it starts). Secrets registered inside stay inside."""
    scope = SecretScope(name)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


@contextmanager
def verbatim() -> Iterator[None]:
    """Text written inside is a record, already free of secrets: ``mask`` keeps it as is."""
    token = _verbatim.set(True)
    try:
        yield
    finally:
        _verbatim.reset(token)


class _Registry:
    """The current scope, for code (and tests) that predate scopes: ``registry.clear()``,
    ``value in registry``."""

    def register(self, value: str | None) -> None:
        current_scope().register(value)

    def clear(self) -> None:
        current_scope().clear()

    def __contains__(self, value: object) -> bool:
        return value in current_scope()

    def mask(self, text: str) -> str:
        return mask(text)


registry = _Registry()


def register_secret(value: str | None) -> None:
    """Note a secret of the running job (of the process, outside any job)."""
    current_scope().register(value)


def is_secret(text: str) -> bool:
    """Whether ``text`` is, as a whole, a secret of the running job. A secret is only ever
    passed whole (``rpa validate``), so a date or an ack that merely contains a PIN's
    digits is not one."""
    return bool(text) and text in current_scope()


def mask(text: str) -> str:
    """Free text with the running job's secrets starred (the process's, outside a job);
    unchanged inside ``verbatim()``."""
    if _verbatim.get():
        return text
    return current_scope().mask(text)


def mask_deep(value: Any) -> Any:
    """``mask`` applied through dicts and lists; numbers, booleans and None kept, other
    values turned to masked text (so the result is JSON-ready)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_deep(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(str(value))


def mask_tail(value: str, keep: int = 4) -> str:
    """``9876543210`` → ``******3210``: enough for a person to know which phone to check."""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]
