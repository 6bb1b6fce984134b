"""The engine harness: a background event loop, one browser, and a way to run a playbook
text against the local test pages and collect what the engine emitted."""

from __future__ import annotations

import asyncio
import textwrap
import threading
import uuid
from collections.abc import Coroutine, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rpa.browser import BrowserSession
from rpa.challenges.base import Providers
from rpa.config import Settings, load_settings
from rpa.engine import Engine, JobResult
from rpa.events import Event, EventBus
from rpa.playbook.loader import Loader
from tests.engine.site import Site

T = TypeVar("T")


class BackgroundLoop:
    """An event loop in a thread; ``run(coro)`` waits for the result from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class Run:
    result: JobResult
    events: list[Event]
    delays: list[float]
    settings: Settings

    @property
    def outcome(self) -> str:
        return str(self.result.outcome)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@dataclass
class Harness:
    site: Site
    loop: BackgroundLoop
    browser: BrowserSession
    closer: AbstractAsyncContextManager[BrowserSession]
    extra_settings: dict[str, Any] = field(default_factory=dict)

    def write(self, folder: Path, name: str, text: str) -> Path:
        path = folder / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def settings(self, tmp_path: Path, **overrides: Any) -> Settings:
        values = {
            "data_dir": str(tmp_path / "data"),
            "portal_url": self.site.url,
            "step_timeout_ms": 3000,
            "navigation_timeout_ms": 5000,
            "trace": "never",
            "challenge_timeout_s": 5,
            **overrides,
        }
        return load_settings(values, env_file=None)

    def run(
        self,
        tmp_path: Path,
        playbook: str | Path,
        inputs: Mapping[str, Any] | None = None,
        *,
        providers: Providers | None = None,
        secrets: Mapping[str, str] | None = None,
        client: Mapping[str, Any] | None = None,
        check: bool = False,
        from_step: str | None = None,
        job_id: str | None = None,
        pause_s: float = 0.0,
        **settings: Any,
    ) -> Run:
        path = (
            playbook if isinstance(playbook, Path) else self.write(tmp_path, "main.yaml", playbook)
        )
        loaded = Loader([tmp_path]).load(path)
        events: list[Event] = []
        delays: list[float] = []

        async def no_sleep(seconds: float) -> None:  # a retry's delay: noted, not slept
            delays.append(seconds)
            if pause_s:
                await asyncio.sleep(pause_s)  # ``pause_s``: some real time passes instead

        config = self.settings(tmp_path, **settings)
        engine = Engine(config, EventBus([events.append]), providers, sleep=no_sleep)
        result = self.loop.run(
            engine.run_job(
                job_id or uuid.uuid4().hex[:8],
                loaded,
                inputs or {},
                client,
                browser_session=self.browser,
                secrets=secrets,
                check=check,
                from_step=from_step,
            )
        )
        return Run(result, events, delays, config)
