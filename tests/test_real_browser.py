"""The suite's browser, through pytest-playwright, is the one rpa.browser resolves."""

from __future__ import annotations

from playwright.sync_api import Page

from rpa.browser import resolve_browser


def test_pytest_playwright_drives_the_browser_the_agent_resolves(page: Page) -> None:
    page.set_content("<button onclick=\"this.textContent='clicked'\">Press</button>")
    page.get_by_role("button", name="Press").click()
    assert page.get_by_role("button").inner_text() == "clicked"
    version = page.context.browser.version  # type: ignore[union-attr]
    assert version.split(".")[0].isdigit()
    assert resolve_browser(None).executable.exists()
