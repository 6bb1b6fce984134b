"""Fixtures of the console's tests (helpers in consolekit.py).

- ``console`` (module scope): a ``ConsoleServer`` over a temporary data folder of its own:
  ``url``, ``settings``, ``journal`` (its own connection, to seed jobs through
  ``rpa.journal``'s API), ``users`` (role → name), ``passwords`` (role → password),
  ``http(role)`` (an httpx client already signed in, and its CSRF token), ``secrets`` (the
  planted secrets no page may show; add yours).
- ``signed_in(page, role)``: signs ``page`` in through the sign-in form, as a person does.
- ``no_secret_in_any_page`` (autouse): every response the server sends is scanned for the
  planted secrets as it is sent; the test during which one showed fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from consolekit import ConsoleServer, sign_in, start_console
from playwright.sync_api import Page


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    server = start_console(tmp_path_factory.mktemp("console-data"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_secret_in_any_page(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test during which the console served a page showing a planted secret."""
    if "console" not in request.fixturenames:
        yield
        return
    server: ConsoleServer = request.getfixturevalue("console")
    before = len(server.scanner.found)
    yield
    leaked = server.scanner.found[before:]
    assert not leaked, f"a page showed a planted secret: {leaked}"


@pytest.fixture
def signed_in(console: ConsoleServer) -> Callable[[Page, str], Page]:
    """``signed_in(page, "operator")``: ``page``, signed in as the operator."""

    def sign(page: Page, role: str) -> Page:
        return sign_in(page, console, role)

    return sign
