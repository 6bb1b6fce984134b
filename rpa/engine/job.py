"""``Engine.run_job``: one playbook for one client, in its own browser context.

The caller (the CLI, the batch runner) owns the browser; the engine opens a context per
job, runs the steps, saves artifacts, and always emits ``RunStarted`` … ``RunFinished``.
A job's own failure is a value (``JobResult.outcome``), never an exception; only
cancellation (``asyncio.CancelledError``, recorded ``interrupted``) propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger

from rpa.artifacts import JobArtifacts
from rpa.browser import PlaywrightError
from rpa.challenges.base import Providers
from rpa.clients.secrets import Secrets
from rpa.engine.executor import (
    CheckStop,
    Executor,
    GuardSatisfied,
    find_step,
    initial_vars,
    outputs_of,
)
from rpa.engine.tracing import TraceRecorder
from rpa.errors import (
    BusinessError,
    FailureKind,
    NeedsInputError,
    PlaybookError,
    RecordError,
    StepError,
    TemplateError,
    TransientError,
)
from rpa.events import Event, EventBus, RunFinished, RunStarted
from rpa.masking import job_scope, mask, verbatim
from rpa.outcomes import Outcome
from rpa.playbook.inputs import bind_inputs
from rpa.playbook.model import Detect, Playbook
from rpa.steps.base import JobState, Scope, Sleep
from rpa.steps.screen import Looks, watched_selectors

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Frame, Page

    from rpa.config import Settings, TraceMode


class ContextFactory(Protocol):
    """What the engine needs of the caller's browser: ``rpa.browser.BrowserSession``."""

    async def new_context(self, **options: Any) -> BrowserContext: ...


@dataclass(frozen=True)
class JobFailure:
    kind: FailureKind
    message: str  # masked
    code: str | None = None
    step: str | None = None  # the failed step's path, e.g. "login/#3 fill"
    screenshot: str | None = None


@dataclass(frozen=True)
class JobResult:
    job_id: str
    outcome: Outcome
    outputs: dict[str, Any] = field(default_factory=dict)  # the playbook's `outputs:`
    failure: JobFailure | None = None
    duration_s: float = 0.0
    artifacts_dir: Path | None = None
    submitted: tuple[str, ...] = ()  # paths of submit steps that succeeded
    stopped_at: str | None = None  # the step where check mode or a guard ended the job

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.CHANGED, Outcome.WOULD_CHANGE)


