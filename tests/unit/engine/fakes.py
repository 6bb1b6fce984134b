"""A browser double for engine unit tests: enough for steps that never touch a page."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rpa.challenges.base import Providers
from rpa.config import Settings, load_settings
from rpa.engine import Engine, JobResult
from rpa.events import Event, EventBus
from rpa.playbook.loader import Loader


class FakeTracing:
    async def start(self, **options: Any) -> None: ...

    async def start_chunk(self, **options: Any) -> None: ...

    async def stop_chunk(self, path: Path | None = None) -> None:
        if path is not None:
            Path(path).write_bytes(b"PK")

    async def stop(self, path: Path | None = None) -> None: ...


class FakePage:
    url = "about:blank"

    def __init__(self) -> None:
        self.main_frame = object()
        self.screenshots: list[Path] = []

    def on(self, event: str, handler: Callable[..., None]) -> None: ...

    async def screenshot(self, path: Path, **options: Any) -> bytes:
        Path(path).write_bytes(b"\x89PNG")
        self.screenshots.append(Path(path))
        return b"\x89PNG"

    async def evaluate(self, script: str, *args: Any) -> Any:
        return None

    async def content(self) -> str:
        return "<html><body>fake</body></html>"


class FakeContext:
    def __init__(self) -> None:
        self.tracing = FakeTracing()
        self.pages: list[FakePage] = []
        self.closed = False

    async def new_page(self) -> FakePage:
        self.pages.append(FakePage())
        return self.pages[-1]

    async def close(self) -> None:
        self.closed = True


class FakeBrowser:
    def __init__(self) -> None:
        self.contexts: list[FakeContext] = []

    async def new_context(self, **options: Any) -> FakeContext:
        self.contexts.append(FakeContext())
        return self.contexts[-1]


@dataclass
class FakeRun:
    result: JobResult
    events: list[Event]
    delays: list[float]
    browser: FakeBrowser
    settings: Settings

    @property
    def outcome(self) -> str:
        return str(self.result.outcome)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def steps(self, status: str | None = None) -> list[str]:
        from rpa.events import StepFinished

        return [e.step for e in self.of(StepFinished) if status is None or e.status == status]


@dataclass
class FakeRunner:
    folder: Path
    run_async: Callable[[Any], Any]
    files: dict[str, Path] = field(default_factory=dict)

    def write(self, text: str, name: str = "main.yaml") -> Path:
        path = self.folder / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def run(
        self,
        text: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        check: bool = False,
        from_step: str | None = None,
        secrets: Mapping[str, str] | None = None,
        providers: Providers | None = None,
        prior_intent: bool = False,
        **settings: Any,
    ) -> FakeRun:
        playbook = Loader([self.folder]).load(self.write(text))
        events: list[Event] = []
        delays: list[float] = []

        async def no_sleep(seconds: float) -> None:
            delays.append(seconds)

        config = load_settings(
            {"data_dir": str(self.folder / "data"), "trace": "never", **settings}, env_file=None
        )
        browser = FakeBrowser()
        engine = Engine(config, EventBus([events.append]), providers, sleep=no_sleep)

        async def go() -> JobResult:
            return await engine.run_job(
                uuid.uuid4().hex[:8],
                playbook,
                inputs or {},
                {"iec": "0123456789"},
                browser_session=browser,
                check=check,
                from_step=from_step,
                secrets=secrets,
                prior_intent=prior_intent,
            )

        return FakeRun(self.run_async(go()), events, delays, browser, config)
