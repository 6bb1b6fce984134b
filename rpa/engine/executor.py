"""Running steps: conditions, check mode, guards, retries, re-login, blocks and ``use``.

One ``Executor`` runs one job. For each step, in order:

1. ``when`` false → skipped;
2. check mode and ``submit: true`` → the guard is probed (true: the job ends ``ok``),
   a screenshot of the filled form is saved, and the job ends ``would-change``;
3. attempts, under the step's retry policy (``retry.py``). Each attempt of a step with a
   ``guard`` first probes it (true: the job ends ``ok`` without submitting); a submit step
   emits ``SubmitIntent`` before acting and ``SubmitDone`` after;
4. a ``SessionExpiredError`` runs the playbook's ``on_session_expired`` steps, then the
   failed step again (or its block, for a block with ``session: restart``);
   a block with ``restart:`` runs again from its start when a step inside it gave up
   with one of the listed failure kinds;
5. the result is stored under ``register``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from loguru import logger

from rpa.browser import PlaywrightError
from rpa.engine.classify import classify, detect, first_line, translate
from rpa.engine.retry import (
    RetryPolicy,
    UntilNotMet,
    policy_for,
    run_with_restarts,
    run_with_retry,
)
from rpa.engine.tracing import TraceRecorder
from rpa.errors import (
    BusinessError,
    FailureKind,
    LoadIssue,
    PlaybookError,
    RecordError,
    SessionExpiredError,
    StepError,
    TemplateError,
    TransientError,
)
from rpa.events import StepFinished, StepRetried, StepStarted, SubmitDone, SubmitIntent
from rpa.masking import mask
from rpa.outcomes import StepStatus
from rpa.playbook.args import UseArgs
from rpa.playbook.inputs import bind_inputs
from rpa.playbook.kinds import KINDS
from rpa.playbook.model import Condition, Playbook, Step
from rpa.playbook.render import render_model
from rpa.playbook.template import render_deep, render_value
from rpa.steps import conditions, get_handler
from rpa.steps.base import JobState, Scope, Sleep, StepContext, is_secret


class Stop(Exception):
    """Ends the job early, not as a failure."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


class GuardSatisfied(Stop):
    """A guard said the change is already on the portal: the playbook ends there (``ok``,
    or ``changed`` when this job attempted the change itself: ``made_here``). A used
    playbook's guard ends only that playbook; the one that used it goes on."""

    def __init__(self, step: str, *, made_here: bool) -> None:
        super().__init__(step)
        self.made_here = made_here


class CheckStop(Stop):
    """Check mode reached a submit step: the job ends ``would-change``."""


def step_title(step: Step) -> str:
    if step.kind == "use" and not step.options.name and step.used is not None:
        return step.used.name
    return step.title


def find_step(playbook: Playbook, ref: str) -> Step:
    """A step of ``playbook`` (not rescue/always) by id, name, or path of names."""
    found: list[tuple[str, Step]] = []

    def walk(steps: Sequence[Step], parent: str) -> None:
        for step in steps:
            path = f"{parent}/{step_title(step)}" if parent else step_title(step)
            found.append((path, step))
            walk(step.body, path)

    walk(playbook.steps, "")
    for path, step in found:
        if ref in (step.id, path, step.options.name):
            return step
    names = ", ".join(p for p, _ in found[:12])
    raise PlaybookError(
        [LoadIssue(playbook.file, None, None, f"no step {ref!r} to start from (steps: {names})")]
    )


def outputs_of(playbook: Playbook, scope: Scope) -> dict[str, Any]:
    """The playbook's ``outputs:``, rendered; a value not known (yet) is ``None``."""
    values: dict[str, Any] = {}
    for name, source in playbook.outputs.items():
        try:
            values[name] = render_value(source, scope.context())
        except TemplateError:
            values[name] = None
    return values


def initial_vars(playbook: Playbook, scope: Scope) -> None:
    for name, value in playbook.vars.items():
        scope.vars[name] = render_deep(value, scope.context())


