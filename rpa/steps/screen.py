"""One look at the page in one call (``Screen``): which CSS selectors have a visible match,
the page's rendered text, whether it has open shadow roots, the document's HTTP status.

A look taken since the last step on the page ran answers every probe until the next one
runs, the page navigates or the engine sleeps (``JobState.fresh_screen``). So it takes the plain CSS
selectors of every condition and detector of the job's playbooks (``watched_selectors``),
and the few probes between two steps (``when``, ``guard``, ``until``, the detectors after a
navigation, a ``wait_for`` that already holds) cost one call to the page, not one each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from rpa.playbook.model import Condition, LocatorFields

if TYPE_CHECKING:
    from playwright.async_api import Page

    from rpa.playbook.model import Playbook

# The helpers every page script starts with: ``shown(e)``, Playwright's visibility (not
# hidden by style, a non-empty box; display:contents by its children), and
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

# For each CSS selector: whether an element it matches is visible as Playwright counts it,
# null when querySelectorAll cannot parse it (Playwright's own CSS extensions). Optionally
# the page's rendered text (innerText: only what is laid out and visible), whitespace
# removed and lower-cased. Whether the page has open shadow roots, which Playwright's CSS
# and text reach into and querySelectorAll and innerText do not. The HTTP status the
# document came with (null when unknown).
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


def squeezed(text: str) -> str:
    """Text as the look keeps the page's: whitespace removed, lower-cased."""
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
    """A look at the page (``_LOOK_JS``). It answers "is something visible" exactly for a
    plain CSS locator it looked for, and can tell for most other locators that they cannot
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
        *,
        with_text: bool = True,
    ) -> None:
        self.text = text
        self._visible = visible
        self.shadow = shadow
        self.status = status  # the document's HTTP status, if known
        self.with_text = with_text  # whether ``text`` is the page's (else: not looked at)
        self.loaded = (
            False  # taken once the document's DOM had loaded (``conditions.look_at_page``)
        )

    @classmethod
    async def take(cls, page: Page, selectors: Iterable[str], *, text: bool) -> Screen:
        wanted = sorted(set(selectors))
        visible, page_text, shadow, status = await page.evaluate(_LOOK_JS, [wanted, text])
        answers = {s: None if v is None else bool(v) for s, v in zip(wanted, visible, strict=True)}
        code = status if isinstance(status, int) and status > 0 else None
        return cls(str(page_text) if text else "", answers, bool(shadow), code, with_text=text)

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
        if self.with_text:
            if loc.has_text is not None and squeezed(loc.has_text) not in self.text:
                return True
            if loc.text is not None:
                return squeezed(loc.text) not in self.text
        if loc.css is not None:
            return self._visible.get(loc.css) is False
        return False  # role, label, ...: only Playwright can tell


def _templated(text: str) -> bool:
    return "{{" in text or "{%" in text


def _condition_css(cond: Condition | None) -> Iterator[str]:
    if cond is None:
        return
    for loc in (cond.visible, cond.hidden):
        if loc is not None and loc.css is not None and not _templated(loc.css):
            yield loc.css
    for part in (cond.all or []) + (cond.any or []) + ([cond.not_] if cond.not_ else []):
        yield from _condition_css(part)


def watched_selectors(playbook: Playbook) -> tuple[str, ...]:
    """The CSS selectors (without templates) of every condition and detector of the
    playbook and of the playbooks it uses: what a look at the page takes. A selector with
    a text filter is looked at too: nothing visible rules the locator out."""
    seen: list[Playbook] = []
    found: set[str] = set()

    def visit(book: Playbook) -> None:
        if any(book is other for other in seen):
            return
        seen.append(book)
        rules = book.detect
        for cond in (rules.session_expired, rules.busy, book.retry.until):
            found.update(_condition_css(cond))
        for detector in rules.errors:
            found.update(_condition_css(detector.when))
        if rules.overlay is not None and plain_css(rules.overlay):
            found.add(rules.overlay.css or "")
        for step in book.walk():
            opts = step.options
            for cond in (opts.when, opts.guard, opts.retry.until if opts.retry else None):
                found.update(_condition_css(cond))
            if isinstance(step.args, Condition):  # wait_for, assert
                found.update(_condition_css(step.args))
            if step.used is not None:
                visit(step.used)

    visit(playbook)
    return tuple(sorted(found))
