"""Helpers for the challenges, relay and API tests: waiting challenges put in a console's
journal as the console provider leaves them (``ChallengeStore.describe``), a PNG to show
as a captcha, and an SMTP server (aiosmtpd) that keeps what it is sent."""

from __future__ import annotations

import email
import re
import struct
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from mock_portal.server import free_port
from rpa.challenges.inbox import Inbox, Waiting
from rpa.journal import Journal
from rpa.journal.challenge_store import ChallengeStore


def png(width: int = 60, height: int = 20) -> bytes:
    """A small grey PNG (enough for a page to show as a captcha)."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


_HELD: list[Any] = []


@dataclass
class Seeded:
    job_id: str
    challenge_id: int


def seed_challenge(
    journal: Journal,
    artifacts: Path,
    *,
    kind: str,
    iec: str,
    firm: str,
    timeout_s: float = 600,
    destination: str | None = "******1234",
    relay_to: dict[str, str] | None = None,
    provider: str | None = "console",
) -> Seeded:
    """A running job of ``iec`` waiting for ``kind``, as the console provider describes it
    (and its waiting record in the inbox, from ``provider``; None: no process waits)."""
    job_id = journal.add_job("renew", client=iec)
    journal.job_started(job_id)
    artifact = None
    if kind == "captcha":
        folder = artifacts / job_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "captcha-1.png"
        path.write_bytes(png())
        artifact = str(path)
    prompt = "OTP sent to mobile" if kind == "otp" else "Type the captcha"
    journal.add_challenge(job_id, kind, prompt, artifact)
    challenge_id = ChallengeStore(journal).describe(
        job_id,
        kind,
        prompt=prompt,
        client=iec,
        firm=firm,
        expires_at=time.time() + timeout_s,
        provider="console" if provider == "console" else None,
        channel="mobile" if kind == "otp" else None,
        destination=destination if kind == "otp" else None,
        artifact=artifact,
        relay_to=relay_to,
    )
    if provider is not None:
        # the provider's waiting record (this process: alive), left for the test's life
        record = Waiting(job_id=job_id, kind=kind, provider=provider, client=iec)
        held = Inbox(journal.path.parent / "inbox").waiting(record)
        held.__enter__()
        _HELD.append(held)  # a context left open: collected, it would remove the record
    return Seeded(job_id, challenge_id)


@dataclass
class Mailbox:
    """What the SMTP server was sent."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def links(self) -> list[str]:
        found: list[str] = []
        for message in self.messages:
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            found += re.findall(r"https?://\S+/r/[A-Za-z0-9_-]+", body.decode())
        return found

    def wait_for(self, count: int, timeout_s: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.messages) >= count, f"{len(self.messages)} mail(s), not {count}"
        return self.links()


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
