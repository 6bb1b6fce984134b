"""Challenges: otp, captcha, sign. The providers answer; this module waits for them
(``settings.challenge_timeout_s``), emits ``ChallengeWaiting`` and masks every answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from rpa.challenges.base import (
    CaptchaRequest,
    OtpProvider,
    OtpRequest,
    SignRequest,
    mask_destination,
)
from rpa.errors import NeedsInputError, StepError, TransientError
from rpa.events import ArtifactSaved, ChallengeWaiting
from rpa.masking import register_secret
from rpa.playbook.args import CaptchaArgs, OtpArgs, SignArgs
from rpa.steps.base import StepContext
from rpa.steps.locate import acting, target
from rpa.steps.registry import handler


async def ask(
    ctx: StepContext,
    challenge: str,
    prompt: str,
    answer: Awaitable[str],
    artifact: str | None = None,
) -> str:
    """Wait for a provider's answer; register it as a secret. ``NeedsInputError`` on timeout."""
    ctx.emit(
        ChallengeWaiting(
            job_id=ctx.job.job_id, challenge=challenge, prompt=prompt, artifact=artifact
        )
    )
    timeout_s = ctx.job.settings.challenge_timeout_s
    try:
        value = await asyncio.wait_for(answer, timeout=timeout_s)
    except TimeoutError as exc:
        raise unanswered(
            ctx, challenge, f"nobody answered the {challenge} in {timeout_s:g}s: {prompt}"
        ) from exc
    except NeedsInputError as exc:
        if exc.code != f"{challenge.upper()}_TIMEOUT":
            raise
        raise unanswered(ctx, challenge, exc.message) from exc
    except LookupError as exc:
        raise NeedsInputError(
            f"no {challenge} available: {exc}", code=f"{challenge.upper()}_MISSING"
        ) from exc
    value = str(value).strip()
    register_secret(value)
    return value


def unanswered(ctx: StepContext, challenge: str, message: str) -> StepError:
    """A challenge nobody answered in time: a person is needed (``needs-input``). An OTP
    is the exception when the job failed transiently before (a busy portal): the OTP may
    never have been sent (lost with a busy answer), so the failure is transient too and a
    batch runs the job again rather than wait for a person."""
    code = f"{challenge.upper()}_TIMEOUT"
    if challenge == "otp" and ctx.job.transient_failures:
        return TransientError(
            f"{message} (after {ctx.job.transient_failures} transient failure(s) of the "
            "portal in this job, so it may never have been sent)",
            code=code,
        )
    return NeedsInputError(message, code=code)


def otp_provider(ctx: StepContext, prompt: str) -> OtpProvider:
    """The job's OTP provider; ``needs-input`` when none is set up."""
    provider = ctx.job.providers.otp
    if provider is None:
        raise NeedsInputError(
            f"an OTP is needed ({prompt}) but no OTP provider is set up", code="NO_OTP_PROVIDER"
        )
    return provider


async def ask_otp(ctx: StepContext, channel: str, prompt: str, address: str | None = None) -> str:
    provider = otp_provider(ctx, prompt)
    request = OtpRequest(
        job_id=ctx.job.job_id,
        client=ctx.job.client_label,
        prompt=prompt,
        timeout_s=ctx.job.settings.challenge_timeout_s,
        channel=channel,
        destination=mask_destination(address) if address else None,
        address=address,
    )
    return await ask(ctx, "otp", prompt, provider.get_otp(request))


def _for_client(ctx: StepContext) -> str:
    return f" for {ctx.job.client_label}" if ctx.job.client_label else ""


@handler("otp")
async def otp(ctx: StepContext, args: OtpArgs) -> dict[str, Any]:
    destination = mask_destination(args.destination) if args.destination else None
    prompt = args.prompt or (
        f"OTP sent to {args.channel}{' ' + destination if destination else ''}{_for_client(ctx)}"
    )
    otp_provider(ctx, prompt)  # before the field: with no provider, nobody can answer
    # The field first: a page without it (a busy answer to "Send OTP") sent no OTP, and
    # nobody should be asked for one.
    with acting(args.into, ctx.timeout_ms):
        field = await target(ctx.page, args.into, ctx.timeout_ms)
        await field.wait_for(state="visible", timeout=ctx.timeout_ms)
    code = await ask_otp(ctx, args.channel, prompt, args.destination)
    with acting(args.into, ctx.timeout_ms):
        ctx.note_secret_input(field)
        await field.fill(code, timeout=ctx.timeout_ms)
    return {"channel": args.channel, "entered": True}


@handler("captcha")
async def captcha(ctx: StepContext, args: CaptchaArgs) -> dict[str, Any]:
    provider = ctx.job.providers.captcha
    # a provider that answers by the captcha's id (the mock's) needs no picture of it
    wants_image = provider is None or getattr(provider, "needs_image", True)
    png = b""
    with acting(args.image, ctx.timeout_ms):
        image = await target(ctx.page, args.image, ctx.timeout_ms)
        if wants_image:
            png = await image.screenshot(timeout=ctx.timeout_ms)
        captcha_id = (
            await image.get_attribute(args.id_attribute, timeout=ctx.timeout_ms)
            if args.id_attribute
            else None
        )
    path: Path | None = None
    if wants_image:
        path = ctx.job.artifacts.unique("captcha", ".png")
        path.write_bytes(png)
        ctx.emit(ArtifactSaved(job_id=ctx.job.job_id, kind="captcha", path=str(path)))
    shown = path.name if path is not None else f"captcha {captcha_id}"
    prompt = args.prompt or f"Type the captcha in {shown}{_for_client(ctx)}"
    if provider is None:
        raise NeedsInputError(
            f"a captcha must be solved ({path}) but no captcha provider is set up",
            code="NO_CAPTCHA_PROVIDER",
        )
    request = CaptchaRequest(
        job_id=ctx.job.job_id,
        client=ctx.job.client_label,
        prompt=prompt,
        timeout_s=ctx.job.settings.challenge_timeout_s,
        image=png,
        image_path=path,
        captcha_id=captcha_id,
    )
    answer = await ask(
        ctx, "captcha", prompt, provider.solve(request), artifact=str(path) if path else None
    )
    with acting(args.into, ctx.timeout_ms):
        field = await target(ctx.page, args.into, ctx.timeout_ms)
        ctx.note_secret_input(field)
        await field.fill(answer, timeout=ctx.timeout_ms)
    return {"image": str(path) if path else None, "entered": True}


@handler("sign")
async def sign(ctx: StepContext, args: SignArgs) -> dict[str, Any]:
    signer = ctx.job.providers.signers.get(args.method)
    if signer is None:
        raise NeedsInputError(f"no signer is registered for {args.method!r}", code="NO_SIGNER")

    async def otp_for_signer(channel: str, prompt: str, address: str | None = None) -> str:
        return await ask_otp(ctx, channel, prompt, address)

    request = SignRequest(
        job_id=ctx.job.job_id,
        client=ctx.job.client_label,
        method=args.method,
        page=ctx.page,
        params=dict(args.params),
        timeout_ms=ctx.timeout_ms,
        artifacts_dir=ctx.artifacts_dir,
        ask_otp=otp_for_signer,
    )
    return dict(await signer.sign(request))
