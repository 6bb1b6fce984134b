"""Values: extract, read, set, log, fail."""

from __future__ import annotations

import re
from typing import Any

from loguru import logger

from rpa.browser import PlaywrightError
from rpa.errors import BusinessError, PortalChangedError, TransientError
from rpa.masking import verbatim
from rpa.playbook.args import ExtractArgs, FailArgs, LogArgs, ReadArgs, ReadField, SetArgs
from rpa.steps.base import StepContext
from rpa.steps.locate import acting, target
from rpa.steps.registry import handler
from rpa.steps.screen import PAGE_HELPERS_JS, plain_css

# The innerText of each selector's first visible match (Playwright's ``inner_text`` of
# ``filter(visible=True).first``), null where none is visible or the selector is not
# querySelectorAll's; all null on a page with open shadow roots, which Playwright reaches
# into and querySelectorAll does not.
_TEXTS_JS = (
    """(selectors) => {"""
    + PAGE_HELPERS_JS
    + """
  if (shadowRooted()) return null;
  return selectors.map((s) => {
    try {
      const found = Array.from(document.querySelectorAll(s)).find(shown);
      return found ? found.innerText : null;
    } catch (e) { return null; }
  });
}"""
)


@handler("extract")
async def extract(ctx: StepContext, args: ExtractArgs) -> str:
    text = _kept(args, await _read_one(ctx, args))
    ctx.set_var(args.into, text)
    return text


@handler("read")
async def read(ctx: StepContext, args: ReadArgs) -> dict[str, str]:
    """Each field as ``extract`` reads it. The texts of plain CSS fields that are on the
    page are read in one look; the others, and any not there yet, one by one (waiting)."""
    seen = await _texts_now(ctx, args.fields)
    values: dict[str, str] = {}
    for name, spec in args.fields.items():
        text = seen.get(name)
        values[name] = _kept(spec, text if text is not None else await _read_one(ctx, spec))
    for name, value in values.items():
        ctx.set_var(name, value)
    return values


async def _read_one(ctx: StepContext, args: ReadField) -> str:
    with acting(args, ctx.timeout_ms):
        element = await target(ctx.page, args, ctx.timeout_ms, visible=args.attribute is None)
        if args.attribute == "value":
            return await element.input_value(timeout=ctx.timeout_ms)
        if args.attribute is not None:
            return await element.get_attribute(args.attribute, timeout=ctx.timeout_ms) or ""
        return await element.inner_text(timeout=ctx.timeout_ms)


async def _texts_now(ctx: StepContext, fields: dict[str, ReadField]) -> dict[str, str | None]:
    """The text of the first visible match of each plain CSS field (no attribute), in one
    call to the page; None where there is none yet or the page cannot tell."""
    wanted = {
        name: spec.css
        for name, spec in fields.items()
        if spec.attribute is None and spec.css is not None and plain_css(spec)
    }
    if len(wanted) < 2:
        return {}
    try:
        texts = await ctx.page.evaluate(_TEXTS_JS, list(wanted.values()))
    except PlaywrightError:  # a navigation replaced the document: read one by one
        return {}
    return {
        name: text if isinstance(text, str) else None
        for name, text in zip(wanted, texts or [None] * len(wanted), strict=True)
    }


def _kept(args: ReadField, text: str) -> str:
    text = " ".join(text.split())
    if args.regex is None:
        return text
    pattern = re.compile(args.regex)
    found = pattern.search(text)
    if found is None:
        raise PortalChangedError(
            f"the portal may have changed: the text of {args.describe()} ({text[:80]!r}) "
            f"does not match {args.regex!r}",
            locator=args.describe(),
        )
    group = args.group if args.group is not None else (1 if pattern.groups else 0)
    return found.group(group) or ""


@handler("set")
async def set_(ctx: StepContext, args: SetArgs) -> dict[str, Any]:
    for name, value in args.values.items():
        ctx.set_var(name, value)
    return dict(args.values)


@handler("log")
async def log(ctx: StepContext, args: LogArgs) -> str:
    # a record: the loader refuses a secret in a log message, so nothing in it is scrubbed
    # (an ack like IEC/UPD/2026/000003 stays whole beside a PIN 2026)
    with verbatim():
        logger.bind(job_id=ctx.job.job_id, step=ctx.path).log(args.level.upper(), args.message)
        ctx.job.artifacts.note(f"log {args.level}: {args.message}")
    return args.message


@handler("fail")
async def fail(ctx: StepContext, args: FailArgs) -> None:
    if args.kind == "transient":
        raise TransientError(args.message, code=args.code)
    raise BusinessError(args.message, code=args.code)
