"""Page actions: click, fill, select, check, upload, press."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.documents import DocumentRefused, read_document, read_upload
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

if TYPE_CHECKING:
    from playwright.async_api import FilePayload


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
    """Each file opened once and checked; the bytes checked are the bytes the page gets.

    A client's document (a path its record names) is checked as ``rpa.documents`` says:
    still a PDF, within 5 MB, and inside the folders it was allowed in when loaded.
    """
    names = [args.files] if isinstance(args.files, str) else list(args.files)
    documents = _client_documents(ctx.job.client)
    configured = ctx.job.settings.documents_dir
    roots = [] if configured is None else [configured.expanduser().resolve()]
    payloads: list[FilePayload] = []
    for name in names:
        path = Path(name).expanduser()
        try:
            if name in documents:
                # its folder as loaded (resolved then): not resolved again
                data = read_document(path, [*roots, path.parent])
            else:
                data = read_upload(path)
        except DocumentRefused as exc:
            missing = not os.path.lexists(path)
            raise BusinessError(
                f"file to upload not found: {path}" if missing else f"not uploaded: {exc}",
                code="FILE_NOT_FOUND" if missing else "DOCUMENT_REFUSED",
            ) from None
        mime = "application/pdf" if name in documents else _mime_type(path)
        payloads.append({"name": path.name, "mimeType": mime, "buffer": data})
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms, visible=False)
        await element.set_input_files(payloads, timeout=ctx.timeout_ms)
    return [p["name"] for p in payloads]


def _client_documents(client: Mapping[str, Any]) -> set[str]:
    """The paths of the client's documents, as its record holds them (resolved)."""
    documents = client.get("documents") if isinstance(client, Mapping) else None
    if not isinstance(documents, Mapping):
        return set()
    return {str(v) for v in documents.values() if isinstance(v, str | Path) and str(v)}


def _mime_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@handler("press")
async def press(ctx: StepContext, args: PressArgs) -> None:
    if not args.has_target:
        await ctx.page.keyboard.press(args.key)
        return
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms)
        await element.press(args.key, timeout=ctx.timeout_ms)
