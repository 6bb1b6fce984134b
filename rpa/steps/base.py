"""What a step handler works with: the job's state, the scope of values, the step context.

The engine builds a ``JobState`` per job and a ``Scope`` per playbook run (a ``use`` opens
a new one), and hands each handler a ``StepContext`` for one attempt. Handlers do one
attempt and return a value (registered with ``register:``); they never loop or sleep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.clients.secrets import Secrets
from rpa.events import Event
from rpa.masking import is_secret as _is_secret
from rpa.steps.screen import Looks

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page
    from playwright.async_api import Locator as PwLocator

    from rpa.artifacts import JobArtifacts
    from rpa.challenges.base import Providers
    from rpa.config import Settings
    from rpa.playbook.model import Detect, Playbook, Step
    from rpa.steps.screen import Screen

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class JobState:
    """Everything about one running job that outlives a step."""

    job_id: str
    settings: Settings
    context: BrowserContext
    page: Page
    artifacts: JobArtifacts
    providers: Providers
    emit: Callable[[Event], None]
    detect: Detect
    client: Mapping[str, Any]
    secrets: Secrets
    client_label: str | None = None
    check: bool = False
    secret_inputs: list[PwLocator] = field(default_factory=list)  # masked in screenshots
    looks: Looks = field(default_factory=Looks)  # what is known of the page (screen.py)
    submitted: list[str] = field(default_factory=list)  # submit steps done
    intents: list[str] = field(default_factory=list)  # submit steps attempted
    prior_intent: bool = False  # an earlier run of this job attempted a submission
    changed_by_attempt: bool = False  # a guard found a change this job had attempted
    transient_failures: int = 0  # attempts that failed transiently (busy, timeouts)

    @cached_property
    def job_info(self) -> dict[str, Any]:
        s = self.settings
        return {
            "id": self.job_id,
            "check": self.check,
            "portal_url": s.portal_url,
            "artifacts_dir": str(self.artifacts.root),
            "certificates_dir": str(s.certificates_dir.resolve()),
            "data_dir": str(s.data_dir.resolve()),
            "today": date.today().isoformat(),  # this machine's date, for file names
            # this job, or an earlier run of it, attempted a submission (set by the
            # executor at each intent): what the portal shows may be its work
            "submit_attempted": self.prior_intent or bool(self.intents),
        }


@dataclass
class Scope:
    """The values one playbook run sees: its inputs and vars, and the job's shared ones."""

    playbook: Playbook
    inputs: dict[str, Any]
    vars: dict[str, Any]
    job: JobState
    error: dict[str, Any] | None = None  # in rescue/always: the failure being handled
    in_retrying_block: bool = False  # an enclosing block retries: steps do not retry alone
    in_submit: bool = False  # inside a submit step: steps do not retry alone (it may be done)
    restart_on_session: bool = False  # an enclosing block restarts after a re-login

    def context(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "vars": self.vars,
            "client": self.job.client,
            "secrets": self.job.secrets,
            "job": self.job.job_info,
            "error": self.error,
        }

    def nested(self, **changes: Any) -> Scope:
        """The same values (vars shared), with flags changed, for a block's steps."""
        return replace(self, **changes)


def is_secret(text: str) -> bool:
    """Whether text is, as a whole, a secret of the running job (secrets are passed only
    whole: a date holding a PIN's digits is not one)."""
    return _is_secret(text)


@dataclass
class StepContext:
    """One attempt of one step."""

    job: JobState
    scope: Scope
    step: Step
    path: str
    timeout_ms: int
    sensitive: bool = False
    screen: Screen | None = None  # the look at the page taken since the previous step

    @property
    def page(self) -> Page:
        return self.job.page

    @property
    def artifacts_dir(self) -> Path:
        return self.job.artifacts.root

    def set_var(self, name: str, value: Any) -> None:
        self.scope.vars[name] = value

    def note_secret_input(self, locator: PwLocator) -> None:
        """An input now holds a secret: screenshots mask it; tracing stays paused."""
        self.job.secret_inputs.append(locator)

    def emit(self, event: Event) -> None:
        self.job.emit(event)
