"""Engine integration tests: real Chromium against local pages (site.py, pages/).

The engine is asyncio; pytest-playwright's sync fixtures hold the main thread's loop, so
the engine runs on an event loop in a background thread (tests/README.md, the sync/async
rule). One loop and one browser serve a whole test module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rpa.browser import open_browser
from rpa.config import load_settings
from tests.engine.harness import BackgroundLoop, Harness
from tests.engine.site import Site


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    with Site() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_site(site: Site) -> None:
    site.state.reset()


@pytest.fixture(scope="module")
def harness(site: Site) -> Iterator[Harness]:
    loop = BackgroundLoop()
    settings = load_settings({"portal_url": site.url}, env_file=None)
    closer = open_browser(settings, headless=True)
    browser = loop.run(closer.__aenter__())
    try:
        yield Harness(site, loop, browser, closer)
    finally:
        loop.run(closer.__aexit__(None, None, None))
        loop.close()
