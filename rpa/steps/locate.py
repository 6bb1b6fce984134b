"""Locators: from the playbook's ``Locator`` to Playwright's, and "nothing matched" errors.

A single-strategy locator costs no extra round trip: it is built lazily and the action's
own auto-wait does the waiting. ``any_of`` waits for any alternative to show, then takes
the first alternative (in the order written) that has a visible match.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rpa.browser import PlaywrightError, PlaywrightTimeoutError, action_done
from rpa.errors import PortalChangedError, TransientError

if TYPE_CHECKING:
    from playwright.async_api import Locator as PwLocator
    from playwright.async_api import Page

    from rpa.playbook.model import LocatorFields


def build(page: Page | PwLocator, loc: LocatorFields) -> PwLocator:
    """All elements ``loc`` matches in the page (or within an element: ``page`` may be a
    locator); ``any_of``: the union of its alternatives."""
    if loc.any_of:
        alternatives = [build(page, alt) for alt in loc.any_of]
        combined = alternatives[0]
        for alt in alternatives[1:]:
            combined = combined.or_(alt)
        return combined
    exact = loc.exact or None
    if loc.role is not None:
        found = page.get_by_role(loc.role, name=loc.name, exact=exact)  # type: ignore[arg-type]
    elif loc.label is not None:
        found = page.get_by_label(loc.label, exact=exact)
    elif loc.text is not None:
        found = page.get_by_text(loc.text, exact=exact)
    elif loc.placeholder is not None:
        found = page.get_by_placeholder(loc.placeholder, exact=exact)
    elif loc.test_id is not None:
        found = page.get_by_test_id(loc.test_id)
    elif loc.css is not None:
        found = page.locator(loc.css)
    else:
        raise ValueError("a locator without a strategy")
    if loc.has_text is not None:
        found = found.filter(has_text=loc.has_text)
    return found


def _pick(found: PwLocator, loc: LocatorFields, visible: bool) -> PwLocator:
    if visible:
        found = found.filter(visible=True)
    return found.nth(loc.nth) if loc.nth is not None else found.first


def seconds(timeout_ms: int) -> str:
    return f"{timeout_ms / 1000:g}s"


def nothing_matches(loc: LocatorFields, timeout_ms: int, detail: str = "") -> PortalChangedError:
    where = loc.describe()
    extra = f" ({detail})" if detail else ""
    return PortalChangedError(
        f"the portal may have changed: nothing matches {where} after {seconds(timeout_ms)}{extra}",
        locator=where,
    )


async def target(
    page: Page, loc: LocatorFields, timeout_ms: int, *, visible: bool = True
) -> PwLocator:
    """The one element to act on. For ``any_of``, waits and picks in order; otherwise lazy
    (the action waits). Use inside ``acting(loc)`` so a timeout names the locator."""
    if not loc.any_of:
        return _pick(build(page, loc), loc, visible)
    alternatives = [build(page, alt) for alt in loc.any_of]
    combined = build(page, loc)
    try:
        await _pick(combined, loc, visible).wait_for(state="attached", timeout=timeout_ms)
    except PlaywrightTimeoutError as exc:
        raise nothing_matches(loc, timeout_ms) from exc
    for alt, spec in zip(alternatives, loc.any_of, strict=True):
        candidate = alt.filter(visible=True) if visible else alt
        if await candidate.count():
            return _pick(alt, spec, visible)
    return _pick(combined, loc, visible)  # it changed under us; let the action wait


def _summary(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else message


@contextmanager
def acting(loc: LocatorFields, timeout_ms: int) -> Iterator[None]:
    """Translate an action's timeout into "the portal may have changed", naming ``loc``."""
    try:
        yield
    except PlaywrightTimeoutError as exc:
        log = exc.message
        if action_done(log):
            raise slow_answer(loc.describe(), timeout_ms) from exc
        if "intercepts pointer events" in log:
            raise TransientError(
                f"{loc.describe()} stayed covered by another element (an overlay?)"
            ) from exc
        if "resolved to" in log or "locator resolved" in log:
            reason = _reason(log)
            raise PortalChangedError(
                f"the portal may have changed: {loc.describe()} was found but could not be "
                f"used within {seconds(timeout_ms)}{': ' + reason if reason else ''}",
                locator=loc.describe(),
            ) from exc
        raise nothing_matches(loc, timeout_ms) from exc
    except PlaywrightError as exc:
        if "strict mode violation" in exc.message:
            raise PortalChangedError(
                f"the portal may have changed: {loc.describe()} matches several elements",
                locator=loc.describe(),
            ) from exc
        raise


def slow_answer(what: str, timeout_ms: int) -> TransientError:
    return TransientError(
        f"{what} was used, but the portal's answer did not load within {seconds(timeout_ms)}"
        " (a slow portal: what it did is read from the portal before anything is done again)"
    )


def _reason(log: str) -> str:
    """The last "element is not ..." line of Playwright's call log, if any."""
    for line in reversed(log.splitlines()):
        text = line.strip(" -")
        if text.startswith(("element is", "element was")):
            return text
    return ""


async def visible_now(page: Page, loc: LocatorFields) -> bool:
    return bool(await build(page, loc).filter(visible=True).count())
