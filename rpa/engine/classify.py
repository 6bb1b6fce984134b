"""Deciding what a failure is: Playwright's errors translated at the boundary, then the
playbook's ``detect:`` probes consulted.

After a step fails with anything but a business error or an unanswered challenge, and
after a step that navigated, the page is examined, in order:

1. ``detect.session_expired`` holds   → ``SessionExpiredError`` (re-login, then resume)
2. the document is an HTTP 5xx, or ``detect.busy`` holds → ``TransientError``
3. one of ``detect.errors`` holds      → ``BusinessError`` with its code
4. otherwise the failure stands (a locator that matched nothing stays
   ``PortalChangedError``).
"""

from __future__ import annotations

from rpa.browser import PlaywrightError, PlaywrightTimeoutError
from rpa.errors import (
    BusinessError,
    FailureKind,
    PopupShown,
    PortalChangedError,
    SessionExpiredError,
    StepError,
    TemplateError,
    TransientError,
)
from rpa.playbook.model import Condition, ErrorDetector, LocatorFields
from rpa.playbook.template import render
from rpa.steps import conditions, locate
from rpa.steps.base import Scope
from rpa.steps.screen import Screen, plain_css

NETWORK_MARKERS = (
    "net::",
    "ERR_",
    "Target page, context or browser has been closed",
    "Navigation failed",
    "frame was detached",
    "Target closed",
)
RECLASSIFIED = frozenset({FailureKind.TRANSIENT, FailureKind.PORTAL_CHANGED})


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text


def translate(exc: Exception) -> StepError:
    """Our error for a dependency's. Unknown exceptions are re-raised (they are bugs)."""
    if isinstance(exc, StepError):
        return exc
    if isinstance(exc, PlaywrightTimeoutError):
        return TransientError(f"timed out: {first_line(exc.message)}")
    if isinstance(exc, PlaywrightError):
        message = first_line(exc.message)
        if any(marker in exc.message for marker in NETWORK_MARKERS):
            return TransientError(f"network or browser error: {message}")
        return PortalChangedError(f"the portal may have changed: {message}")
    if isinstance(exc, TemplateError):
        return StepError(f"template error: {exc.message}", code="TEMPLATE")
    raise exc


async def _holds(scope: Scope, cond: Condition | None, look: Screen | None = None) -> bool:
    if cond is None:
        return False
    try:
        return await conditions.holds(scope, cond, look)
    except (PlaywrightError, TemplateError):
        return False  # a probe that cannot run says nothing


async def _error_message(scope: Scope, detector: ErrorDetector) -> str:
    if detector.message:
        try:
            return render(detector.message, scope.context())
        except TemplateError:
            return detector.message
    loc = detector.when.visible
    if loc is not None:
        try:
            text = (
                await locate.build(scope.job.page, loc)
                .filter(visible=True)
                .first.inner_text(timeout=1000)
            )
            return " ".join(text.split()) or detector.code
        except PlaywrightError:
            pass
    if detector.when.text:
        return detector.when.text
    return f"the portal refused the request ({detector.code})"


_STATUS_JS = "() => performance.getEntriesByType('navigation')[0]?.responseStatus ?? null"


async def document_status(scope: Scope) -> int | None:
    """The HTTP status the current document came with (None when unknown)."""
    try:
        status = await scope.job.page.evaluate(_STATUS_JS)
    except PlaywrightError:
        return None
    return status if isinstance(status, int) and status > 0 else None


