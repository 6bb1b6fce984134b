"""Masking of secret values wherever text leaves the process.

Every resolved secret (portal password, token PIN, OTP, Aadhaar number) is registered
here the moment it is known. Logs, the journal, reports and events pass text through
``mask`` before writing it. The registry is process-wide because a secret must be
masked in every sink, whichever job resolved it.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "********"
_MIN_LEN = 3  # shorter values would mask ordinary text ("1", "ok")


class SecretRegistry:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def register(self, value: str | None) -> None:
        if not value or len(value) < _MIN_LEN:
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
        return value in self._values

    def mask(self, text: str) -> str:
        if not self._values or not text:
            return text
        pattern = self._pattern
        if pattern is None:
            with self._lock:
                # Longest first, so a secret containing another is masked whole.
                alternatives = sorted(self._values, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, alternatives)))
        return pattern.sub(MASK, text)


registry = SecretRegistry()


def register_secret(value: str | None) -> None:
    registry.register(value)


def mask(text: str) -> str:
    return registry.mask(text)


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
