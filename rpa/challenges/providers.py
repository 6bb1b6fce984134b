"""The OTP and captcha providers a user chooses (``RPA_OTP_PROVIDER``, ``RPA_CAPTCHA_PROVIDER``).

- ``prompt``: ask on this terminal (attended runs). Prompts from concurrent jobs take
  turns; the captcha image is drawn in the terminal where it can be, and its path shown.
- ``queue``: the job waits; anyone answers with ``rpa otp give JOB CODE`` (or ``rpa captcha
  give``) from another terminal. Nobody in time: the job ends ``needs-input``.
- ``mock-outbox`` / ``mock``: read the mock portal's test API. For tests and the demo only:
  on the real portal a person answers, and we never guess or break a captcha.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import ssl
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
from loguru import logger

from rpa.challenges.base import CaptchaRequest, ChallengeRequest, OtpRequest
from rpa.challenges.inbox import Inbox
from rpa.errors import ConfigError, NeedsInputError, TransientError

if TYPE_CHECKING:
    from rich.console import Console

OTP_PROVIDERS = ("prompt", "queue", "mock-outbox")
CAPTCHA_PROVIDERS = ("prompt", "queue", "mock")
MOCK_POLL_S = 0.25
MOCK_WAIT_S = 20.0


def _who(request: ChallengeRequest) -> str:
    return f" [{request.client}]" if request.client else ""


class TerminalPrompt:
    """Asks one question at a time on the controlling terminal, hidden as typed."""

    def __init__(
        self,
        console: Console | None = None,
        ask: Callable[[str], str] = getpass.getpass,
        is_interactive: Callable[[], bool] = lambda: sys.stdin.isatty(),
    ) -> None:
        self.console = console
        self._ask = ask
        self._interactive = is_interactive
        self._turn = asyncio.Lock()

    async def question(self, text: str, *, kind: str) -> str:
        if not self._interactive():
            raise NeedsInputError(
                f"no terminal to ask for the {kind} on; run attended, or use the queue "
                f"provider (RPA_{kind.upper()}_PROVIDER=queue)",
                code=f"{kind.upper()}_NO_TERMINAL",
            )
        async with self._turn:
            return await asyncio.to_thread(self._ask, text)


class PromptOtp:
    def __init__(self, terminal: TerminalPrompt) -> None:
        self.terminal = terminal

    async def get_otp(self, request: OtpRequest) -> str:
        return await self.terminal.question(f"{request.prompt}{_who(request)}: ", kind="otp")


def render_image(console: Console, png: bytes, *, width: int = 60) -> None:
    """Draw a small picture in the terminal with half-block characters (two pixels a cell)."""
    import io

    from PIL import Image
    from rich.text import Text

    image = Image.open(io.BytesIO(png)).convert("RGB")
    height = max(2, round(image.height * width / image.width / 2) * 2)
    image = image.resize((width, height))
    data = image.tobytes()  # RGB, row by row

    def rgb(x: int, y: int) -> str:
        i = 3 * (y * width + x)
        return f"rgb({data[i]},{data[i + 1]},{data[i + 2]})"

    for y in range(0, height, 2):
        line = Text()
        for x in range(width):
            line.append("▀", style=f"{rgb(x, y)} on {rgb(x, y + 1)}")
        console.print(line)


class PromptCaptcha:
    def __init__(self, terminal: TerminalPrompt) -> None:
        self.terminal = terminal

    async def solve(self, request: CaptchaRequest) -> str:
        console = self.terminal.console
        if console is not None and console.is_terminal and console.color_system:
            async with self.terminal._turn:
                render_image(console, request.image)
        where = f" (image saved at {request.image_path})" if request.image_path else ""
        return await self.terminal.question(
            f"{request.prompt}{where}{_who(request)}: ", kind="captcha"
        )


class QueueProvider:
    """Waits for ``rpa otp give`` / ``rpa captcha give`` through the inbox."""

    def __init__(self, inbox: Inbox, *, poll_s: float = 0.2) -> None:
        self.inbox = inbox
        self.poll_s = poll_s

    async def _wait(self, request: ChallengeRequest, kind: str) -> str:
        self.inbox.discard(request.job_id, kind)  # an answer left for an earlier question
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

    def __init__(self, api: MockPortalApi, *, wait_s: float = MOCK_WAIT_S) -> None:
        self.api = api
        self.wait_s = wait_s
        self._given: set[tuple[str, str, str]] = set()

    async def get_otp(self, request: OtpRequest) -> str:
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

    def __init__(self, api: MockPortalApi) -> None:
        self.api = api

    async def solve(self, request: CaptchaRequest) -> str:
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
            return MockOutboxOtp(api)
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
            return MockCaptcha(api)
    raise ConfigError(
        f"unknown captcha provider {name!r}; choose one of {', '.join(CAPTCHA_PROVIDERS)}"
    )