class Engine:
    """Runs jobs. Reuse one engine for many jobs (and many at once, on one event loop).

    ``sleep`` is what retry delays await (tests pass one that does not wait).
    """

    def __init__(
        self,
        settings: Settings,
        bus: EventBus,
        providers: Providers | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.providers = providers or Providers()
        self.sleep = sleep

    async def run_job(
        self,
        job_id: str,
        playbook: Playbook,
        inputs: Mapping[str, Any],
        client: Mapping[str, Any] | None = None,
        *,
        browser_session: ContextFactory,
        secrets: Mapping[str, str] | None = None,
        check: bool = False,
        from_step: str | None = None,
        client_label: str | None = None,
        trace: TraceMode | None = None,
        prior_intent: bool = False,
    ) -> JobResult:
        """Run ``playbook`` for one client in a new context of ``browser_session``.

        ``inputs`` are checked against the playbook's declaration (a bad one fails the job
        with code ``INVALID_INPUT``); ``client`` is what templates see as ``client``;
        ``secrets`` what they see as ``secrets`` (values may be resolved lazily; each is
        registered in the job's secret scope when read). ``check`` stops before the first
        submit step. ``from_step`` (an id like ``"4"``/``"2.3"``, a step name, or a path) skips the
        steps before it, except ``use`` (logins) and ``set``. ``trace`` overrides the
        setting of that name for this job. ``prior_intent``: an earlier run of this same
        job attempted a submission, so a guard that finds the change means ``changed``.
        """
        run = _Run(
            self,
            job_id,
            playbook,
            client or {},
            secrets,
            check,
            client_label,
            trace=trace or self.settings.trace,
            prior_intent=prior_intent,
        )
        return await run.execute(inputs, browser_session, from_step)


class _Run:
    """The state of one ``run_job`` call."""

    def __init__(
        self,
        engine: Engine,
        job_id: str,
        playbook: Playbook,
        client: Mapping[str, Any],
        secrets: Mapping[str, str] | None,
        check: bool,
        client_label: str | None,
        *,
        trace: TraceMode,
        prior_intent: bool,
    ) -> None:
        self.engine = engine
        self.job_id = job_id
        self.playbook = playbook
        self.client = client
        self.secrets = Secrets(secrets)
        self.check = check
        self.label = client_label or _client_label(client)
        self.loop_time = asyncio.get_running_loop().time
        self.started = self.loop_time()
        root = engine.settings.artifacts_dir / job_id
        self.artifacts = JobArtifacts(root, job_id, self.emit)
        self.context: BrowserContext | None = None
        self.tracer: TraceRecorder | None = None
        self.state: JobState | None = None
        self.scope: Scope | None = None
        self.trace = trace
        self.prior_intent = prior_intent

    def emit(self, event: Event) -> None:
        # An event is a record: its error texts were masked when it was built, its result
        # holds no secret (rpa validate). Sinks that mask every line must not alter it.
        with verbatim():
            self.artifacts.record(event)
            self.engine.bus.emit(event)

    async def execute(
        self, given: Mapping[str, Any], browser: ContextFactory, from_step: str | None
    ) -> JobResult:
        """The job, in its own secret scope (``rpa.masking``): what it registers (the
        client's secrets as templates read them, inputs, OTPs, PINs) masks its own error
        texts and log records, never another job's."""
        with job_scope(self.job_id):
            return await self._execute(given, browser, from_step)

    async def _execute(
        self, given: Mapping[str, Any], browser: ContextFactory, from_step: str | None
    ) -> JobResult:
        self.emit(
            RunStarted(
                job_id=self.job_id,
                playbook=self.playbook.name,
                client=_client_id(self.client) or self.label,
                check=self.check,
            )
        )
        outcome = Outcome.FAILED
        failure: StepError | None = None
        stopped_at: str | None = None
        try:
            start_at = find_step(self.playbook, from_step) if from_step else None
            inputs = bind_inputs(self.playbook.inputs, given)
            await self._open(browser)
            assert self.state is not None and self.tracer is not None
            self.scope = scope = Scope(
                playbook=self.playbook, inputs=inputs, vars={}, job=self.state
            )
            initial_vars(self.playbook, scope)
            executor = Executor(
                self.state,
                self.playbook,
                self.tracer,
                self.engine.sleep,
                start_at=start_at,
                clock=self.loop_time,
            )
            executor.top_scope = scope
            await executor.run_steps(self.playbook.steps, scope, "")
            outcome = self._done_outcome()
        except GuardSatisfied as stop:
            # an earlier attempt may have made the change before failing
            outcome = Outcome.CHANGED if stop.made_here else self._done_outcome()
            stopped_at = stop.step
        except CheckStop as stop:
            outcome, stopped_at = Outcome.WOULD_CHANGE, stop.step
        except StepError as exc:
            failure = exc
            outcome = Outcome.NEEDS_INPUT if isinstance(exc, NeedsInputError) else Outcome.FAILED
        except RecordError as exc:
            failure = BusinessError(str(exc), code="INVALID_INPUT")
        except PlaybookError as exc:  # from_step not found, a template in vars:
            failure = StepError(
                str(exc), code="TEMPLATE" if isinstance(exc, TemplateError) else "PLAYBOOK"
            )
        except PlaywrightError as exc:  # the browser died while opening the context
            failure = TransientError(f"the browser failed: {exc.message}")
        except asyncio.CancelledError:
            await self._finish(Outcome.INTERRUPTED, None, None, cancelled=True)
            raise
        except Exception as exc:  # a bug: the job fails, the batch goes on
            logger.exception("job {} failed inside the engine", self.job_id)
            failure = StepError(f"internal error: {type(exc).__name__}: {exc}")
        return await self._finish(outcome, failure, stopped_at)

    def _done_outcome(self) -> Outcome:
        state = self.state
        changed = state is not None and (bool(state.submitted) or state.changed_by_attempt)
        return Outcome.CHANGED if changed else Outcome.OK

    async def _open(self, browser: ContextFactory) -> None:
        settings = self.engine.settings
        self.context = context = await browser.new_context()
        page = await context.new_page()
        self.state = state = JobState(
            job_id=self.job_id,
            settings=settings,
            context=context,
            page=page,
            artifacts=self.artifacts,
            providers=self.engine.providers,
            emit=self.emit,
            detect=effective_detect(self.playbook),
            looks=Looks(watched_selectors(self.playbook)),
            client=self.client,
            secrets=self.secrets,
            client_label=self.label,
            check=self.check,
            prior_intent=self.prior_intent,
        )
        _watch(page, state)
        self.tracer = TraceRecorder(context, self.trace, self.artifacts)
        await self.tracer.start(state)

    async def _finish(
        self,
        outcome: Outcome,
        failure: StepError | None,
        stopped_at: str | None,
        *,
        cancelled: bool = False,
    ) -> JobResult:
        failed = outcome in (Outcome.FAILED, Outcome.NEEDS_INPUT, Outcome.INTERRUPTED)
        screenshot: str | None = None
        if failure is not None and not cancelled:
            screenshot = await self._failure_artifacts()
            if failure.screenshot is None:
                failure.screenshot = screenshot
        outputs = outputs_of(self.playbook, self.scope) if self.scope is not None else {}
        if self.tracer is not None:
            for path in await self.tracer.finish(failed=failed):
                self.artifacts.saved("trace", path)
        if self.context is not None:
            with contextlib.suppress(PlaywrightError):  # already gone with the browser
                await self.context.close()
        result = JobResult(
            job_id=self.job_id,
            outcome=outcome,
            outputs=outputs,
            failure=_failure(failure),
            duration_s=self.loop_time() - self.started,
            artifacts_dir=self.artifacts.root,
            submitted=tuple(self.state.submitted) if self.state else (),
            stopped_at=stopped_at,
        )
        try:
            self.emit(
                RunFinished(
                    job_id=self.job_id,
                    outcome=outcome,
                    duration_s=result.duration_s,
                    result=outputs,  # a record: never masked (no secret can be in it)
                    error=result.failure.message if result.failure else None,
                    error_kind=str(result.failure.kind) if result.failure else None,
                    error_code=result.failure.code if result.failure else None,
                    error_step=result.failure.step if result.failure else None,
                )
            )
        finally:
            self.artifacts.close()
        return result

    async def _failure_artifacts(self) -> str | None:
        """A screenshot and the HTML of the page, secret inputs masked out."""
        state = self.state
        if state is None:
            return None
        try:
            shot = await self.artifacts.screenshot(state.page, "failure", mask=state.secret_inputs)
            await self.artifacts.html(state.page, "failure")
            return str(shot)
        except PlaywrightError as exc:
            logger.debug("no failure screenshot for {}: {}", self.job_id, exc.message)
            return None


def effective_detect(playbook: Playbook) -> Detect:
    """The job's detectors: the playbook's own, completed by those of the playbooks it uses
    (``Detect.then``: for each single detector the first declared wins, the top playbook
    first; error detectors are all kept, the top playbook's first)."""
    order: list[Playbook] = []

    def visit(book: Playbook) -> None:
        if any(book is seen for seen in order):
            return
        order.append(book)
        for step in book.walk():
            if step.used is not None:
                visit(step.used)

    visit(playbook)
    found = playbook.detect
    for book in order[1:]:
        found = found.then(book.detect)
    return found


def _failure(error: StepError | None) -> JobFailure | None:
    if error is None:
        return None
    return JobFailure(
        kind=error.kind,
        message=mask(error.message),
        code=error.code,
        step=error.step,
        screenshot=error.screenshot,
    )


def _client_id(client: Mapping[str, Any]) -> str | None:
    value = client.get("iec")
    return str(value) if value else None


def _client_label(client: Mapping[str, Any]) -> str | None:
    value = client.get("label") or client.get("iec")
    return str(value) if value else None


def _watch(page: Page, state: JobState) -> None:
    """Count main-frame navigations, and note the last one whose document has loaded (the
    trace recorder watches requests, when it must)."""

    def navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            state.looks.navigated()

    def loaded(_: Page) -> None:
        state.looks.loaded()

    page.on("framenavigated", navigated)
    page.on("domcontentloaded", loaded)
