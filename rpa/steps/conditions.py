"""Testing conditions: now (``when``, ``guard``, ``until``, detectors) or by waiting for
them to hold (``wait_for``, ``assert``).

Waiting uses Playwright's own waits: for a single locator, and for a condition of CSS
tests (with the overlay gone) a wait for the document's root element to match a selector
that says so (``root_test``). Other composite and expression conditions are polled every
``POLL_S`` until the deadline. This is the only polling in the engine, and it is a wait,
not a retry.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import time
from typing import TYPE_CHECKING

from rpa.browser import PlaywrightError, PlaywrightTimeoutError
from rpa.errors import PopupShown, TemplateError, TransientError
from rpa.playbook.model import Condition, Locator, LocatorFields
from rpa.playbook.render import render_model
from rpa.playbook.template import evaluate, render
from rpa.steps import locate
from rpa.steps.screen import Screen, plain_css

if TYPE_CHECKING:
    from rpa.steps.base import Scope

POLL_S = 0.1
BUSY_CODE = "PORTAL_BUSY"  # a transient failure that is the portal's busy page


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


_TEXT_LOCATORS: dict[str, Locator] = {}  # the playbooks' texts without a template


def _text_locator(scope: Scope, text: str) -> Locator:
    if "{" in text:
        return Locator(text=render(text, scope.context()))
    found = _TEXT_LOCATORS.get(text)
    if found is None:  # the detectors' texts are asked after every navigation: built once
        found = _TEXT_LOCATORS[text] = Locator(text=text)
    return found


def _overlay(scope: Scope) -> LocatorFields | None:
    return scope.job.detect.overlay


async def holds(scope: Scope, cond: Condition, look: Screen | None = None) -> bool:
    """Whether the condition holds now (no waiting). ``look`` answers what it can; without
    one, a look is taken (and kept) if the condition has plain CSS parts."""
    if look is None and _css_leaves(scope, cond):
        look = await look_at_page(scope, cond)
    return await _holds(scope, cond, look)


def lookable(cond: Condition) -> bool:
    """Whether a look at the page can answer some part of the condition (a text, or a
    locator with a CSS selector or a text)."""
    tested = cond.visible if cond.visible is not None else cond.hidden
    if tested is not None:
        return tested.css is not None or tested.text is not None
    if cond.text is not None:
        return True
    parts = cond.all or cond.any or ([cond.not_] if cond.not_ is not None else [])
    return any(lookable(part) for part in parts)


async def look_at_page(
    scope: Scope, cond: Condition | None = None, *extra: LocatorFields
) -> Screen | None:
    """A look at the page, with its text, for every watched selector, the overlay, the
    condition's plain CSS parts and ``extra``; kept as the job's fresh look (it answers
    the probes until the next step). None when the document went away under it."""
    job = scope.job
    wanted = list(job.looks.watched)
    if cond is not None:
        wanted.extend(loc.css or "" for loc in _css_leaves(scope, cond))
    overlay = job.detect.overlay
    wanted.extend(loc.css for loc in (overlay, *extra) if loc is not None and loc.css is not None)
    epoch, loaded = job.looks.epoch, job.looks.document_loaded
    try:
        screen = await Screen.take(job.page, wanted, text=True)
    except PlaywrightError:  # a navigation replaced the document: ask Playwright
        return None
    screen.loaded = loaded
    job.looks.keep(screen, epoch)
    if overlay is not None and screen.visible(overlay) is False:
        job.looks.note_settled()  # no step need ask again until the next action
    return screen


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


def _seen(loc: LocatorFields, look: Screen) -> bool | None:
    answer = look.visible(loc)
    if answer is None and look.ruled_out(loc):
        return False
    return answer


def _decided_leaf(scope: Scope, cond: Condition, look: Screen) -> bool | None:
    """What ``look`` says of a condition that is not all/any/not; None: ask the page."""
    if cond.expr is not None:
        return bool(evaluate(cond.expr, scope.context()))
    if cond.url is not None:
        return url_matches(scope.job.page.url, render(cond.url, scope.context()))
    if cond.visible is not None:
        return _seen(_locator(scope, cond.visible), look)
    if cond.hidden is not None:
        seen = _seen(_locator(scope, cond.hidden), look)
        return None if seen is None else not seen
    if cond.text is not None:
        return False if look.ruled_out(_text_locator(scope, cond.text)) else None
    if cond.overlay_gone is not None:
        overlay = _overlay(scope)
        shown = look.visible(overlay) if overlay is not None else False
        return None if shown is None else not shown
    raise ValueError("empty condition")


def decided(scope: Scope, cond: Condition, look: Screen) -> bool | None:
    """Whether the condition holds, as far as ``look`` tells without asking the page;
    None where it cannot tell. Parts are taken in order and it stops at the first it
    cannot tell, as the probe would then ask the page (a later expression is not
    evaluated that the probe might not reach)."""
    if cond.all is not None or cond.any is not None:
        wanted = cond.any is not None  # any: the first true part decides; all: the first false
        for part in cond.any or cond.all or []:
            answer = decided(scope, part, look)
            if answer is None or answer is wanted:
                return answer
        return not wanted
    if cond.not_ is not None:
        answer = decided(scope, cond.not_, look)
        return None if answer is None else not answer
    return _decided_leaf(scope, cond, look)


async def _probe_leaf(scope: Scope, cond: Condition) -> bool:
    """A condition that is not all/any/not, asked of Playwright."""
    if cond.visible is not None:
        return await locate.visible_now(scope.job.page, _locator(scope, cond.visible))
    if cond.hidden is not None:
        return not await locate.visible_now(scope.job.page, _locator(scope, cond.hidden))
    if cond.text is not None:
        return await locate.visible_now(scope.job.page, _text_locator(scope, cond.text))
    if cond.overlay_gone is not None:
        overlay = _overlay(scope)
        return overlay is None or not await overlay_shown(scope, overlay)
    raise ValueError("empty condition")  # expr and url are always decided


async def _holds(scope: Scope, cond: Condition, look: Screen | None) -> bool:
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
    answer = _decided_leaf(scope, cond, look or _BLIND)
    return answer if answer is not None else await _probe_leaf(scope, cond)


_BLIND = Screen("", {}, shadow=True, with_text=False)  # no look: it tells only expr and url


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


async def overlay_shown(scope: Scope, overlay: LocatorFields) -> bool:
    """Whether the progress overlay is up. Asked before most steps, so a plain CSS
    overlay (the usual kind) is looked at by one small script rather than a locator query."""
    if plain_css(overlay):
        try:
            look = await Screen.take(scope.job.page, [overlay.css or ""], text=False)
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


async def overlay_gone(scope: Scope, timeout_ms: int, *, seen_up: bool = False) -> None:
    """Wait for the progress overlay to go (a transient failure if it stays up), unless it
    was seen gone since the last action. ``seen_up``: a look has just seen it up."""
    job = scope.job
    overlay = job.detect.overlay
    if job.looks.settled(overlay):
        return
    assert overlay is not None  # (without one, looks are settled)
    if seen_up:
        gone = await _wait_locator(scope, overlay, show=False, timeout_ms=timeout_ms)
    else:
        gone = await wait_until(scope, Condition(overlay_gone=True), timeout_ms)
    if not gone:
        raise overlay_stuck(overlay, timeout_ms)
    job.looks.note_settled()


def root_test(scope: Scope, cond: Condition) -> str | None:
    """The condition as a test of the document's root element in Playwright's CSS (its
    ``:visible``, ``:has``, ``:is`` and ``:not``), rendered; ``None`` when a part of it is
    anything else (text, url, expr, a locator with more than CSS). ``html`` + the test is
    a selector of the root element that matches exactly while the condition holds, so
    Playwright's own wait for it (in its isolated world, across navigations, into open
    shadow roots) is the wait for the condition."""
    if cond.text is not None:
        try:
            text = render(cond.text, scope.context()) if "{" in cond.text else cond.text
        except TemplateError:
            return None
        # Playwright's :text() matches as get_by_text does: a substring, case and runs of
        # white space ignored
        return f":has(:text({css_string(text)}):visible)"
    tested = cond.visible if cond.visible is not None else cond.hidden
    if tested is not None:
        try:
            loc = _locator(scope, tested)
        except TemplateError:
            return None
        if not plain_css(loc):
            return None
        seen = f":has(:is({loc.css}):visible)"
        return seen if cond.visible is not None else f":not({seen})"
    if cond.all is not None or cond.any is not None:
        parts = [root_test(scope, part) for part in (cond.all or cond.any or [])]
        tests = [part for part in parts if part is not None]
        if not tests or len(tests) < len(parts):
            return None
        return "".join(tests) if cond.all is not None else f":is({', '.join(tests)})"
    if cond.not_ is not None:
        inner = root_test(scope, cond.not_)
        return None if inner is None else f":not({inner})"
    return None


def css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\a ").replace("\r", "") + '"'


def busy_test(scope: Scope) -> str | None:
    """The playbook's ``detect.busy`` as a root test, when it is one."""
    busy = scope.job.detect.busy
    return root_test(scope, busy) if busy is not None else None


