"""Values: extract, set, log, fail."""

from __future__ import annotations

import re
from typing import Any

from loguru import logger

from rpa.errors import BusinessError, PortalChangedError, TransientError
from rpa.playbook.args import ExtractArgs, FailArgs, LogArgs, SetArgs
from rpa.steps.base import StepContext
from rpa.steps.locate import acting, target
from rpa.steps.registry import handler


@handler("extract")
async def extract(ctx: StepContext, args: ExtractArgs) -> str:
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms, visible=args.attribute is None)
        if args.attribute == "value":
            text = await element.input_value(timeout=ctx.timeout_ms)
        elif args.attribute is not None:
            text = await element.get_attribute(args.attribute, timeout=ctx.timeout_ms) or ""
        else:
            text = await element.inner_text(timeout=ctx.timeout_ms)
    text = " ".join(text.split())
    if args.regex is not None:
        pattern = re.compile(args.regex)
        found = pattern.search(text)
        if found is None:
            raise PortalChangedError(
                f"the portal may have changed: the text of {args.describe()} ({text[:80]!r}) "
                f"does not match {args.regex!r}",
                locator=args.describe(),
            )
        group = args.group if args.group is not None else (1 if pattern.groups else 0)
        text = found.group(group) or ""
    ctx.set_var(args.into, text)
    return text


@handler("set")
async def set_(ctx: StepContext, args: SetArgs) -> dict[str, Any]:
    for name, value in args.values.items():
        ctx.set_var(name, value)
    return dict(args.values)


@handler("log")
async def log(ctx: StepContext, args: LogArgs) -> str:
    logger.bind(job_id=ctx.job.job_id, step=ctx.path).log(args.level.upper(), args.message)
    ctx.job.artifacts.note(f"log {args.level}: {args.message}")
    return args.message


@handler("fail")
async def fail(ctx: StepContext, args: FailArgs) -> None:
    if args.kind == "transient":
        raise TransientError(args.message, code=args.code)
    raise BusinessError(args.message, code=args.code)
