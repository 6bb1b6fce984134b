"""``RunLock``: one ``rpa renew run`` at a time, by an exclusive ``flock`` on a lock file."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from datetime import datetime
from pathlib import Path
from types import TracebackType

from rpa.errors import BatchError


class RunLock:
    """Only one ``renew run`` at a time: an exclusive, non-blocking ``flock`` on ``path``.

    The lock belongs to the open file, so it dies with the process that holds it (a
    crashed or killed run leaves no stale lock; the file itself stays, harmlessly). The
    descriptor is not inherited by children (PEP 446), so a browser left running cannot
    keep it. The holder writes its pid and start time into the file for the message a
    second run gets::

        with RunLock(settings.renew_lock_file):
            ...
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BatchError(f"cannot open the run lock {self.path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_holder(fd)
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise BatchError(f"cannot lock {self.path}: {exc}") from exc
            raise BatchError(
                f"another renewal run is in progress ({holder}); it holds {self.path}"
            ) from None
        started = datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    """``pid 4242 since 09:30`` from the lock file, as well as it can be read."""
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    pid, _, started = text.partition(" ")
    since = ""
    with contextlib.suppress(ValueError):
        since = f" since {datetime.fromisoformat(started.strip()).astimezone():%H:%M}"
    return f"pid {pid if pid.isdigit() else '?'}{since}"