def popup_test(scope: Scope) -> str | None:
    """A pop-up dialog showing (``detect.popup``) as a root test, when it is one."""
    popup = scope.job.detect.popup
    if popup is None:
        return None
    return root_test(scope, Condition(visible=popup.dialog))


async def _wait_root(scope: Scope, test: str, timeout_ms: int) -> bool | None:
    """Wait for the root element to pass ``test`` (``root_test``); whether it came to.
    None: Playwright could not parse it (a selector of its own inside ``:is()``).

    The portal's busy page (``detect.busy``) and its pop-ups (``detect.popup``) end the
    wait too: a page that answered busy will not come to hold anything, and a pop-up blocks
    the page until it is dismissed, so waiting out the timeout would only cost time. When
    the condition does not hold beside them, the busy page is a transient failure and a
    pop-up ``PopupShown`` (the detectors read it)."""
    page = scope.job.page
    busy, popup = busy_test(scope), popup_test(scope)
    ends = [part for part in (busy, popup) if part is not None]
    waited = f":is({', '.join([test, *ends])})" if ends else test
    try:
        await page.locator("html" + waited).wait_for(state="attached", timeout=timeout_ms)
        if ends and not await page.locator("html" + test).count():
            if busy is not None and await page.locator("html" + busy).count():
                raise TransientError(
                    "the portal answered busy while the step waited", code=BUSY_CODE
                )
            raise PopupShown("the portal showed a pop-up while the step waited")
    except PlaywrightTimeoutError:
        return False
    except PlaywrightError:
        return None
    return True


