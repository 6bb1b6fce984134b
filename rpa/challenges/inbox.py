"""Answers to waiting challenges, handed from one process to another.

A job waiting for an OTP or a captcha (the ``queue`` providers) polls its slot in the
inbox folder; ``rpa otp give JOB CODE`` from another terminal drops the answer there.
An answer is a file readable only by its owner (0600), written atomically and deleted
the moment it is read, so a code never rests on disk and never reaches the journal or
the logs (the journal records only that a challenge is waiting, and for whom).

While a provider waits it also leaves a *waiting record* (``JOB.KIND.waiting``): which
provider waits (``queue``, ``prompt``, ...), in which process (``host:pid``), for whom.
It is removed when the wait ends, however it ends. ``rpa otp give`` reads it to write an
answer only where a ``queue`` provider is waiting for that job and kind, and otherwise to
say what the job is waiting on; a record whose process has died says the job is not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")
KINDS = ("otp", "captcha")
_WAITING = ".waiting"


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(holder: str) -> bool:
    """False when ``holder`` (``host:pid``) is a process of this host that no longer runs.
    Another host's process cannot be checked from here: it is taken to be alive."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True, kw_only=True)
class Waiting:
    """A provider waiting for a person, as another process sees it. No secret in it: the
    prompt names where an OTP went only masked."""

    job_id: str
    kind: str  # otp | captcha
    provider: str  # queue | prompt | mock-outbox | mock
    client: str | None = None  # the client's label: IEC and firm
    prompt: str = ""
    holder: str = field(default_factory=this_process)  # host:pid of the waiting process
    since: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def alive(self) -> bool:
        """Whether the process that waits is still running (as far as this host can tell)."""
        return process_alive(self.holder)


class Inbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _slot(self, job_id: str, kind: str) -> Path:
        if not _SAFE.match(job_id) or kind not in KINDS:
            raise ValueError(f"bad inbox slot {job_id!r}/{kind!r}")
        return self.folder / f"{job_id}.{kind}"

    def post(self, job_id: str, kind: str, answer: str) -> None:
        """Leave ``answer`` for ``job_id``'s waiting ``kind`` challenge."""
        self._write(self._slot(job_id, kind), answer.strip())

    def take(self, job_id: str, kind: str) -> str | None:
        """The answer if one is there (and remove it), else None."""
        slot = self._slot(job_id, kind)
        try:
            answer = slot.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        slot.unlink(missing_ok=True)
        return answer

    def _write(self, target: Path, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)

    @contextlib.contextmanager
    def waiting(self, record: Waiting) -> Iterator[None]:
        """Leave ``record`` for other processes to see while the body runs (a provider's
        wait); remove it after, however the wait ends."""
        path = self._slot(record.job_id, record.kind).with_name(
            f"{record.job_id}.{record.kind}{_WAITING}"
        )
        self._write(path, json.dumps(asdict(record)))
        try:
            yield
        finally:
            path.unlink(missing_ok=True)

    def waiting_for(self, job_id: str | None = None) -> list[Waiting]:
        """The waiting records of ``job_id`` (or of every job), live or left by a dead process."""
        if job_id is not None:
            self._slot(job_id, KINDS[0])  # refuses a job id that could escape the folder
        pattern = f"{job_id}.*{_WAITING}" if job_id is not None else f"*{_WAITING}"
        found: list[Waiting] = []
        for path in sorted(self.folder.glob(pattern)):
            try:
                record = Waiting(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue  # removed while read, or not one of ours
            if record.kind in KINDS and (job_id is None or record.job_id == job_id):
                found.append(record)
        return found

    def discard(self, job_id: str, kind: str) -> None:
        """Drop a stale answer (e.g. one left for an earlier, expired OTP)."""
        self._slot(job_id, kind).unlink(missing_ok=True)

    async def wait(
        self, job_id: str, kind: str, *, timeout_s: float, poll_s: float = 0.2
    ) -> str | None:
        """Wait up to ``timeout_s`` for an answer; None when nobody gave one."""
        deadline = time.monotonic() + timeout_s
        while True:
            answer = self.take(job_id, kind)
            if answer is not None:
                return answer
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
