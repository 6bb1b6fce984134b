"""Retry policies as values, run with tenacity and an injectable sleep.

Which policy a step gets:

1. its own ``retry:``;
2. none, if an enclosing block retries (the block re-runs as a whole), or inside a
   ``submit: true`` step (an action there that failed may have been taken by the portal:
   trying it again blind could submit twice; the failure goes to the guard, which reads
   the portal first);
3. none, for a ``submit: true`` step without a ``guard`` (re-submitting blind could
   submit twice), and for the kinds whose spec says so (``retried_by_default``: ``block``
   and ``use``, whose steps have their own; ``fail``, which fails the same way every time);
4. otherwise the playbook's default ``retry:`` (3 attempts on transient failures).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from rpa.errors import FailureKind, SessionExpiredError, StepError, TransientError
from rpa.playbook.kinds import KINDS
from rpa.playbook.model import Condition, RestartSpec, RetrySpec, Step
from rpa.steps.base import Scope, Sleep

T = TypeVar("T")
OnRetry = Callable[[int, StepError, float], None]


class UntilNotMet(TransientError):
    """An attempt succeeded but the step's ``until`` condition is still false."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    delay_s: float
    backoff: float
    max_delay_s: float
    on: frozenset[FailureKind]
    until: Condition | None = None

    @classmethod
    def from_spec(cls, spec: RetrySpec | RestartSpec) -> RetryPolicy:
        """A step's or block's ``retry:``, or a block's ``restart:`` (runs of the block)."""
        return cls(
            attempts=spec.attempts,
            delay_s=spec.delay,
            backoff=spec.backoff,
            max_delay_s=spec.max_delay,
            on=frozenset(FailureKind(kind) for kind in spec.on),
            until=spec.until if isinstance(spec, RetrySpec) else None,
        )

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        return min(self.delay_s * self.backoff ** (attempt - 1), self.max_delay_s)

    def retries(self, exc: BaseException) -> bool:
        return isinstance(exc, UntilNotMet) or (isinstance(exc, StepError) and exc.kind in self.on)


def policy_for(step: Step, scope: Scope) -> RetryPolicy | None:
    if step.options.retry is not None:
        return RetryPolicy.from_spec(step.options.retry)
    if scope.in_retrying_block or scope.in_submit or not KINDS[step.kind].retried_by_default:
        return None
    if step.options.submit and step.options.guard is None:
        return None
    return RetryPolicy.from_spec(scope.playbook.retry)


async def run_with_retry(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy | None,
    *,
    sleep: Sleep,
    on_retry: OnRetry,
) -> T:
    """Run ``attempt`` until it succeeds or the policy gives up (the last error is raised)."""
    if policy is None or policy.attempts <= 1:
        return await attempt()

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        if isinstance(error, StepError):
            on_retry(state.attempt_number, error, delay)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(
            multiplier=policy.delay_s, exp_base=policy.backoff, max=policy.max_delay_s
        ),
        retry=retry_if_exception(policy.retries),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(attempt)


Relogin = Callable[[SessionExpiredError], Awaitable[int]]  # logs in again; re-logins so far


async def run_with_restarts(
    run: Callable[[], Awaitable[T]],
    restart: RetryPolicy | None,
    *,
    relogin: Relogin | None,
    sleep: Sleep,
    on_retry: OnRetry,
) -> T:
    """Run ``run`` (a coroutine function: a step, with its own retries) again after
    logging in again when the portal ended the session (``relogin``; None: a session
    expiry is not this step's to handle), and, for a block with ``restart:``, from its
    start when a step inside it gave up in one of the policy's ways, up to
    ``restart.attempts`` runs (re-logins not counted: ``relogin`` stops by itself)."""
    if restart is None and relogin is None:
        return await run()
    runs = 1

    def again(exc: BaseException) -> bool:
        if isinstance(exc, SessionExpiredError):
            return relogin is not None
        return restart is not None and isinstance(exc, StepError) and exc.kind in restart.on

    def failure(state: RetryCallState) -> BaseException | None:
        return state.outcome.exception() if state.outcome is not None else None

    def stop(state: RetryCallState) -> bool:
        if isinstance(failure(state), SessionExpiredError):
            return False
        return restart is None or runs >= restart.attempts

    def wait(state: RetryCallState) -> float:
        if restart is None or isinstance(failure(state), SessionExpiredError):
            return 0.0
        return restart.delay_before(runs)

    async def before_sleep(state: RetryCallState) -> None:
        nonlocal runs
        error = failure(state)
        assert isinstance(error, StepError)
        if isinstance(error, SessionExpiredError):
            assert relogin is not None
            on_retry(await relogin(error), error, 0.0)  # the step (or block) runs again
        else:
            # the block's steps gave up: run it again from its start (its guards are
            # probed again, so a submission already made is not repeated)
            on_retry(runs, error, state.upcoming_sleep)
            runs += 1

    async def pause(seconds: float) -> None:
        if seconds:
            await sleep(seconds)

    retrying = AsyncRetrying(
        retry=retry_if_exception(again),
        stop=stop,
        wait=wait,
        before_sleep=before_sleep,
        sleep=pause,
        reraise=True,
    )
    return await retrying(run)  # (tenacity awaits only a coroutine *function*)
