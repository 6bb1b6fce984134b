"""The JSON-lines log file as a loguru sink that never gets in a command's way.

``LogFile`` creates its file (and folder) with the first line written, so a command that
logs nothing leaves nothing behind; rotates it past ``max_bytes``, keeping ``keep`` older
files (``rpa.jsonl.1`` the newest); and when a write fails (a read-only data folder, a full
disk) it stops writing, quietly: the console still shows what it would have held, and the
command's own error says what went wrong. ``problem`` tells why it stopped.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TextIO


class LogFile:
    """A loguru sink (``logger.add(LogFile(path), serialize=True)``)."""

    def __init__(self, path: Path, *, max_bytes: int = 20 * 1024 * 1024, keep: int = 5) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        self.problem: OSError | None = None
        self._handle: TextIO | None = None
        self._size = 0

    def write(self, message: str) -> None:
        if self.problem is not None:
            return
        size = len(message.encode("utf-8", "replace"))
        try:
            if self._handle is None:
                self._open()
            if self._size and self._size + size > self.max_bytes:
                self._rotate()
            assert self._handle is not None
            self._handle.write(message)
            self._handle.flush()
            self._size += size
        except OSError as exc:
            self.problem = exc
            self.stop()

    def stop(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8", errors="replace")
        self._size = self.path.stat().st_size

    def _rotate(self) -> None:
        self.stop()
        older = [self.path.with_name(f"{self.path.name}.{n}") for n in range(1, self.keep + 1)]
        older[-1].unlink(missing_ok=True)
        for newer, next_older in zip(reversed(older[:-1]), reversed(older[1:]), strict=True):
            if newer.exists():
                newer.replace(next_older)
        self.path.replace(older[0])
        self._open()
