"""The OTP and captcha providers a user chooses (``RPA_OTP_PROVIDER``, ``RPA_CAPTCHA_PROVIDER``).

- ``prompt``: ask a person at this terminal (attended runs), through the ``Prompter`` the
  CLI supplies. Questions from concurrent jobs are asked one at a time, each labelled with
  its client (IEC and firm), and each answer goes to the job that asked.
- ``queue``: the job waits; anyone answers with ``rpa otp give JOB CODE`` (or ``rpa captcha
  give``) from another terminal. Nobody in time: the job ends ``needs-input``.
- ``mock-outbox`` / ``mock``: read the mock portal's test API. For tests and the demo only:
  on the real portal a person answers, and we never guess or break a captcha.

Every provider that waits leaves a waiting record in the inbox while it waits
(``rpa.challenges.inbox``), so another process can tell what a job is waiting on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
from loguru import logger

from rpa.challenges.base import CaptchaRequest, ChallengeRequest, OtpRequest, Prompter, Question
from rpa.challenges.inbox import Inbox, Waiting
from rpa.errors import ConfigError, NeedsInputError, TransientError
from rpa.masking import mask

OTP_PROVIDERS = ("prompt", "queue", "mock-outbox")
CAPTCHA_PROVIDERS = ("prompt", "queue", "mock")
MOCK_POLL_S = 0.25
MOCK_WAIT_S = 20.0


def _who(request: ChallengeRequest) -> str:
    return f" [{request.client}]" if request.client else ""


@contextlib.contextmanager
def _waiting(
    inbox: Inbox | None, request: ChallengeRequest, kind: str, provider: str
) -> Iterator[None]:
    """While the body runs, other processes can see ``request``'s job waiting on ``provider``."""
    if inbox is None:
        yield
        return
    record = Waiting(
        job_id=request.job_id,
        kind=kind,
        provider=provider,
        client=request.client,
        prompt=mask(request.prompt),
    )
    with inbox.waiting(record):
        yield


@dataclass(eq=False)
class _Asked:
    """A question in the line, and how its answer gets back to the job that asked."""

    question: Question
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[str]
    withdrawn: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)  # on the terminal
    finished: threading.Event = field(default_factory=threading.Event)  # answered

    def deliver(self, value: str | None, error: BaseException | None) -> None:
        """Called in the loop's thread: hand the answer to the job, unless it gave up."""
        if self.answer.done():
            return
        if error is not None:
            self.answer.set_exception(error)
        else:
            self.answer.set_result(value or "")


class TerminalPrompt:
    """Puts the jobs' questions to a person one at a time, through ``prompter``.

    One daemon thread asks them, in the order they came, so two questions are never on
    the terminal at once and an answer cannot reach a job that did not ask it. A job that
    gives up while its question waits in line is simply never asked; one that gives up
    while being asked has its question withdrawn, and what the person types is dropped.
    The thread is a daemon so a question left open never keeps the process alive.
    """

    def __init__(self, prompter: Prompter | None, *, inbox: Inbox | None = None) -> None:
        self.prompter = prompter
        self.inbox = inbox
        self._line: queue.SimpleQueue[_Asked] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    async def ask(self, request: ChallengeRequest, question: Question, *, kind: str) -> str:
        prompter = self.prompter
        if prompter is None or not prompter.interactive():
            raise NeedsInputError(
                f"no terminal to ask for the {kind} on; run attended, or use the queue "
                f"provider (RPA_{kind.upper()}_PROVIDER=queue)",
                code=f"{kind.upper()}_NO_TERMINAL",
            )
        loop = asyncio.get_running_loop()
        asked = _Asked(question, loop, loop.create_future())
        with _waiting(self.inbox, request, kind, "prompt"):
            self._ensure_thread()
            self._line.put(asked)
            try:
                return await asked.answer
            except asyncio.CancelledError:
                asked.withdrawn.set()
                if asked.started.is_set() and not asked.finished.is_set():
                    with contextlib.suppress(Exception):  # the job is cancelled regardless
                        prompter.withdraw(question)
                raise

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="rpa-prompt", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        assert self.prompter is not None
        while True:
            asked = self._line.get()
            if asked.withdrawn.is_set():
                continue  # its job stopped waiting before its turn came
            asked.started.set()
            value: str | None = None
            error: BaseException | None = None
            try:
                value = self.prompter.ask(asked.question)
            except Exception as exc:  # e.g. EOF on stdin: the job gets the error, not us
                error = NeedsInputError(f"could not ask: {exc!r}", code="PROMPT_FAILED")
            asked.finished.set()
            with contextlib.suppress(RuntimeError):  # the job's loop has closed
                asked.loop.call_soon_threadsafe(asked.deliver, value, error)


def _label(request: ChallengeRequest) -> str:
    return request.client or f"job {request.job_id}"


class PromptOtp:
    """OTPs from a person at the terminal; typed hidden."""

    def __init__(self, terminal: TerminalPrompt) -> None:
        self.terminal = terminal

    async def get_otp(self, request: OtpRequest) -> str:
        question = Question(label=_label(request), prompt=request.prompt, hidden=True)
        return await self.terminal.ask(request, question, kind="otp")


class PromptCaptcha:
    """Captchas read by a person at the terminal; the image is shown, the text typed visibly."""

    def __init__(self, terminal: TerminalPrompt) -> None:
        self.terminal = terminal

    async def solve(self, request: CaptchaRequest) -> str:
        question = Question(
            label=_label(request),
            prompt=request.prompt,
            hidden=False,
            image=request.image or None,
            image_path=request.image_path,
        )
        return await self.terminal.ask(request, question, kind="captcha")


