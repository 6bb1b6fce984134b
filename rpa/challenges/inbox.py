"""Answers to waiting challenges, handed from one process to another.

A job waiting for an OTP or a captcha (the ``queue`` providers) polls its slot in the
inbox folder; ``rpa otp give JOB CODE`` from another terminal drops the answer there.
An answer is a file readable only by its owner (0600), written atomically and deleted
the moment it is read, so a code never rests on disk and never reaches the journal or
the logs (the journal records only that a challenge is waiting, and for whom).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")
KINDS = ("otp", "captcha")


class Inbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _slot(self, job_id: str, kind: str) -> Path:
        if not _SAFE.match(job_id) or kind not in KINDS:
            raise ValueError(f"bad inbox slot {job_id!r}/{kind!r}")
        return self.folder / f"{job_id}.{kind}"

    def post(self, job_id: str, kind: str, answer: str) -> None:
        """Leave ``answer`` for ``job_id``'s waiting ``kind`` challenge."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._slot(job_id, kind)
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(answer.strip())
        os.replace(temp, target)

    def take(self, job_id: str, kind: str) -> str | None:
        """The answer if one is there (and remove it), else None."""
        slot = self._slot(job_id, kind)
        try:
            answer = slot.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        slot.unlink(missing_ok=True)
        return answer

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
