"""The provider interfaces behind the ``otp``, ``captcha`` and ``sign`` steps.

The engine owns the waiting: it emits ``ChallengeWaiting``, calls the provider, and gives
up after ``settings.challenge_timeout_s`` with ``NeedsInputError`` (the job ends
``needs-input``). It registers every answer with ``rpa.masking`` before using it, so an
OTP never reaches a log, an event or a trace. Providers therefore only answer:

- ``OtpProvider.get_otp(request) -> str``: the OTP for ``request.channel`` (a person at a
  prompt, a queue fed by a web form, the mock portal's outbox in tests). It may wait; it
  raises ``NeedsInputError`` if it knows nobody will answer.
- ``CaptchaProvider.solve(request) -> str``: the text in ``request.image`` (PNG bytes).
- ``Signer.sign(request) -> Mapping``: drives the portal's signing pages for one method
  (``dsc`` through emBridge, ``aadhaar`` through the eSign provider) on ``request.page``
  and returns what should be registered (e.g. ``{"signed": True, "certificate": "..."}``).
  It raises ``StepError`` subclasses (``BusinessError`` for "token not connected",
  ``TransientError`` for a timeout, ``NeedsInputError`` for an unanswered OTP) like any
  step. A signer asks for an Aadhaar OTP through ``request.ask_otp``, which goes through
  the engine's OTP machinery (event, timeout, masking).

``Providers`` bundles them for ``Engine``; signers are registered by method name.

The ``prompt`` providers ask a person through a ``Prompter``, which the CLI implements (it
owns the terminal and its live display); ``mask_destination`` is how an OTP's destination
is shown to that person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from playwright.async_api import Page


@dataclass(frozen=True, kw_only=True)
class ChallengeRequest:
    job_id: str
    client: str | None  # how to name the client to a person, e.g. the IEC
    prompt: str  # what to ask, never containing a secret
    timeout_s: float


@dataclass(frozen=True, kw_only=True)
class OtpRequest(ChallengeRequest):
    channel: str  # mobile | email
    destination: str | None = None  # masked (mask_destination): what a person is shown
    address: str | None = None  # the full number or email (for an outbox lookup; not shown)


@dataclass(frozen=True, kw_only=True)
class CaptchaRequest(ChallengeRequest):
    image: bytes  # PNG
    image_path: Path | None = None  # the saved copy, for a person to open
    captcha_id: str | None = None  # the id the page gives the image (step's id_attribute)


def mask_destination(address: str) -> str:
    """Where an OTP went, masked yet recognisable: ``9876541234`` → ``******1234``,
    ``rahul@example.in`` → ``r****@example.in`` (the first character of the mailbox and the
    whole domain, so a person can tell whose inbox to look in)."""
    address = address.strip()
    if "@" in address:
        mailbox, _, domain = address.rpartition("@")
        hidden = mailbox[:1] + "*" * (len(mailbox) - 1) if len(mailbox) > 1 else "*"
        return f"{hidden}@{domain}"
    keep = 4
    if len(address) <= keep:
        return "*" * len(address)
    return "*" * (len(address) - keep) + address[-keep:]


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question for a person: whose it is, what to ask, and how to take the answer."""

    label: str  # whose challenge: the client's IEC and firm, e.g. "0123456789 (Acme Exports)"
    prompt: str  # what to ask, never containing a secret
    hidden: bool  # True for an OTP (not echoed as typed); a captcha's text is no secret
    image: bytes | None = None  # a captcha to show (PNG)
    image_path: Path | None = None  # its saved copy, for a person to open


class Prompter(Protocol):
    """A person at a terminal, as the CLI offers one to the ``prompt`` providers.

    ``ask`` blocks until the person answers; the providers call it from a thread of their
    own, one question at a time, and give the answer to the job that asked. It pauses
    whatever else draws on the terminal (a live display) while the question is open.
    ``interactive()`` is False when nobody can be asked (no terminal): the job then ends
    ``needs-input``. ``withdraw`` is called (from the event loop) when the question being
    asked is no longer wanted (its job gave up waiting); what the person types is dropped.
    """

    def interactive(self) -> bool: ...

    def ask(self, question: Question) -> str: ...

    def withdraw(self, question: Question) -> None: ...


@runtime_checkable
class OtpProvider(Protocol):
    async def get_otp(self, request: OtpRequest) -> str: ...


@runtime_checkable
class CaptchaProvider(Protocol):
    """Answers captchas. A provider may say ``needs_image = False`` (it answers by the
    ``captcha_id``): the step then sends an empty ``image`` and saves no picture."""

    async def solve(self, request: CaptchaRequest) -> str: ...


class AskOtp(Protocol):
    """Ask for an OTP through the engine: ``await ask_otp("mobile", "eSign OTP", address)``.
    ``address`` is where it was sent (for outbox-reading providers; shown masked)."""

    async def __call__(self, channel: str, prompt: str, address: str | None = None) -> str: ...


@dataclass(frozen=True, kw_only=True)
class SignRequest:
    job_id: str
    client: str | None
    method: str  # dsc | aadhaar
    page: Page  # the job's page, on the portal's "sign" screen
    params: Mapping[str, Any]  # the step's params, rendered (may hold a PIN: do not log)
    timeout_ms: int  # the step's wait for page elements
    artifacts_dir: Path  # where a signer may save screenshots
    ask_otp: AskOtp  # ask for an OTP through the engine (events, timeout, masking)


@runtime_checkable
class Signer(Protocol):
    async def sign(self, request: SignRequest) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Providers:
    """What the engine calls for challenges. Any may be missing: a step that needs a
    missing one ends the job ``needs-input`` with a message naming it."""

    otp: OtpProvider | None = None
    captcha: CaptchaProvider | None = None
    signers: Mapping[str, Signer] = field(default_factory=dict)

    def with_signer(self, method: str, signer: Signer) -> Providers:
        return replace(self, signers={**self.signers, method: signer})