class _Probes:
    """Tests the detectors' conditions after one look at the whole page: most are "this
    text or element is visible", and on most pages none is, which the look
    (``screen.Screen``) rules out; only the rest are asked of Playwright, a query each.
    A page after every navigation would otherwise cost ~30 queries. The same look reads
    the document's HTTP status and whether the progress overlay is up."""

    def __init__(
        self, scope: Scope, tested: list[Condition | None], overlay: LocatorFields | None
    ) -> None:
        self.scope = scope
        self.parts: dict[int, list[LocatorFields]] = {}  # id(condition) -> its locators
        for cond in tested:
            if cond is None:
                continue
            try:
                parts = conditions.visible_parts(scope, cond)
            except TemplateError:
                parts = None  # tested alone, where a failed render means "does not hold"
            if parts:
                self.parts[id(cond)] = parts
        self.overlay = overlay if overlay is not None and plain_css(overlay) else None
        self.screen: Screen | None = None

    async def look(self) -> None:
        """Look at the page once (a look taken since the document loaded will do)."""
        fresh = self.scope.job.looks.current()
        if fresh is not None and fresh.loaded:
            self.screen = fresh
            return
        every = [loc for found in self.parts.values() for loc in found]
        self.screen = await conditions.look_at_page(self.scope, None, *every)
        if self.screen is None:
            self.parts.clear()  # no look at the page: test one by one

    async def status(self) -> int | None:
        if self.screen is not None:
            return self.screen.status
        return await document_status(self.scope)

    async def holds(self, cond: Condition | None) -> bool:
        if cond is None:
            return False
        parts = self.parts.get(id(cond))
        if (
            parts is not None
            and self.screen is not None
            and all(self.screen.ruled_out(loc) for loc in parts)
        ):
            return False
        return await _holds(self.scope, cond, self.screen)


async def detect(scope: Scope, *, session: bool = True, status: bool = True) -> StepError | None:
    """The portal state the playbook's detectors recognise on the page now, if any.
    ``status``: also look at the document's HTTP status (``goto`` has seen it already)."""
    rules = scope.job.detect
    probes = _Probes(
        scope,
        [rules.session_expired if session else None, rules.busy]
        + [detector.when for detector in rules.errors],
        rules.overlay,
    )
    if probes.parts or probes.overlay is not None:
        await probes.look()
    if session and await probes.holds(rules.session_expired):
        return SessionExpiredError("the portal ended the session (logged out)")
    code = await probes.status() if status else None
    if code is not None and code >= 500:
        return TransientError(f"the portal answered HTTP {code}")
    if await probes.holds(rules.busy):
        return TransientError("the portal says it is busy", code=conditions.BUSY_CODE)
    for detector in rules.errors:
        if await probes.holds(detector.when):
            found = BusinessError(await _error_message(scope, detector), code=detector.code)
            await dismiss_popup(scope)  # read: a pop-up that said it would block the page
            return found
    return None


async def dismiss_popup(scope: Scope) -> str | None:
    """Close the portal's pop-up (``detect.popup``) if one shows; its text, if it did."""
    rules = scope.job.detect.popup
    if rules is None:
        return None
    page = scope.job.page
    dialog = locate.build(page, rules.dialog).filter(visible=True).first
    try:
        if not await dialog.count():
            return None
        text = " ".join((await dialog.inner_text(timeout=1000)).split())
        button = locate.build(dialog, rules.dismiss).first
        label = " ".join((await button.inner_text(timeout=1000)).split())
        await button.click(timeout=2000)
    except PlaywrightError:
        return None
    scope.job.looks.invalidate()
    return text.removesuffix(label).strip() if label else text


async def classify(error: StepError, scope: Scope, *, session: bool = True) -> StepError:
    """The error to act on: ``error`` itself, or what the detectors say the page shows.
    A pop-up none of them names is a business error with its text: what the portal said."""
    if error.kind not in RECLASSIFIED or error.code == conditions.BUSY_CODE:
        return error  # (the busy page has been seen already)
    found = await detect(scope, session=session)
    if found is None and isinstance(error, PopupShown):
        said = await dismiss_popup(scope)
        found = BusinessError(
            f"the portal said: {said}" if said else error.message, code="PORTAL_MESSAGE"
        )
    if found is None:
        return error
    found.__cause__ = error
    return found
