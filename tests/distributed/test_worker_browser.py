"""A worker runs for weeks: its browser is relaunched after its share of jobs, or when it
has gone, and never under a running job."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from rpa.config import load_settings
from rpa.distributed.activity import JobActivity
from rpa.events import EventBus

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


class FakeBrowser:
    def __init__(self) -> None:
        self.connected = True

    def is_connected(self) -> bool:
        return self.connected


class FakeSession:
    def __init__(self) -> None:
        self.browser = FakeBrowser()
        self.launches = 1

    async def recycle(self) -> None:
        self.browser = FakeBrowser()
        self.launches += 1


class FakeAgent:
    bus = EventBus()
    settings = load_settings({"data_dir": "rpa-data"}, env_file=None)


def test_a_workers_browser_is_relaunched_after_its_share_of_jobs_or_when_it_is_gone(
    run_async: RunAsync,
) -> None:
    session = FakeSession()
    jobs = JobActivity(FakeAgent(), session, concurrency=2, recycle_after=3)  # type: ignore[arg-type]
    jobs.since_launch = 3
    jobs.running = 1  # a job uses the browser: not now
    run_async(jobs._fresh_browser())
    assert session.launches == 1
    jobs.running = 0
    run_async(jobs._fresh_browser())
    assert (session.launches, jobs.since_launch) == (2, 0)
    session.browser.connected = False  # the browser crashed
    run_async(jobs._fresh_browser())
    assert session.launches == 3
    run_async(jobs._fresh_browser())  # a fresh one, used by no job yet: kept
    assert session.launches == 3
