"""Going places: goto."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from rpa.errors import TransientError
from rpa.playbook.args import GotoArgs
from rpa.steps.base import StepContext
from rpa.steps.registry import handler


def absolute(url: str, portal_url: str) -> str:
    """``index.jsp`` and ``/CP/x`` are taken relative to the portal URL setting."""
    return url if "://" in url else urljoin(portal_url, url)


@handler("goto")
async def goto(ctx: StepContext, args: GotoArgs) -> dict[str, Any]:
    url = absolute(args.url, ctx.job.settings.portal_url)
    timeout = ctx.step.options.timeout_ms or ctx.job.settings.navigation_timeout_ms
    response = await ctx.page.goto(url, wait_until=args.wait_until, timeout=timeout)
    status = response.status if response is not None else None
    if status is not None and status >= 500:
        raise TransientError(f"the portal answered HTTP {status} for {url}")
    return {"url": ctx.page.url, "status": status}
