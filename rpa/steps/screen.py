"""Looks at the page: what the engine knows of it between two calls into it.

The vocabulary, used the same way everywhere in the engine:

- a **look** (``Screen``): one call into the page that reads which CSS selectors have a
  visible match, the page's rendered text, whether it has open shadow roots and the
  document's HTTP status;
- the **epoch** (``Looks.epoch``): a count bumped whenever the page may have changed
  since (a step that acts on it starts, the page navigates, the engine sleeps); a look is
  *current* while the epoch it was taken in lasts;
- **settled**: the portal's progress overlay was seen gone since the page was last acted
  on, so no step need ask again until the next action.

A current look answers every probe until the next step acts (``when``, ``guard``,
``until``, the detectors after a navigation, a ``wait_for`` that already holds), so it
takes the plain CSS selectors of every condition and detector of the job's playbooks
(``watched_selectors``): the probes between two steps cost one call to the page, not
one each. ``Looks`` keeps the current look, the epoch and the overlay's state for a job.
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


class Looks:
    """The job's looks at the page (see the module's vocabulary). Measured: 64 → 50 calls
    to Playwright in a renew, and the renew overhead from 1.15 to 1.09 against a
    hand-written script (docs/performance.md, the fourth round)."""

    def __init__(self, watched: tuple[str, ...] = ()) -> None:
        self.watched = watched  # the CSS selectors every look takes
        self.epoch = 0
        self._look: Screen | None = None
        self._look_epoch = -1
        self.actions = 0  # steps so far that acted on the page (clicked, typed, ...)
        self._settled_at: int | None = None  # `actions` when the overlay was seen gone
        self.navigations = 0  # main-frame navigations so far
        self._loaded_at = -1  # `navigations` when the main frame's DOM last loaded

    # --- the current look ---

    def current(self) -> Screen | None:
        """The look taken in this epoch, if any."""
        return self._look if self._look_epoch == self.epoch else None

    def keep(self, look: Screen, epoch: int) -> None:
        """``look``, taken in ``epoch`` (read before the call into the page was made)."""
        self._look, self._look_epoch = look, epoch

    def invalidate(self) -> None:
        """From now on the page may differ from any look taken before."""
        self.epoch += 1

    # --- what happened to the page ---

    def acted(self) -> None:
        """A step acts on the page: the overlay may come back."""
        self.actions += 1

    def navigated(self) -> None:
        self.navigations += 1
        self.invalidate()

    def loaded(self) -> None:
        """The main frame's document of the last navigation has loaded."""
        self._loaded_at = self.navigations

    @property
    def document_loaded(self) -> bool:
        """Whether the document of the last navigation has loaded (its DOMContentLoaded)."""
        return self._loaded_at == self.navigations

    # --- the progress overlay ---

    def settled(self, overlay: LocatorFields | None) -> bool:
        """No overlay to wait for: none is declared, or it was seen gone since the last
        action."""
        return overlay is None or self._settled_at == self.actions

    def note_settled(self) -> None:
        """The overlay was seen gone."""
        self._settled_at = self.actions
