"""The ``console`` provider (``RPA_CHALLENGES=console``): OTPs and captchas answered in the
office console's Challenges page (``rpa serve``), or by the client through a relay link.

For each challenge it:

1. says so in the log when no console serves this data dir (no fresh heartbeat file
   ``DATA_DIR/console.json``, which ``rpa serve`` rewrites every few seconds): the job still
   waits (the challenge is in the journal and shows as soon as a console starts), but
   nobody is left wondering why nothing asks;
2. marks the job's previous answer ``refused`` when the portal asks again, in the same
   run, for the same kind (an OTP: sent to the same place), and tells the person so;
3. fills in the journal's challenge row (``ChallengeStore.describe``): the client's IEC and
   firm, where an OTP went (masked), the captcha's image file, the expiry (the step's
   timeout); with the client's ``otp_relay`` set, sends the client a relay link at once;
4. waits for the answer in the inbox (``rpa.challenges.inbox``: a 0600 file the console
   writes and this provider deletes as it reads it, polled every 0.2 s), with a waiting
   record there (the console answers only a job whose record is live), and closes the
   challenge ``expired`` when nobody answered in time.

The answer never touches SQLite. The job's record (firm, email, mobile, ``otp_relay``) is
noted by the agent before the job runs (``note_client``).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loguru import logger

from rpa.challenges.base import CaptchaRequest, ChallengeRequest, OtpRequest
from rpa.challenges.inbox import Inbox, Waiting
from rpa.errors import ConfigError, NeedsInputError, NotifyError
from rpa.journal.challenge_store import ChallengeStore, console_serving
from rpa.masking import mask

if TYPE_CHECKING:
    from rpa.config import Settings
    from rpa.journal.store import Journal

PROVIDER = "console"
POLL_S = 0.2
REFUSED_NOTE = {
    "otp": "The previous OTP was refused by the portal",
    "captcha": "The previous captcha answer was refused by the portal",
}
_LABEL = re.compile(r"^(?P<iec>\S+) \((?P<firm>.*)\)$")


@dataclass(frozen=True)
class Contact:
    """What the provider knows of a job's client: for the page and for a relay link."""

    firm: str | None
    email: str | None
    mobile: str | None
    relay: str | None  # email | sms | none


def split_label(label: str | None) -> tuple[str | None, str | None]:
    """``0123456789 (Acme Exports)`` → IEC and firm."""
    if not label:
        return None, None
    found = _LABEL.match(label)
    return (found["iec"], found["firm"]) if found else (label, None)


class ConsoleChallenges:
    """OTP and captcha provider for ``RPA_CHALLENGES=console``."""

    def __init__(
        self,
        settings: Settings,
        *,
        inbox: Inbox | None = None,
        journal: Journal | None = None,
        poll_s: float = POLL_S,
    ) -> None:
        self.settings = settings
        self.inbox = inbox or Inbox(settings.data_dir / "inbox")
        self._journal = journal
        self.poll_s = poll_s
        self._contacts: dict[str, Contact] = {}

    def note_client(self, job_id: str, record: Any) -> None:
        """The agent tells whose job ``job_id`` is (a ``ClientRecord``) before it runs."""
        self._contacts[job_id] = Contact(
            firm=getattr(record, "firm_name", None),
            email=getattr(record, "email", None),
            mobile=getattr(record, "mobile", None),
            relay=getattr(record, "otp_relay", None),
        )

    @property
    def store(self) -> ChallengeStore:
        if self._journal is None:
            from rpa.journal.store import Journal

            self._journal = Journal(self.settings.journal_path)
        return ChallengeStore(self._journal)

    async def get_otp(self, request: OtpRequest) -> str:
        return await self._ask(request, "otp", channel=request.channel, address=request.address)

    async def solve(self, request: CaptchaRequest) -> str:
        image = str(request.image_path) if request.image_path else None
        return await self._ask(request, "captcha", artifact=image)

    async def _ask(
        self,
        request: ChallengeRequest,
        kind: str,
        *,
        channel: str | None = None,
        address: str | None = None,
        artifact: str | None = None,
    ) -> str:
        self._say_if_no_console(request, kind)
        store = self.store
        destination = getattr(request, "destination", None)
        iec, firm = split_label(request.client)
        contact = self._contacts.get(request.job_id)
        if contact is not None and contact.firm:
            firm = contact.firm
        relay_to = _relay_to(contact, channel, address)
        self.inbox.discard(request.job_id, kind)  # an answer left for an earlier question
        record = Waiting(
            job_id=request.job_id,
            kind=kind,
            provider=PROVIDER,
            client=request.client,
            prompt=mask(request.prompt),
        )
        answer: str | None = None
        # the waiting record first: the console takes answers only for a live one
        with self.inbox.waiting(record):
            refused = store.refuse_previous(request.job_id, kind, destination)
            challenge_id = store.describe(
                request.job_id,
                kind,
                prompt=mask(request.prompt),
                client=iec,
                firm=firm,
                expires_at=time.time() + request.timeout_s,
                provider=PROVIDER,
                channel=channel,
                destination=destination,
                artifact=artifact,
                relay_to=relay_to,
                relay_mode=contact.relay if contact else None,
                note=REFUSED_NOTE[kind] if refused else None,
            )
            try:
                if kind == "otp" and contact is not None and contact.relay in ("email", "sms"):
                    await self._relay(store, challenge_id)
                answer = await self.inbox.wait(
                    request.job_id, kind, timeout_s=request.timeout_s, poll_s=self.poll_s
                )
            finally:
                if answer is None:  # nobody in time, or the job stopped waiting
                    store.close(challenge_id, "expired")
        if answer is None:
            raise NeedsInputError(
                f"nobody answered the {kind} in the console in {request.timeout_s:g}s: "
                f"{request.prompt}",
                code=f"{kind.upper()}_TIMEOUT",
            )
        return answer

    async def _relay(self, store: ChallengeStore, challenge_id: int) -> None:
        from rpa.challenges.relay import send_link

        challenge = store.challenge(challenge_id)
        if challenge is None:
            return
        try:
            await asyncio.to_thread(send_link, self.settings, store, challenge, by="the batch")
        except (ConfigError, NotifyError) as exc:  # a person can still answer or resend
            logger.warning(
                "{} [{}]: the OTP relay link was not sent: {}",
                challenge.job_id,
                challenge.client,
                exc,
            )

    def _say_if_no_console(self, request: ChallengeRequest, kind: str) -> None:
        if console_serving(self.settings.data_dir) is not None:
            return
        logger.warning(
            "{} [{}] waits for {} in the console, but no console serves {}: start one with "
            "`rpa serve` (RPA_DATA_DIR={}) and answer it on its Challenges page; the job "
            "waits {:g}s",
            request.job_id,
            request.client or "?",
            "an OTP" if kind == "otp" else "a captcha",
            self.settings.data_dir,
            self.settings.data_dir,
            request.timeout_s,
        )


def _relay_to(contact: Contact | None, channel: str | None, address: str | None) -> dict[str, str]:
    """Where a relay link may go: the client's email and mobile (the record's, else the
    address the OTP went to)."""
    found: dict[str, str] = {}
    if contact is not None:
        if contact.email:
            found["email"] = contact.email
        if contact.mobile:
            found["mobile"] = contact.mobile
    if address and channel == "email":
        found.setdefault("email", address)
    elif address and channel == "mobile":
        found.setdefault("mobile", address)
    return found
