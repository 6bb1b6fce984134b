"""Fixtures shared by every layer of the suite.

pytest-playwright's ``page``/``browser`` fixtures launch the browser that
``rpa.browser`` resolves (Playwright's own, else the system Chromium), with the same
arguments the agent uses. See tests/README.md for the sync/async rule.

The suite runs in parallel (pytest-xdist, pyproject's addopts): how many workers ``-n auto``
starts and which tests go to one worker together are decided here (tests/README.md).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from rpa.browser import launch_options
from rpa.config import load_settings
from rpa.masking import registry

T = TypeVar("T")


RUN_ASYNC_TIMEOUT_S = 600

#: Worker processes per CPU for ``-n auto`` (pyproject's addopts): most tests wait on a
#: browser and a mock portal that sleeps like a slow one, so a CPU serves more than one.
WORKERS_PER_CPU = 2
MAX_WORKERS = 8


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many workers ``-n auto`` starts: ``PYTEST_XDIST_AUTO_NUM_WORKERS`` if set, else
    ``WORKERS_PER_CPU`` per usable CPU, at most ``MAX_WORKERS`` (tests/README.md)."""
    given = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").strip()
    if given.isdigit():
        return int(given)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, WORKERS_PER_CPU * (cpus or 1)))


#: Modules whose tests are shared out over the workers one by one, each worker starting the
#: module's fixtures for itself; every other module's tests run on one worker together.
#: Only for modules whose fixtures are cheap (a portal in a thread) and whose tests are long.
SPREAD_OVER_WORKERS = frozenset({"tests/e2e/test_dgft_playbooks.py"})

#: Modules that run one after another on one worker, never beside each other: each runs
#: `rpa batch` subprocesses of many clients at concurrency 3-4 (four batches side by side in
#: test_portal_faults), which take the whole of a 2-CPU machine; run together, each took
#: several times longer and their hang guards (240-480 s a batch) tripped.
ONE_AT_A_TIME = frozenset(
    {
        "tests/e2e/test_batch_reliability.py",
        "tests/e2e/test_portal_faults.py",
        "tests/e2e/test_varied_batch.py",
    }
)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` (pyproject's addopts), except that the modules named in
    ``SPREAD_OVER_WORKERS`` are shared out test by test and those in ``ONE_AT_A_TIME`` go
    to one worker together. (xdist 3.8's ``loadgroup`` and its
    ``xdist_group`` marks do nothing under pytest 9.2: the group rides on a node id pytest no
    longer reads.) Other ``--dist`` modes are xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SpreadingLoadFile(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module in ONE_AT_A_TIME:
                return "one-at-a-time batches"
            return nodeid if module in SPREAD_OVER_WORKERS else module

    return SpreadingLoadFile(config, log)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The CLI makes its two Rich consoles once per process (its modules bind them at
    import, some while tests are collected), and a console made while ``COLUMNS`` is set
    keeps that width for good (an xdist worker has ``COLUMNS=80``). Made here first, before
    collection and with ``COLUMNS`` unset, they read it each time they print, so a test's
    width is what it asks for, whichever test or worker ran before it."""
    cli_app = importlib.import_module("rpa.cli.app")  # rpa.cli's ``app`` is the Typer app
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COLUMNS", raising=False)
        for name in ("console", "err_console"):
            getattr(cli_app, name)


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
