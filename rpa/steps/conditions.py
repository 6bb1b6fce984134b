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
from rpa.errors import TemplateError, TransientError
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
    return await _holds(scope, cond, await _look_for(scope, cond, None))


async def holds_unless_overlay(
    scope: Scope, cond: Condition, overlay: LocatorFields
) -> bool | None:
    """Whether the condition holds now, or ``None`` when the progress overlay is up (the
    condition is then not tested). A plain CSS overlay is looked at in the same call to
    the page as the condition's plain CSS parts."""
    look = await _look_for(scope, cond, overlay)
    shown = look.visible(overlay) if look is not None else None
    if shown is None:
        shown = await overlay_shown(scope, overlay)
    if shown:
        return None
    return await _holds(scope, cond, look)


def _css_leaves(scope: Scope, cond: Condition) -> list[LocatorFields]:
    """The plain CSS locators of the condition's ``visible``/``hidden`` tests, rendered."""
    tested = cond.visible if cond.visible is not None else cond.hidden
    if tested is not None:
        try:
            loc = _locator(scope, tested)
        except TemplateError:  # perhaps never reached (``all``, ``any``): rendered again there
            return []
        return [loc] if plain_css(loc) else []
    parts = cond.all or cond.any or ([cond.not_] if cond.not_ is not None else [])
    return [loc for part in parts for loc in _css_leaves(scope, part)]


async def _look_for(scope: Scope, cond: Condition, overlay: LocatorFields | None) -> Screen | None:
    """One look at the page for the condition's plain CSS parts and the overlay (None when
    there is nothing to look for, or the document went away under the look)."""
    wanted = _css_leaves(scope, cond)
    if overlay is not None and plain_css(overlay):
        wanted.append(overlay)
    if not wanted:
        return None
    try:
        return await Screen.take(scope, wanted, text=False)
    except PlaywrightError:  # a navigation replaced the document: ask Playwright
        return None


async def _visible(scope: Scope, loc: LocatorFields, look: Screen | None) -> bool:
    answer = look.visible(loc) if look is not None else None
    if answer is None:
        return await locate.visible_now(scope.job.page, loc)
    return answer


async def _holds(scope: Scope, cond: Condition, look: Screen | None) -> bool:
    if cond.expr is not None:
        return bool(evaluate(cond.expr, scope.context()))
    if cond.visible is not None:
        return await _visible(scope, _locator(scope, cond.visible), look)
    if cond.hidden is not None:
        return not await _visible(scope, _locator(scope, cond.hidden), look)
    if cond.url is not None:
        return url_matches(scope.job.page.url, render(cond.url, scope.context()))
    if cond.text is not None:
        return await locate.visible_now(scope.job.page, _text_locator(scope, cond.text))
    if cond.overlay_gone is not None:
        overlay = _overlay(scope)
        return overlay is None or not await overlay_shown(scope, overlay)
    if cond.all is not None:
        for part in cond.all:
            if not await _holds(scope, part, look):
                return False
        return True
    if cond.any is not None:
        for part in cond.any:
            if await _holds(scope, part, look):
                return True
        return False
    if cond.not_ is not None:
        return not await _holds(scope, cond.not_, look)
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


# A look at the page in one call. For each CSS selector: whether an element it matches is
# visible as Playwright counts it (not hidden by style, a non-empty box; display:contents
# by its children), null when querySelectorAll cannot parse it (Playwright's own CSS
# extensions). Optionally the page's rendered text (innerText: only what is laid out and
# visible), whitespace removed and lower-cased. And whether the page has open shadow roots,
# which Playwright's CSS and text reach into and querySelectorAll and innerText do not.
# And the HTTP status the document came with (null when unknown).
# The helpers every script below starts with: ``shown(e)``, Playwright's visibility, and
# ``shadowRooted()``, whether the page has open shadow roots.
PAGE_HELPERS_JS = """
  const shown = (e) => {
    const style = getComputedStyle(e);
    if (style.display === 'contents') return Array.from(e.children).some(shown);
    if (!e.checkVisibility({visibilityProperty: true})) return false;
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const shadowRooted = () =>
    Array.from(document.querySelectorAll('*')).some((e) => e.shadowRoot);"""
