"""Playwright traces that never hold a secret.

A trace records every action's arguments, DOM snapshots *with input values*, and a
network log (with request bodies) that runs from ``tracing.start()`` to ``stop()`` and is
copied into every chunk. So a snapshot taken any time after a secret was typed would carry
it, and so would any chunk saved after a form post of it, even one recorded "paused".
The recorder therefore works in separate recordings:

- before a step that handles a secret, the recording is saved (``trace-N.zip``) and
  tracing is stopped altogether (not just the chunk);
- a new recording starts at the start of a later step only once the page has navigated to a
  new document, or (when the secret went only into inputs the engine knows of: ``fill``,
  ``otp``, ``captcha``) every such input is gone or empty, so no later snapshot can show
  one. After a ``sign`` step (the signer types a PIN we cannot see) only a navigation
  resumes it. Either way, not while a request sent during the pause (a form post
  carrying the secret) is still running: the trace would record its body;
- at the end the chunks are kept (``trace: always``, or ``on-failure``/``on-retry`` when
  the job did not succeed) or deleted.

``on-retry`` (the default) records nothing while a job goes well: a trace costs about a
quarter of a job's time (docs/performance.md). The first time the job retries a step,
restarts a block or logs in again (``arm``), recording starts, at the first step after
the next navigation (so no secret typed before can be on the page), and is kept if the
job fails. A batch's re-run of a transiently failed job, and ``rpa replay``, record from
the start (they run with ``on-failure``).

Which requests sent during a pause are still running is known from the page's request
events, a message each, so they are listened to only from the first recording on:
``start`` in the other modes, ``arm`` in ``on-retry``. A request sent before a context's
first ``tracing.start`` is not in its network log at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from rpa.browser import PlaywrightError
from rpa.playbook.kinds import KINDS

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Request

    from rpa.artifacts import JobArtifacts
    from rpa.config import TraceMode
    from rpa.steps.base import JobState


class TraceRecorder:
    def __init__(self, context: BrowserContext, mode: TraceMode, artifacts: JobArtifacts) -> None:
        self.context = context
        self.mode = mode
        self.artifacts = artifacts
        self.recording = False
        self.paused_at_navigation: int | None = None  # set while paused for a secret
        self.needs_navigation = False  # a secret went where we cannot check it
        self.chunks: list[Path] = []
        self.armed = mode != "on-retry"  # on-retry: not until the job retries something
        self.paused = False  # not recording because a secret may be on the page
        self.inflight: dict[Any, bool] = {}  # the page's running requests → sent while paused

    @property
    def enabled(self) -> bool:
        return self.mode != "never"

    async def start(self, job: JobState) -> None:
        if not self.enabled:
            return
        if self.armed:
            self._watch_requests(job)
            await self._start()
        else:
            self.paused = True  # requests sent before recording may carry a secret

    def arm(self, job: JobState) -> None:
        """The job is retrying something: record from the next new document on."""
        if self.armed or not self.enabled:
            return
        self.armed = True
        self._watch_requests(job)
        self.paused_at_navigation = job.looks.navigations
        self.needs_navigation = True  # a secret may have been typed anywhere before

    def _watch_requests(self, job: JobState) -> None:
        """Keep ``inflight``: the page's running requests, each with whether it was sent
        while tracing was paused (it may carry a secret)."""

        def requested(request: Request) -> None:
            self.inflight[request] = self.paused

        def ended(request: Request) -> None:
            self.inflight.pop(request, None)

        job.page.on("request", requested)
        job.page.on("requestfinished", ended)
        job.page.on("requestfailed", ended)

    async def _start(self) -> None:
        await self.context.tracing.start(screenshots=True, snapshots=True, sources=False)
        await self.context.tracing.start_chunk(title=self.artifacts.job_id)
        self.recording = True

    async def _save_chunk(self) -> None:
        """Save what was recorded and stop entirely: a paused chunk would still collect
        the network log (with form posts), which every later chunk would carry."""
        path = self.artifacts.unique("trace", ".zip")
        await self.context.tracing.stop_chunk(path=path)
        await self.context.tracing.stop()
        self.recording = False
        self.chunks.append(path)

    async def before_step(self, job: JobState, *, sensitive: bool, kind: str) -> None:
        """Pause before a secret; resume when no secret can be on the page any more."""
        if not (self.enabled and self.armed):
            return
        if sensitive:
            if self.recording:
                await self._save_chunk()
            self.paused_at_navigation = job.looks.navigations
            self.needs_navigation |= not KINDS[kind].notes_inputs  # typed where we can't see
            self.paused = True
            return
        if self.recording or self.paused_at_navigation is None:
            return
        if any(self.inflight.values()):
            return  # a request sent while paused (a form post?) is still running
        navigated = job.looks.navigations > self.paused_at_navigation
        if navigated or (not self.needs_navigation and await _secrets_cleared(job)):
            job.secret_inputs.clear()
            self.paused = False
            self.paused_at_navigation = None
            self.needs_navigation = False
            await self._start()

    async def finish(self, *, failed: bool) -> list[Path]:
        """Stop tracing; keep the chunks (returned) per the mode, or delete them."""
        if not self.enabled:
            return []
        try:
            if self.recording:
                await self._save_chunk()
        except PlaywrightError as exc:  # the context died with the job: nothing to save
            logger.debug("could not stop tracing: {}", exc.message)
        if self.mode == "always" or (self.mode in ("on-failure", "on-retry") and failed):
            return [p for p in self.chunks if p.exists()]
        for path in self.chunks:
            path.unlink(missing_ok=True)
        return []


async def _secrets_cleared(job: JobState) -> bool:
    """Every input that received a secret is detached, or empty."""
    for field in job.secret_inputs:
        try:
            if await field.count() and await field.input_value(timeout=1000):
                return False
        except PlaywrightError:
            return False  # cannot tell: stay paused
    return True
