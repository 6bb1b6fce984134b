"""OTP and captcha providers that ask the office console (``rpa serve``) over HTTP.

A job on a worker PC never asks at that PC's terminal: it raises its challenge in the
office console, where staff answer it, through the console's API with this worker's
credential (``RPA_CONSOLE_URL``, ``RPA_WORKER_TOKEN``):

- ``POST /api/v1/challenges`` (``Authorization: Bearer <credential>``) with JSON
  ``{job_id, kind: otp|captcha, client, firm, prompt, channel, destination, image_base64,
  timeout_s}`` → ``{"id": ..., "state": "waiting", ...}``; ``destination`` is where the OTP
  went, masked; ``image_base64`` the captcha (PNG, base64);
- ``GET /api/v1/challenges/{id}`` → ``{"state": "waiting" | "answered" | "expired",
  "answer": "..."}`` (the answer is given once).

The provider polls until the challenge is answered; an expired one, or one still waiting
when the job's own timeout passes, ends the job ``needs-input`` (the engine's timeout
applies too). The answer is never logged: the engine registers it as a secret.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx
from loguru import logger

from rpa.challenges.base import CaptchaRequest, ChallengeRequest, OtpRequest, Providers
from rpa.errors import ConfigError, NeedsInputError

if TYPE_CHECKING:
    from rpa.config import Settings

_LABEL = re.compile(r"^(?P<iec>\S+) \((?P<firm>.*)\)$")


def split_label(label: str | None) -> tuple[str | None, str | None]:
    """``"0312345678 (Acme Exports)"`` → ``("0312345678", "Acme Exports")``."""
    if not label:
        return None, None
    match = _LABEL.match(label)
    return (match["iec"], match["firm"]) if match else (label, None)


@dataclass
class ConsoleChallenges:
    """Both providers in one: ``get_otp`` and ``solve``."""

    url: str  # the console's root, e.g. http://office-pc:8765
    credential: str
    poll_s: float = 1.0
    timeout_s: float = 10.0  # each HTTP call

    async def get_otp(self, request: OtpRequest) -> str:
        return await self._ask(
            request, "otp", channel=request.channel, destination=request.destination
        )

    async def solve(self, request: CaptchaRequest) -> str:
        return await self._ask(
            request, "captcha", image_base64=base64.b64encode(request.image).decode()
        )

    async def _ask(self, request: ChallengeRequest, kind: str, **extra: Any) -> str:
        iec, firm = split_label(request.client)
        body = {
            "job_id": request.job_id,
            "kind": kind,
            "client": iec,
            "firm": firm,
            "prompt": request.prompt,
            "timeout_s": request.timeout_s,
            **extra,
        }
        headers = {"Authorization": f"Bearer {self.credential}"}
        deadline = time.monotonic() + request.timeout_s
        root = self.url.rstrip("/")
        async with httpx.AsyncClient(timeout=self.timeout_s, headers=headers) as http:
            created = await self._call(http.post(f"{root}/api/v1/challenges", json=body))
            challenge = str(created["id"])
            logger.info("{}: {} raised in the office console ({})", iec, kind, challenge)
            while time.monotonic() < deadline:
                try:
                    seen = await self._call(http.get(f"{root}/api/v1/challenges/{challenge}"))
                except NeedsInputError:
                    raise
                except httpx.HTTPError as exc:  # the console restarting: ask again
                    logger.warning("the office console did not answer: {}", exc)
                    seen = {"state": "waiting"}
                if seen.get("state") == "answered" and seen.get("answer"):
                    return str(seen["answer"])
                if seen.get("state") == "expired":
                    break
                await asyncio.sleep(self.poll_s)
        raise NeedsInputError(f"nobody answered the {kind} in the office console in time")

    async def _call(self, pending: Any) -> dict[str, Any]:
        response: httpx.Response = await pending
        if response.status_code in (401, 403):
            raise NeedsInputError(
                "the office console refused this worker's credential (RPA_WORKER_TOKEN)",
                code="CONSOLE_REFUSED",
            )
        response.raise_for_status()
        answer = response.json()
        return answer if isinstance(answer, dict) else {}


def console_providers(settings: Settings, providers: Providers) -> Providers:
    """``providers`` with the OTP and captcha asked in the office console."""
    if not settings.console_url:
        return providers
    if settings.worker_token is None:
        raise ConfigError("RPA_CONSOLE_URL is set: give this worker's credential too")
    asker = ConsoleChallenges(settings.console_url, settings.worker_token.get_secret_value())
    return replace(providers, otp=asker, captcha=asker)
