from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rpa.errors import StepError
from rpa.steps.registry import HANDLERS
from tests.unit.engine.fakes import FakeRunner


@pytest.fixture
def runner(tmp_path: Path, run_async: Callable[[Any], Any]) -> FakeRunner:
    return FakeRunner(tmp_path, run_async)


@pytest.fixture
def scripted_log() -> Iterator[dict[str, list[Any]]]:
    """``log`` steps whose message names a script: each call takes the next item; an
    exception is raised, anything else logged. ``calls`` counts calls per message."""
    scripts: dict[str, list[Any]] = {}
    calls: list[str] = []
    original = HANDLERS["log"]

    async def log(ctx: Any, args: Any) -> Any:
        calls.append(args.message)
        script = scripts.get(args.message)
        if script:
            item = script.pop(0)
            if isinstance(item, StepError):
                raise item
            if callable(item):
                item(ctx)
        return args.message

    HANDLERS["log"] = log
    scripts["__calls__"] = calls  # type: ignore[assignment]
    try:
        yield scripts
    finally:
        HANDLERS["log"] = original
