"""Fixtures shared by every layer of the suite.

pytest-playwright's ``page``/``browser`` fixtures launch the browser that
``rpa.browser`` resolves (Playwright's own, else the system Chromium), with the same
arguments the agent uses. See tests/README.md for the sync/async rule.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from rpa.browser import launch_options
from rpa.config import load_settings
from rpa.masking import registry

T = TypeVar("T")


RUN_ASYNC_TIMEOUT_S = 600


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    options = launch_options(load_settings(env_file=None))
    return {
        **browser_type_launch_args,
        "executable_path": options["executable_path"],
        "args": options["args"],
    }


def run_in_fresh_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` with ``asyncio.run`` in a new thread and return its result.

    The sync Playwright behind pytest-playwright keeps an event loop marked as running in
    the main thread, so ``asyncio.run`` there fails; a fresh thread has no loop.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="run_async", daemon=True)
    thread.start()
    thread.join(RUN_ASYNC_TIMEOUT_S)
    if thread.is_alive():  # a stuck coroutine: fail this test, not the whole run
        raise TimeoutError(f"run_async: the coroutine did not end in {RUN_ASYNC_TIMEOUT_S} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def fresh_secret_registry() -> Iterator[None]:
    """Secrets are registered process-wide; one test's secrets must not mask another's text."""
    registry.clear()
    yield
    registry.clear()


@pytest.fixture
def run_async() -> Callable[[Coroutine[Any, Any, Any]], Any]:
    return run_in_fresh_thread
