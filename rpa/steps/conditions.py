"""Testing conditions: now (``when``, ``guard``, ``until``, detectors) or by waiting for
them to hold (``wait_for``, ``assert``).

Waiting uses Playwright's own waits for a single locator; composite and expression
conditions are polled every ``POLL_S`` until the deadline. This is the only polling in
the engine, and it is a wait, not a retry.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import time
from typing import TYPE_CHECKING

from rpa.browser import PlaywrightTimeoutError
from rpa.playbook.model import Condition, Locator, LocatorFields
from rpa.playbook.render import render_model
from rpa.playbook.template import evaluate, render
from rpa.steps import locate

if TYPE_CHECKING:
    from rpa.steps.base import Scope

POLL_S = 0.1


def url_matches(url: str, pattern: str) -> bool:
    """``re:<regex>`` searches; a pattern with ``*``/``?`` must match the whole URL (``*``
    crosses ``/``); anything else is a substring."""
    if pattern.startswith("re:"):
        return re.search(pattern[3:], url) is not None
    if "*" in pattern or "?" in pattern:
        return fnmatch.fnmatchcase(url, pattern)
    return pattern in url


def _locator(scope: Scope, loc: LocatorFields) -> LocatorFields:
    return render_model(loc, scope.context())


def _text_locator(scope: Scope, text: str) -> Locator:
    return Locator(text=render(text, scope.context()))


def _overlay(scope: Scope) -> LocatorFields | None:
    return scope.job.detect.overlay


async def holds(scope: Scope, cond: Condition) -> bool:
    """Whether the condition holds now (no waiting)."""
    page = scope.job.page
    if cond.expr is not None:
        return bool(evaluate(cond.expr, scope.context()))
    if cond.visible is not None:
        return await locate.visible_now(page, _locator(scope, cond.visible))
    if cond.hidden is not None:
        return not await locate.visible_now(page, _locator(scope, cond.hidden))
    if cond.url is not None:
        return url_matches(page.url, render(cond.url, scope.context()))
    if cond.text is not None:
        return await locate.visible_now(page, _text_locator(scope, cond.text))
    if cond.overlay_gone is not None:
        overlay = _overlay(scope)
        return overlay is None or not await locate.visible_now(page, overlay)
    if cond.all is not None:
        for part in cond.all:
            if not await holds(scope, part):
                return False
        return True
    if cond.any is not None:
        for part in cond.any:
            if await holds(scope, part):
                return True
        return False
    if cond.not_ is not None:
        return not await holds(scope, cond.not_)
    raise ValueError("empty condition")


async def _wait_locator(scope: Scope, loc: LocatorFields, *, show: bool, timeout_ms: int) -> bool:
    found = locate.build(scope.job.page, loc).filter(visible=True).first
    try:
        await found.wait_for(state="attached" if show else "detached", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return False
    return True


async def wait_until(scope: Scope, cond: Condition, timeout_ms: int) -> bool:
    """Wait up to ``timeout_ms`` for the condition; whether it came to hold."""
    if cond.visible is not None:
        return await _wait_locator(
            scope, _locator(scope, cond.visible), show=True, timeout_ms=timeout_ms
        )
    if cond.hidden is not None:
        return await _wait_locator(
            scope, _locator(scope, cond.hidden), show=False, timeout_ms=timeout_ms
        )
    if cond.text is not None:
        return await _wait_locator(
            scope, _text_locator(scope, cond.text), show=True, timeout_ms=timeout_ms
        )
    if cond.overlay_gone is not None:
        overlay = _overlay(scope)
        if overlay is None:
            return True
        return await _wait_locator(scope, overlay, show=False, timeout_ms=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if await holds(scope, cond):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_S)