class Executor:
    def __init__(
        self,
        job: JobState,
        top: Playbook,
        tracer: TraceRecorder,
        sleep: Sleep,
        *,
        start_at: Step | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job = job
        self.top = top
        self.tracer = tracer
        self._sleep = sleep
        self.clock = clock
        self.skip_to = start_at.id if start_at is not None else None
        self.relogins = 0
        self.relogging = False
        self.top_scope: Scope | None = None

    async def sleep(self, seconds: float) -> None:
        """A retry's delay; the page may change meanwhile."""
        await self._sleep(seconds)
        self.job.looks.invalidate()

    # --- the step loop --------------------------------------------------------------------

    async def run_steps(self, steps: Sequence[Step], scope: Scope, parent: str) -> None:
        for step in steps:
            await self.run_step(step, scope, parent)

    async def run_step(self, step: Step, scope: Scope, parent: str) -> None:
        path = f"{parent}/{step_title(step)}" if parent else step_title(step)
        emit = self.job.emit
        job_id = self.job.job_id
        if self._skipped_for_resume(step, scope):
            emit(
                StepFinished(
                    job_id=job_id,
                    step=path,
                    kind=step.kind,
                    status=StepStatus.SKIPPED,
                    duration_s=0.0,
                )
            )
            return
        emit(StepStarted(job_id=job_id, step=path, kind=step.kind))
        started = self.clock()
        try:
            status = await self._run(step, scope, path)
        except StepError as exc:
            if exc.step is None:
                exc.step = path
            emit(
                StepFinished(
                    job_id=job_id,
                    step=path,
                    kind=step.kind,
                    status=StepStatus.FAILED,
                    duration_s=self.clock() - started,
                    error=mask(exc.message),
                )
            )
            raise
        except Stop:
            emit(
                StepFinished(
                    job_id=job_id,
                    step=path,
                    kind=step.kind,
                    status=StepStatus.SKIPPED,
                    duration_s=self.clock() - started,
                )
            )
            raise
        emit(
            StepFinished(
                job_id=job_id,
                step=path,
                kind=step.kind,
                status=status,
                duration_s=self.clock() - started,
            )
        )

    def _skipped_for_resume(self, step: Step, scope: Scope) -> bool:
        """Before ``from_step``: skip all but ``use`` and ``set``; enter blocks holding it."""
        target = self.skip_to
        if target is None or self.relogging or scope.playbook is not self.top:
            return False
        if step.id == target:
            self.skip_to = None
            return False
        if target.startswith(step.id + "."):
            return False
        return not KINDS[step.kind].kept_on_resume

    async def _run(self, step: Step, scope: Scope, path: str) -> StepStatus:
        opts = step.options
        if opts.when is not None and not await self._holds(opts.when, scope):
            return StepStatus.SKIPPED
        if opts.submit and self.job.check:
            await self._check_stop(step, scope, path)
        result: Any = None
        if step.kind == "block":
            await self._block(step, scope, path)
        else:
            result = await self._with_session(step, scope, path)
        if opts.submit:
            self.job.submitted.append(path)
            self.job.emit(SubmitDone(job_id=self.job.job_id, step=path))
        if opts.register_as:
            scope.vars[opts.register_as] = result
        return StepStatus.CHANGED if opts.submit else StepStatus.OK

    async def _check_stop(self, step: Step, scope: Scope, path: str) -> None:
        if step.options.guard is not None and await self._holds(step.options.guard, scope):
            raise self._guard_met(path)
        await self.job.artifacts.screenshot(
            self.job.page, "check-mode", mask=self.job.secret_inputs
        )
        raise CheckStop(path)

    def _guard_met(self, path: str) -> GuardSatisfied:
        """The change at ``path`` is on the portal; whether this job made it: an attempt of
        the step, or of a submit step inside the block, earlier in this run or in an earlier
        run of the same job (``JobState.prior_intent``)."""
        job = self.job
        made_here = job.prior_intent or any(
            intent == path or intent.startswith(path + "/") for intent in job.intents
        )
        return GuardSatisfied(path, made_here=made_here)

    async def _holds(self, cond: Condition, scope: Scope) -> bool:
        """Probe a condition now; a page probe first lets the progress overlay go. A look
        at the page taken since the last step answers what it can (``screen.py``); else,
        unless the overlay was seen gone since the last action and the condition is none
        of a look's business, one look asks the overlay and the condition together."""
        job = self.job
        overlay = job.detect.overlay
        try:
            if cond.expr is not None:
                return await conditions.holds(scope, cond)
            looks = job.looks
            look = looks.current()
            settled = looks.settled(overlay)
            if look is None and (not settled or conditions.lookable(cond)):
                look = await conditions.look_at_page(scope, cond)  # notes the overlay gone, if so
            if looks.settled(overlay):  # (the look just taken may have seen it gone)
                return await conditions.holds(scope, cond, look)
            assert overlay is not None  # (without one, looks are settled)
            shown = look.visible(overlay) if look is not None else None
            if shown is None:
                shown = await conditions.overlay_shown(scope, overlay)
            if not shown:
                looks.note_settled()
                return await conditions.holds(scope, cond, look)
        except Exception as exc:
            raise translate(exc) from exc
        await conditions.overlay_gone(scope, job.settings.step_timeout_ms)  # up: wait for it
        try:
            return await conditions.holds(scope, cond)
        except Exception as exc:
            raise translate(exc) from exc

    # --- attempts, retries, re-login --------------------------------------------------------

    async def _with_session(self, step: Step, scope: Scope, path: str) -> Any:
        policy = policy_for(step, scope)
        handles_session = not self.relogging and (
            (step.kind == "block" and step.session == "restart")
            or (step.kind not in ("block", "use") and not scope.restart_on_session)
        )

        def retried(attempt: int, error: StepError, delay: float) -> None:
            self.tracer.arm(self.job)  # trace: on-retry starts recording now
            if error.kind is FailureKind.TRANSIENT:
                self.job.transient_failures += 1
            self.job.emit(
                StepRetried(
                    job_id=self.job.job_id,
                    step=path,
                    attempt=attempt,
                    error=mask(error.message),
                    error_kind=str(error.kind),
                    delay_s=delay,
                )
            )

        tries = 0
        spec = KINDS[step.kind]
        fresh_start = spec.loads_page or spec.run_by_engine or not spec.touches_page

        async def attempt() -> Any:
            nonlocal tries
            tries += 1
            if tries > 1 and not fresh_start:
                await self._refuse_busy_page(scope)
            return await self._attempt(step, scope, path, policy)

        restart = (
            RetryPolicy.from_spec(step.restart)
            if step.kind == "block" and step.restart is not None
            else None
        )

        async def run() -> Any:
            return await run_with_retry(attempt, policy, sleep=self.sleep, on_retry=retried)

        return await run_with_restarts(
            run,
            restart,
            relogin=self._relogin if handles_session else None,
            sleep=self.sleep,
            on_retry=retried,
        )

    async def _refuse_busy_page(self, scope: Scope) -> None:
        """Before a step is tried again on the page it failed on: a busy page the portal
        put there (a busy answer loaded into the page by JavaScript) stays until something
        loads the page again, so the attempt would only wait out its timeout. It fails at
        once instead, and an enclosing restart (a ``goto``, a new login) takes over."""
        busy = self.job.detect.busy
        if busy is not None and await self._holds(busy, scope):
            raise TransientError("the portal still shows its busy page", code=conditions.BUSY_CODE)

    async def _relogin(self, error: SessionExpiredError) -> int:
        """Run the top playbook's ``on_session_expired`` steps; the re-logins so far."""
        top = self.top_scope
        if top is None or not self.top.on_session_expired:
            raise SessionExpiredError(
                f"{error.message}; the playbook has no on_session_expired steps",
                step=error.step,
                code=error.code,
            ) from error
        if self.relogins >= self.top.max_relogins:
            raise SessionExpiredError(
                f"{error.message}; gave up after {self.relogins} re-login(s)",
                step=error.step,
                code=error.code,
            ) from error
        self.relogins += 1
        self.relogging = True
        try:
            await self.run_steps(self.top.on_session_expired, top, "on_session_expired")
        finally:
            self.relogging = False
        return self.relogins

    async def _attempt(
        self, step: Step, scope: Scope, path: str, policy: RetryPolicy | None
    ) -> Any:
        opts = step.options
        if opts.guard is not None and await self._holds(opts.guard, scope):
            raise self._guard_met(path)
        if opts.submit:
            self.job.intents.append(path)
            self.job.job_info["submit_attempted"] = True
            self.job.emit(SubmitIntent(job_id=self.job.job_id, step=path))
        result: Any = None
        if step.kind == "block":
            await self._block_body(step, scope, path)
        elif step.kind == "use":
            result = await self._use(step, scope, path)
        else:
            result = await self._leaf(step, scope, path)
        until = policy.until if policy is not None else None
        if until is not None and not await self._holds(until, scope):
            # the page may say why (logged out, busy): that is the failure to act on
            raise await classify(
                UntilNotMet(f"{until.describe()} is still false"),
                scope,
                session=not self.relogging,
            )
        return result

    async def _leaf(self, step: Step, scope: Scope, path: str) -> Any:
        job = self.job
        seen: list[str] = []
        try:
            args = render_model(step.args, scope.context(), seen) if step.args else None
        except TemplateError as exc:
            raise translate(exc) from exc
        # a secret matters to the trace only where it reaches the browser
        spec = KINDS[step.kind]
        sensitive = spec.touches_page and (
            step.options.sensitive or spec.sensitive or any(is_secret(text) for text in seen)
        )
        await self.tracer.before_step(job, sensitive=sensitive, kind=step.kind)
        timeout = step.options.timeout_ms or job.settings.step_timeout_ms
        if job.detect.overlay is not None and (
            spec.overlay == "before"
            or (spec.overlay == "pointer" and getattr(args, "force", False))
        ):
            await conditions.overlay_gone(scope, timeout)
        navigations = job.looks.navigations
        if not spec.only_reads:
            job.looks.acted()
        ctx = StepContext(
            job=job,
            scope=scope,
            step=step,
            path=path,
            timeout_ms=timeout,
            sensitive=sensitive,
            screen=job.looks.current(),
        )
        if spec.touches_page:
            job.looks.invalidate()  # the step may change the page: a look before it is stale
        try:
            result = await get_handler(step.kind)(ctx, args)
        except Exception as exc:
            error = translate(exc)
            raise await classify(error, scope, session=not self.relogging) from exc
        if job.looks.navigations != navigations:
            await _document_loaded(job)  # a navigation seen at its commit has no text yet
            found = await detect(scope, session=not self.relogging, status=step.kind != "goto")
            if found is not None:
                raise found
        return result

    # --- blocks and use ---------------------------------------------------------------------

    async def _block(self, step: Step, scope: Scope, path: str) -> None:
        failure: StepError | None = None
        try:
            await self._with_session(step, scope, path)
        except StepError as exc:
            failure = exc
            if step.rescue:
                try:
                    await self.run_steps(step.rescue, scope.nested(error=_error_info(exc)), path)
                    failure = None
                except StepError as again:
                    failure = again
        except Stop:
            await self._always(step, scope, path, None)
            raise
        await self._always(step, scope, path, failure)
        if failure is not None:
            raise failure

    async def _always(self, step: Step, scope: Scope, path: str, failure: StepError | None) -> None:
        if step.always:
            info = _error_info(failure) if failure is not None else None
            await self.run_steps(step.always, scope.nested(error=info), path)

    async def _block_body(self, step: Step, scope: Scope, path: str) -> None:
        inner = scope.nested(
            in_retrying_block=scope.in_retrying_block or step.options.retry is not None,
            in_submit=scope.in_submit or step.options.submit,
            restart_on_session=scope.restart_on_session or step.session == "restart",
        )
        await self.run_steps(step.body, inner, path)

    async def _use(self, step: Step, scope: Scope, path: str) -> dict[str, Any]:
        used = step.used
        assert used is not None and isinstance(step.args, UseArgs)
        try:
            args = render_model(step.args, scope.context())
            inputs = bind_inputs(used.inputs, args.inputs, inherited=scope.inputs)
        except TemplateError as exc:
            raise translate(exc) from exc
        except RecordError as exc:
            raise BusinessError(f"use {used.name}: {exc}", code="INVALID_INPUT") from exc
        inner = Scope(
            playbook=used,
            inputs=inputs,
            vars={},
            job=self.job,
            in_retrying_block=scope.in_retrying_block or step.options.retry is not None,
            in_submit=scope.in_submit or step.options.submit,
            restart_on_session=scope.restart_on_session,
        )
        try:
            initial_vars(used, inner)
        except TemplateError as exc:
            raise translate(exc) from exc
        try:
            await self.run_steps(used.steps, inner, path)
        except GuardSatisfied as stop:  # this playbook's work is done; the caller's is not
            if stop.made_here:
                self.job.changed_by_attempt = True
        return outputs_of(used, inner)


async def _document_loaded(job: JobState) -> None:
    if job.looks.document_loaded:
        return  # its DOMContentLoaded has been seen (asking Playwright costs a waiter)
    try:
        await job.page.wait_for_load_state("domcontentloaded", timeout=job.settings.step_timeout_ms)
    except PlaywrightError as exc:  # the probes that follow see what there is
        logger.debug("job {}: the page did not load: {}", job.job_id, first_line(exc.message))


def _error_info(error: StepError) -> dict[str, Any]:
    return {
        "kind": str(error.kind),
        "code": error.code,
        "message": error.message,
        "step": error.step,
    }
