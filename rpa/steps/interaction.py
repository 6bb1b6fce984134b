"""Page actions: click, fill, select, check, upload, press."""

from __future__ import annotations

from pathlib import Path

from rpa.errors import BusinessError
from rpa.playbook.args import (
    CheckArgs,
    ClickArgs,
    FillArgs,
    PressArgs,
    SelectArgs,
    UploadArgs,
)
from rpa.steps.base import StepContext, is_secret
from rpa.steps.locate import acting, target
from rpa.steps.registry import handler


@handler("click")
async def click(ctx: StepContext, args: ClickArgs) -> None:
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms)
        if args.double:
            await element.dblclick(button=args.button, force=args.force, timeout=ctx.timeout_ms)
        else:
            await element.click(button=args.button, force=args.force, timeout=ctx.timeout_ms)


@handler("fill")
async def fill(ctx: StepContext, args: FillArgs) -> None:
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms)
        if is_secret(args.value):
            ctx.note_secret_input(element)
        if args.sequential:
            await element.clear(timeout=ctx.timeout_ms)
            await element.press_sequentially(args.value, timeout=ctx.timeout_ms)
        else:
            await element.fill(args.value, timeout=ctx.timeout_ms)


@handler("select")
async def select(ctx: StepContext, args: SelectArgs) -> list[str]:
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms)
        return await element.select_option(args.option, timeout=ctx.timeout_ms)


@handler("check")
async def check(ctx: StepContext, args: CheckArgs) -> None:
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms)
        await element.set_checked(args.checked, timeout=ctx.timeout_ms)


@handler("upload")
async def upload(ctx: StepContext, args: UploadArgs) -> list[str]:
    names = [args.files] if isinstance(args.files, str) else list(args.files)
    files = [Path(name).expanduser() for name in names]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise BusinessError(
            f"file to upload not found: {', '.join(missing)}", code="FILE_NOT_FOUND"
        )
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms, visible=False)
        await element.set_input_files(files, timeout=ctx.timeout_ms)
    return [f.name for f in files]


@handler("press")
async def press(ctx: StepContext, args: PressArgs) -> None:
    if not args.has_target:
        await ctx.page.keyboard.press(args.key)
        return
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms)
        await element.press(args.key, timeout=ctx.timeout_ms)
