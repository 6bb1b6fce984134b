"""A job's files under ``settings.artifacts_dir/<job_id>/``.

=====================  ==========================================================
steps.log              one line per event and per ``log`` step, masked
failure.png/.html      the page when the job failed (secret inputs masked out)
check-mode.png         the filled form where check mode stopped
trace-N.zip            Playwright trace chunks (kept per the ``trace`` setting);
                       several when recording paused around secrets
captcha-N.png          captcha images handed to the captcha provider
<save_as>              downloads whose ``save_as`` is a relative path
=====================  ==========================================================

Nothing written here holds a secret: text passes through ``rpa.masking.mask`` and
screenshots paint over the inputs that received one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.events import ArtifactSaved, Event
from rpa.masking import mask

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

STEP_LOG = "steps.log"
MASK_COLOR = "#222222"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, Enum):
        return value.value
    return value


_FIELDS: dict[type[Event], tuple[str, ...]] = {}
# one encoder for every line: json.dumps with options builds a new one on each call
_JSON = json.JSONEncoder(default=str, ensure_ascii=False)


def _described_fields(kind: type[Event]) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(kind) if f.name not in ("job_id", "at"))
        _FIELDS[kind] = names
    return names


def describe_event(event: Event) -> str:
    """``12:00:01.234 StepFinished step='login/#2 fill' status=ok duration_s=0.12``"""
    parts = [f"{event.at:%H:%M:%S.%f}"[:-3], type(event).__name__]
    for name in _described_fields(type(event)):
        value = getattr(event, name)
        if value is None or value == "" or value == {}:
            continue
        parts.append(f"{name}={_JSON.encode(_plain(value))}")
    return " ".join(parts)


class JobArtifacts:
    """Where one job's files go, and the helpers that write them (always masked)."""

    def __init__(self, root: Path, job_id: str, emit: Callable[[Event], None]) -> None:
        self.root = root
        self.job_id = job_id
        self._emit = emit
        self.root.mkdir(parents=True, exist_ok=True)
        self._log = (self.root / STEP_LOG).open("a", encoding="utf-8")

    def close(self) -> None:
        self._log.close()

    def unique(self, stem: str, suffix: str) -> Path:
        """``stem.suffix``, or ``stem-2.suffix``... if taken."""
        path = self.root / f"{stem}{suffix}"
        n = 1
        while path.exists():
            n += 1
            path = self.root / f"{stem}-{n}{suffix}"
        return path

    def saved(self, kind: str, path: Path) -> None:
        self._emit(ArtifactSaved(job_id=self.job_id, kind=kind, path=str(path)))

    def record(self, event: Event) -> None:
        """Append an event to the step log."""
        if not self._log.closed:
            self._log.write(mask(describe_event(event)) + "\n")
            self._log.flush()

    def note(self, text: str) -> None:
        if not self._log.closed:
            self._log.write(f"{datetime.now():%H:%M:%S.%f}"[:-3] + " " + mask(text) + "\n")
            self._log.flush()

    async def screenshot(
        self,
        page: Page,
        name: str,
        *,
        full_page: bool = True,
        mask: Sequence[Locator] = (),
        kind: str = "screenshot",
    ) -> Path:
        path = self.unique(Path(name).stem or "screenshot", ".png")
        await page.screenshot(
            path=path,
            full_page=full_page,
            mask=list(mask),
            mask_color=MASK_COLOR,
            animations="disabled",
        )
        self.saved(kind, path)
        return path

    async def html(self, page: Page, name: str) -> Path:
        path = self.unique(Path(name).stem or "page", ".html")
        path.write_text(mask(await page.content()), encoding="utf-8")
        self.saved("html", path)
        return path
