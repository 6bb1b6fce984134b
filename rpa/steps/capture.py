"""Files: screenshot, download (with SHA-256 and an optional PDF check)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from rpa.browser import PlaywrightTimeoutError
from rpa.errors import BusinessError, TransientError
from rpa.events import ArtifactSaved
from rpa.playbook.args import DownloadArgs, ScreenshotArgs
from rpa.steps.base import StepContext
from rpa.steps.locate import acting, seconds, target
from rpa.steps.registry import handler


@handler("screenshot")
async def screenshot(ctx: StepContext, args: ScreenshotArgs) -> str:
    path = await ctx.job.artifacts.screenshot(
        ctx.page, args.name, full_page=args.full_page, mask=ctx.job.secret_inputs
    )
    return str(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _destination(ctx: StepContext, save_as: str) -> Path:
    path = Path(save_as).expanduser()
    if not path.is_absolute():
        path = ctx.job.artifacts.root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def pdf_text(path: Path) -> str:
    """All pages' text. Raises ``ValueError`` when the file is not a readable PDF."""
    try:
        reader = PdfReader(path)
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc


def verify_pdf(path: Path, must_contain: list[str]) -> None:
    """Raise ``BusinessError`` unless the PDF's text holds every string (spacing ignored)."""
    try:
        text = pdf_text(path)
    except ValueError as exc:
        raise BusinessError(
            f"the downloaded file is not a readable PDF: {exc}", code="DOWNLOAD_NOT_PDF"
        ) from exc
    flat = " ".join(text.split()).casefold()
    missing = [s for s in must_contain if " ".join(s.split()).casefold() not in flat]
    if missing:
        raise BusinessError(
            f"the downloaded PDF does not contain: {', '.join(repr(m) for m in missing)}",
            code="DOWNLOAD_VERIFY_FAILED",
        )


@handler("download")
async def download(ctx: StepContext, args: DownloadArgs) -> dict[str, Any]:
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms)
        try:
            async with ctx.page.expect_download(timeout=ctx.timeout_ms) as info:
                await element.click(timeout=ctx.timeout_ms)
            pending = await info.value
        except PlaywrightTimeoutError as exc:
            if "expect_download" in exc.message or "download" in exc.message.lower():
                raise TransientError(
                    f"clicking {args.describe()} started no download within "
                    f"{seconds(ctx.timeout_ms)}"
                ) from exc
            raise
    failure = await pending.failure()
    if failure is not None:
        raise TransientError(f"the download failed: {failure}")
    path = _destination(ctx, args.save_as)
    # saved among the job's artifacts first: only a file that passed its checks is filed
    # where save_as says (a certificate folder holds verified certificates only); one that
    # failed stays with the job, as evidence
    staged = ctx.job.artifacts.unique("download", path.suffix or ".bin")
    await pending.save_as(staged)
    if args.verify is not None and args.verify.pdf_contains:
        try:
            verify_pdf(staged, list(args.verify.pdf_contains))
        except BusinessError:
            ctx.emit(ArtifactSaved(job_id=ctx.job.job_id, kind="download", path=str(staged)))
            raise
    shutil.move(staged, path)
    result = {
        "path": str(path),
        "sha256": sha256_of(path),
        "size": path.stat().st_size,
        "filename": pending.suggested_filename,
    }
    ctx.emit(ArtifactSaved(job_id=ctx.job.job_id, kind="download", path=str(path)))
    return result
