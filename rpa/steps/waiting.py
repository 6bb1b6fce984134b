"""Waiting and checking: wait_for, assert."""

from __future__ import annotations

from rpa.errors import BusinessError, TransientError
from rpa.playbook.args import AssertArgs, WaitForArgs
from rpa.playbook.model import Locator
from rpa.playbook.render import render_model
from rpa.playbook.template import render
from rpa.steps.base import StepContext
from rpa.steps.conditions import wait_settled
from rpa.steps.locate import nothing_matches, seconds
from rpa.steps.registry import handler


@handler("wait_for")
async def wait_for(ctx: StepContext, args: WaitForArgs) -> None:
    if await wait_settled(ctx.scope, args, ctx.timeout_ms, ctx.screen):
        return
    context = ctx.scope.context()
    if args.visible is not None:
        raise nothing_matches(render_model(args.visible, context), ctx.timeout_ms)
    if args.text is not None:
        raise nothing_matches(Locator(text=render(args.text, context)), ctx.timeout_ms)
    raise TransientError(f"still waiting after {seconds(ctx.timeout_ms)} for {args.describe()}")


@handler("assert")
async def assert_(ctx: StepContext, args: AssertArgs) -> None:
    if await wait_settled(ctx.scope, args, ctx.timeout_ms, ctx.screen):
        return
    raise BusinessError(args.message or f"assertion failed: {args.describe()}", code=args.code)