_LOOK_JS = (
    """([selectors, withText]) => {"""
    + PAGE_HELPERS_JS
    + """
  const visible = selectors.map((s) => {
    try { return Array.from(document.querySelectorAll(s)).some(shown); } catch (e) { return null; }
  });
  const shadow = shadowRooted();
  const text = withText
    ? (document.body ? document.body.innerText : '').replace(/\\s+/g, '').toLowerCase()
    : '';
  const status = performance.getEntriesByType('navigation')[0]?.responseStatus ?? null;
  return [visible, text, shadow, status];
}"""
)

# A wait in the page (``page.wait_for_function``, polled every animation frame, across
# navigations) until the overlay is not visible and a tree of plain CSS tests holds:
# {v: css} visible, {h: css} hidden, {all: [...]}, {any: [...]}, {not: t}. It throws where
# it cannot answer as Playwright would: open shadow roots, CSS querySelectorAll rejects.
_WAIT_JS = (
    """([tree, overlay]) => {"""
    + PAGE_HELPERS_JS
    + """
  if (shadowRooted()) throw new Error('rpa: the page has shadow roots');
  const seen = (s) => Array.from(document.querySelectorAll(s)).some(shown);
  const holds = (t) => 'v' in t ? seen(t.v) : 'h' in t ? !seen(t.h)
    : 'all' in t ? t.all.every(holds) : 'any' in t ? t.any.some(holds) : !holds(t.not);
  return (overlay === null || !seen(overlay)) && holds(tree);
}"""
)


def _squeezed(text: str) -> str:
    return "".join(text.split()).lower()


def plain_css(loc: LocatorFields) -> bool:
    """A locator that is a CSS selector and nothing more (no text filter, no n-th pick)."""
    return (
        loc.css is not None
        and loc.strategies() == ["css"]
        and loc.has_text is None
        and loc.nth is None
    )


class Screen:
    """A look at the page in one call (``_LOOK_JS``). It answers "is something visible"
    exactly for a plain CSS locator, and can tell for most other locators that they cannot
    have a visible match: a text not in the page's rendered text (whitespace and case
    aside), a CSS selector with nothing visible. What it cannot answer is asked of
    Playwright as usual. On a page with open shadow roots it answers only what it saw
    (a visible match); everything else goes to Playwright."""

    def __init__(
        self,
        text: str,
        visible: dict[str, bool | None],
        shadow: bool,
        status: int | None = None,
    ) -> None:
        self.text = text
        self._visible = visible
        self.shadow = shadow
        self.status = status  # the document's HTTP status, if known

    @classmethod
    async def take(cls, scope: Scope, locators: list[LocatorFields], *, text: bool) -> Screen:
        selectors = sorted({loc.css for loc in locators if loc.css is not None})
        visible, page_text, shadow, status = await scope.job.page.evaluate(
            _LOOK_JS, [selectors, text]
        )
        answers = {
            s: None if v is None else bool(v) for s, v in zip(selectors, visible, strict=True)
        }
        code = status if isinstance(status, int) and status > 0 else None
        return cls(str(page_text) if text else "", answers, bool(shadow), code)

    def visible(self, loc: LocatorFields) -> bool | None:
        """Whether a plain CSS locator has a visible match; None: ask Playwright."""
        if not plain_css(loc):
            return None
        seen = self._visible.get(loc.css or "")
        if seen is False and self.shadow:
            return None  # it may be inside a shadow root
        return seen

    def ruled_out(self, loc: LocatorFields) -> bool:
        """True when ``loc`` surely has no visible match on the page."""
        if self.shadow:
            return False
        if loc.any_of:
            return all(self.ruled_out(alt) for alt in loc.any_of)
        if loc.has_text is not None and _squeezed(loc.has_text) not in self.text:
            return True
        if loc.text is not None:
            return _squeezed(loc.text) not in self.text
        if loc.css is not None:
            return self._visible.get(loc.css) is False
        return False  # role, label, ...: only Playwright can tell


