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

from rpa.browser import PlaywrightError, PlaywrightTimeoutError
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
        return overlay is None or not await _overlay_shown(scope, overlay)
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


def visible_parts(scope: Scope, cond: Condition) -> list[LocatorFields] | None:
    """The locators of a condition that holds exactly when one of them has a visible match
    (``visible``, ``text``, and ``any`` of those), rendered; ``None`` for other shapes."""
    if cond.visible is not None:
        return [_locator(scope, cond.visible)]
    if cond.text is not None:
        return [_text_locator(scope, cond.text)]
    if cond.any is not None:
        parts: list[LocatorFields] = []
        for part in cond.any:
            found = visible_parts(scope, part)
            if found is None:
                return None
            parts.extend(found)
        return parts
    return None


# What the page shows, in one call: its rendered text (``innerText``: only what is laid
# out and visible) with whitespace removed and lower-cased, and which CSS selectors match.
_SCREEN_JS = """([selectors]) => {
  const text = (document.body ? document.body.innerText : '').replace(/\\s+/g, '').toLowerCase();
  const found = selectors.map((s) => {
    try { return document.querySelector(s) !== null; } catch (e) { return true; }
  });
  return [text, found];
}"""


def _squeezed(text: str) -> str:
    return "".join(text.split()).lower()


class Screen:
    """A quick look at the page that can tell, for most locators, that they cannot have a
    visible match: a text that is not in the page's rendered text (whitespace and case
    aside), a CSS selector that matches nothing. It never says a locator matches: what it
    cannot rule out is tested with Playwright as usual. (Text inside shadow roots or
    frames is not in ``innerText``; a screened locator there would be missed, and the
    portal's detectors do not look there.)"""

    def __init__(self, text: str, found: dict[str, bool]) -> None:
        self.text = text
        self.found = found

    @classmethod
    async def take(cls, scope: Scope, locators: list[LocatorFields]) -> Screen:
        selectors = sorted({loc.css for loc in locators if loc.css is not None})
        text, found = await scope.job.page.evaluate(_SCREEN_JS, [selectors])
        return cls(str(text), dict(zip(selectors, (bool(f) for f in found), strict=True)))

    def ruled_out(self, loc: LocatorFields) -> bool:
        """True when ``loc`` surely has no visible match on the page."""
        if loc.any_of:
            return all(self.ruled_out(alt) for alt in loc.any_of)
        if loc.has_text is not None and _squeezed(loc.has_text) not in self.text:
            return True
        if loc.text is not None:
            return _squeezed(loc.text) not in self.text
        if loc.css is not None:
            return not self.found.get(loc.css, True)
        return False  # role, label, ...: only Playwright can tell


_CSS_VISIBLE_JS = """(selector) => Array.from(document.querySelectorAll(selector)).some(
  (e) => e.checkVisibility({visibilityProperty: true}))"""


async def _overlay_shown(scope: Scope, overlay: LocatorFields) -> bool:
    """Whether the progress overlay is up. Asked before most steps, so a plain CSS
    overlay (the usual kind) is checked by one small script rather than a locator query."""
    if overlay.css is not None and overlay.strategies() == ["css"] and overlay.has_text is None:
        try:
            return bool(await scope.job.page.evaluate(_CSS_VISIBLE_JS, overlay.css))
        except PlaywrightError:  # a navigation replaced the document: ask the locator
            pass
    return await locate.visible_now(scope.job.page, overlay)


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
        if overlay is None or not await _overlay_shown(scope, overlay):
            return True
        return await _wait_locator(scope, overlay, show=False, timeout_ms=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if await holds(scope, cond):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_S)
