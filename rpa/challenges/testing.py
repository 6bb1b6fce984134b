"""Scripted providers for tests and demos: answers given up front, requests recorded."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rpa.challenges.base import CaptchaRequest, OtpRequest, SignRequest

if TYPE_CHECKING:
    from playwright.async_api import Page


class ScriptedChallenges:
    """An OTP and captcha provider that answers from lists, in order.

    With no answer left it waits forever (so the engine's timeout decides), unless
    ``wait_when_empty`` is false, in which case it raises ``LookupError``.
    """

    def __init__(
        self,
        otps: Iterable[str] = (),
        captchas: Iterable[str] = (),
        *,
        wait_when_empty: bool = True,
    ) -> None:
        self.otps = deque(otps)
        self.captchas = deque(captchas)
        self.wait_when_empty = wait_when_empty
        self.otp_requests: list[OtpRequest] = []
        self.captcha_requests: list[CaptchaRequest] = []

    async def _next(self, answers: deque[str], what: str) -> str:
        if answers:
            return answers.popleft()
        if not self.wait_when_empty:
            raise LookupError(f"no scripted {what} left")
        await asyncio.Event().wait()  # never set: the engine's timeout ends it
        raise AssertionError("unreachable")

    async def get_otp(self, request: OtpRequest) -> str:
        self.otp_requests.append(request)
        return await self._next(self.otps, "OTP")

    async def solve(self, request: CaptchaRequest) -> str:
        self.captcha_requests.append(request)
        return await self._next(self.captchas, "captcha")


PageAction = Callable[["Page", SignRequest], Awaitable[None]]


class ScriptedSigner:
    """A signer that runs ``action`` on the page (e.g. clicks "Sign") and returns ``result``."""

    def __init__(
        self, result: Mapping[str, Any] | None = None, action: PageAction | None = None
    ) -> None:
        self.result = dict(result or {"signed": True})
        self.action = action
        self.requests: list[SignRequest] = []

    async def sign(self, request: SignRequest) -> Mapping[str, Any]:
        self.requests.append(request)
        if self.action is not None:
            await self.action(request.page, request)
        return self.result