async def overlay_shown(scope: Scope, overlay: LocatorFields) -> bool:
    """Whether the progress overlay is up. Asked before most steps, so a plain CSS
    overlay (the usual kind) is looked at by one small script rather than a locator query."""
    if plain_css(overlay):
        try:
            look = await Screen.take(scope, [overlay], text=False)
        except PlaywrightError:  # a navigation replaced the document: ask the locator
            look = None
        answer = look.visible(overlay) if look is not None else None
        if answer is not None:
            return answer
    return await locate.visible_now(scope.job.page, overlay)


async def _wait_locator(scope: Scope, loc: LocatorFields, *, show: bool, timeout_ms: int) -> bool:
    found = locate.build(scope.job.page, loc).filter(visible=True).first
    try:
        await found.wait_for(state="attached" if show else "detached", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return False
    return True


def overlay_stuck(overlay: LocatorFields, timeout_ms: int) -> TransientError:
    return TransientError(
        f"the portal's progress overlay ({overlay.describe()}) stayed up for "
        f"{locate.seconds(timeout_ms)}"
    )


async def overlay_gone(scope: Scope, timeout_ms: int) -> None:
    """Wait for the progress overlay to go (a transient failure if it stays up), unless it
    was seen gone since the last action."""
    job = scope.job
    overlay = job.detect.overlay
    if overlay is None or job.overlay_clear_at == job.actions:
        return
    if not await wait_until(scope, Condition(overlay_gone=True), timeout_ms):
        raise overlay_stuck(overlay, timeout_ms)
    job.overlay_clear_at = job.actions


def css_tree(scope: Scope, cond: Condition) -> dict[str, object] | None:
    """The condition as a tree of plain CSS tests for ``_WAIT_JS``, rendered; ``None`` when
    a part of it is anything else (text, url, expr, a Playwright-only locator)."""
    tested = cond.visible if cond.visible is not None else cond.hidden
    if tested is not None:
        try:
            loc = _locator(scope, tested)
        except TemplateError:
            return None
        if not plain_css(loc):
            return None
        return {"v" if cond.visible is not None else "h": loc.css}
    if cond.all is not None or cond.any is not None:
        parts = [css_tree(scope, part) for part in (cond.all or cond.any or [])]
        if not parts or any(part is None for part in parts):
            return None
        return {"all" if cond.all is not None else "any": parts}
    if cond.not_ is not None:
        inner = css_tree(scope, cond.not_)
        return None if inner is None else {"not": inner}
    return None


async def wait_settled(scope: Scope, cond: Condition, timeout_ms: int) -> bool:
    """Wait up to ``timeout_ms`` for the progress overlay to go and the condition to hold;
    whether it came to hold (an overlay that stays up is a transient failure). A condition
    of plain CSS tests and a plain CSS overlay are waited for together, in one wait in the
    page; anything else waits for the overlay, then for the condition."""
    job = scope.job
    overlay = job.detect.overlay
    if overlay is None or job.overlay_clear_at == job.actions:
        return await wait_until(scope, cond, timeout_ms)
    started = time.monotonic()
    tree = css_tree(scope, cond) if plain_css(overlay) else None
    if tree is not None:
        try:
            await job.page.wait_for_function(
                _WAIT_JS, arg=[tree, overlay.css], polling="raf", timeout=timeout_ms
            )
        except PlaywrightTimeoutError:
            if await overlay_shown(scope, overlay):
                raise overlay_stuck(overlay, timeout_ms) from None
            return False
        except PlaywrightError:
            pass  # the page cannot tell (shadow roots, Playwright's own CSS): wait as usual
        else:
            job.overlay_clear_at = job.actions
            return True
    # at least 1 ms: a timeout of 0 is "no timeout" to Playwright
    left = max(1, timeout_ms - int((time.monotonic() - started) * 1000))
    await overlay_gone(scope, left)
    return await wait_until(scope, cond, left)


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
        if overlay is None or not await overlay_shown(scope, overlay):
            return True
        return await _wait_locator(scope, overlay, show=False, timeout_ms=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if await holds(scope, cond):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_S)