class QueueProvider:
    """Waits for ``rpa otp give`` / ``rpa captcha give`` through the inbox."""

    def __init__(self, inbox: Inbox, *, poll_s: float = 0.2) -> None:
        self.inbox = inbox
        self.poll_s = poll_s

    async def _wait(self, request: ChallengeRequest, kind: str) -> str:
        self.inbox.discard(request.job_id, kind)  # an answer left for an earlier question
        with _waiting(self.inbox, request, kind, "queue"):
            return await self._answer(request, kind)

    async def _answer(self, request: ChallengeRequest, kind: str) -> str:
        logger.warning(
            "{}{} is waiting: {}. Answer with: rpa {} give {} <{}>",
            request.job_id,
            _who(request),
            request.prompt,
            kind,
            request.job_id,
            "CODE" if kind == "otp" else "TEXT",
        )
        answer = await self.inbox.wait(
            request.job_id, kind, timeout_s=request.timeout_s, poll_s=self.poll_s
        )
        if answer is None:
            raise NeedsInputError(
                f"nobody gave the {kind} in {request.timeout_s:g}s: {request.prompt}",
                code=f"{kind.upper()}_TIMEOUT",
            )
        return answer

    async def get_otp(self, request: OtpRequest) -> str:
        return await self._wait(request, "otp")

    async def solve(self, request: CaptchaRequest) -> str:
        return await self._wait(request, "captcha")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every request: loading the CA bundle costs ~30 ms of CPU."""
    return httpx.create_ssl_context()


class MockPortalApi:
    """The mock portal's test API (``/__mock__/...``), for the mock providers. Each request
    has a client of its own (a client is bound to its event loop; jobs may run on several);
    they share one TLS context."""

    def __init__(self, api_root: str, *, client: httpx.AsyncClient | None = None) -> None:
        self.api_root = api_root.rstrip("/")
        self._client = client

    async def get(self, path: str, **params: str) -> object:
        try:
            if self._client is not None:
                response = await self._client.get(self.api_root + path, params=params)
            else:
                async with httpx.AsyncClient(timeout=10, verify=_tls()) as client:
                    response = await client.get(self.api_root + path, params=params)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise TransientError(f"mock portal test API unreachable: {exc}") from exc
        return response.json()


class MockOutboxOtp:
    """Reads OTPs from the mock portal's outbox: the newest one for the address that it
    has not handed out before (a resent OTP is a new one)."""

    def __init__(
        self, api: MockPortalApi, *, wait_s: float = MOCK_WAIT_S, inbox: Inbox | None = None
    ) -> None:
        self.api = api
        self.wait_s = wait_s
        self.inbox = inbox
        self._given: set[tuple[str, str, str]] = set()

    async def get_otp(self, request: OtpRequest) -> str:
        with _waiting(self.inbox, request, "otp", "mock-outbox"):
            return await self._read_outbox(request)

    async def _read_outbox(self, request: OtpRequest) -> str:
        address = request.address
        if not address:
            raise NeedsInputError(
                "the mock-outbox OTP provider needs the address the OTP was sent to "
                "(the otp step's `destination:`)",
                code="OTP_NO_ADDRESS",
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while True:
            messages = await self.api.get("/__mock__/outbox", to=address)
            assert isinstance(messages, list)
            for message in messages:  # newest first
                otp = message.get("otp")
                key = (address, str(otp), str(message.get("sent_at")))
                if otp and key not in self._given:
                    self._given.add(key)
                    return str(otp)
            if loop.time() >= deadline:
                raise NeedsInputError(
                    f"no OTP arrived for {request.destination}", code="OTP_TIMEOUT"
                )
            await asyncio.sleep(MOCK_POLL_S)


class MockCaptcha:
    """Answers the mock portal's captcha through its test API, by the id the page carries."""

    needs_image = False  # the captcha step need not take a picture of the captcha

    def __init__(self, api: MockPortalApi, *, inbox: Inbox | None = None) -> None:
        self.api = api
        self.inbox = inbox

    async def solve(self, request: CaptchaRequest) -> str:
        with _waiting(self.inbox, request, "captcha", "mock"):
            return await self._read_answer(request)

    async def _read_answer(self, request: CaptchaRequest) -> str:
        if not request.captcha_id:
            raise NeedsInputError(
                "the mock captcha provider needs the captcha's id (the captcha step's "
                "`id_attribute:`)",
                code="CAPTCHA_NO_ID",
            )
        answer = await self.api.get(f"/__mock__/captcha/{request.captcha_id}")
        assert isinstance(answer, dict)
        return str(answer["answer"])


def mock_api_root(portal_url: str, mock_api_url: str | None) -> str:
    """The test API lives at the portal's origin unless told otherwise."""
    if mock_api_url:
        return mock_api_url
    parsed = httpx.URL(portal_url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"


def make_otp_provider(
    name: str, *, inbox: Inbox, terminal: TerminalPrompt, api: MockPortalApi
) -> PromptOtp | QueueProvider | MockOutboxOtp:
    match name:
        case "prompt":
            return PromptOtp(terminal)
        case "queue":
            return QueueProvider(inbox)
        case "mock-outbox":
            return MockOutboxOtp(api, inbox=inbox)
    raise ConfigError(f"unknown OTP provider {name!r}; choose one of {', '.join(OTP_PROVIDERS)}")


def make_captcha_provider(
    name: str, *, inbox: Inbox, terminal: TerminalPrompt, api: MockPortalApi
) -> PromptCaptcha | QueueProvider | MockCaptcha:
    match name:
        case "prompt":
            return PromptCaptcha(terminal)
        case "queue":
            return QueueProvider(inbox)
        case "mock":
            return MockCaptcha(api, inbox=inbox)
    raise ConfigError(
        f"unknown captcha provider {name!r}; choose one of {', '.join(CAPTCHA_PROVIDERS)}"
    )