async def wait_settled(
    scope: Scope, cond: Condition, timeout_ms: int, look: Screen | None = None
) -> bool:
    """Wait up to ``timeout_ms`` for the progress overlay to go and the condition to hold;
    whether it came to hold (an overlay that stays up is a transient failure). ``look``,
    taken since the previous step, may say both already hold. A condition of plain CSS
    tests and a plain CSS overlay are waited for together, in one Playwright wait
    (``root_test``); anything else waits for the overlay, then for the condition."""
    job = scope.job
    overlay = job.detect.overlay
    # the look since the previous step may say so: then no call to the page
    clear = job.looks.settled(overlay)
    clear = clear or (overlay is not None and look is not None and look.visible(overlay) is False)
    if look is not None and clear and decided(scope, cond, look):
        job.looks.keep(look, job.looks.epoch)  # the page was not touched: still current
        return True
    if job.looks.settled(overlay):
        return await wait_until(scope, cond, timeout_ms)
    assert overlay is not None  # (without one, looks are settled)
    started = time.monotonic()
    test = root_test(scope, cond) if plain_css(overlay) else None
    if test is not None:
        gone = f":not(:has(:is({overlay.css}):visible))"
        came = await _wait_root(scope, gone + test, timeout_ms)
        if came:
            job.looks.note_settled()
            return True
        if came is False:
            if await overlay_shown(scope, overlay):
                raise overlay_stuck(overlay, timeout_ms)
            return False
    # at least 1 ms: a timeout of 0 is "no timeout" to Playwright
    left = max(1, timeout_ms - int((time.monotonic() - started) * 1000))
    await overlay_gone(scope, left, seen_up=look is not None and look.visible(overlay) is True)
    return await wait_until(scope, cond, left)


async def wait_until(scope: Scope, cond: Condition, timeout_ms: int) -> bool:
    """Wait up to ``timeout_ms`` for the condition; whether it came to hold. A condition
    that is a root test waits as one when the playbook knows the portal's busy page, so
    that the busy page ends the wait (``_wait_root``)."""
    test = root_test(scope, cond) if cond.overlay_gone is None else None
    if test is not None and (busy_test(scope) or popup_test(scope)) is not None:
        came = await _wait_root(scope, test, timeout_ms)
        if came is not None:
            return came
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
    if test is not None:
        came = await _wait_root(scope, test, timeout_ms)
        if came is not None:
            return came
    deadline = time.monotonic() + timeout_ms / 1000
    while True:  # each look is kept: the probes after the step may use the last one
        if await holds(scope, cond, await look_at_page(scope, cond)):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_S)
