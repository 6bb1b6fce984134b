"""The agent put together for one process: providers and signers chosen by settings, the
engine, the journal listening, and a client record turned into what a playbook sees.

The CLI (``rpa run``, ``rpa batch``, ``rpa replay``, ``rpa renew run``) builds one
``Agent`` and hands it jobs; the batch runner calls ``Agent.run_batch_job``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rpa.batch import BatchJob, JobEnd
from rpa.challenges.base import Prompter, Providers
from rpa.challenges.inbox import Inbox
from rpa.challenges.providers import (
    MockPortalApi,
    TerminalPrompt,
    make_captcha_provider,
    make_otp_provider,
    mock_api_root,
)
from rpa.challenges.signing import AadhaarSigner, DscSigner
from rpa.engine import Engine, JobResult, LazySecrets
from rpa.errors import FailureKind
from rpa.events import EventBus, Outcome, RunFinished
from rpa.journal import Journal, JournalListener
from rpa.playbook.loader import Loader
from rpa.playbook.model import Playbook, unguarded_submit_steps
from rpa.records import ClientRecord

if TYPE_CHECKING:
    from pathlib import Path

    from rpa.config import Settings
    from rpa.engine import ContextFactory


def build_providers(
    settings: Settings,
    *,
    otp_provider: str | None = None,
    captcha_provider: str | None = None,
    prompter: Prompter | None = None,
) -> Providers:
    """``prompter``: the person the ``prompt`` providers ask (the CLI's terminal); without
    one they end a job ``needs-input`` at its first question."""
    inbox = Inbox(settings.data_dir / "inbox")
    terminal = TerminalPrompt(prompter, inbox=inbox)
    api = MockPortalApi(mock_api_root(settings.portal_url, settings.mock_api_url))
    return Providers(
        otp=make_otp_provider(
            otp_provider or settings.otp_provider, inbox=inbox, terminal=terminal, api=api
        ),
        captcha=make_captcha_provider(
            captcha_provider or settings.captcha_provider, inbox=inbox, terminal=terminal, api=api
        ),
        signers={"dsc": DscSigner(), "aadhaar": AadhaarSigner()},
    )


def client_context(record: ClientRecord) -> tuple[dict[str, Any], LazySecrets]:
    """What templates see as ``client`` (no secrets) and ``secrets`` (resolved when read)."""
    names = [str(name) for name in record.secret_refs()]
    return record.template_vars(), LazySecrets(names, record.resolve_secret)  # type: ignore[arg-type]


def unguarded_submits(playbook: Playbook) -> list[str]:
    """Names of submit steps no guard covers: unsafe to re-run after an unknown result."""
    return unguarded_submit_steps(playbook.steps)


@dataclass
class Agent:
    settings: Settings
    bus: EventBus
    journal: Journal
    providers: Providers
    loader: Loader

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        bus: EventBus | None = None,
        otp_provider: str | None = None,
        captcha_provider: str | None = None,
        prompter: Prompter | None = None,
    ) -> Agent:
        bus = bus or EventBus()
        journal = Journal(settings.journal_path)
        bus.add(JournalListener(journal), critical=True)
        providers = build_providers(
            settings,
            otp_provider=otp_provider,
            captcha_provider=captcha_provider,
            prompter=prompter,
        )
        return cls(settings, bus, journal, providers, Loader([settings.playbooks_dir]))

    @property
    def engine(self) -> Engine:
        return Engine(self.settings, self.bus, self.providers)

    def playbook(self, name_or_path: str | Path) -> Playbook:
        return self.loader.load(self.loader_path(str(name_or_path)))

    def loader_path(self, name: str) -> Path:
        from pathlib import Path

        candidate = Path(name)
        if candidate.suffix in (".yaml", ".yml") or candidate.exists():
            return candidate
        return self.settings.playbooks_dir / f"{name}.yaml"

    async def run_client(
        self,
        job_id: str,
        playbook: Playbook,
        record: ClientRecord,
        session: ContextFactory,
        *,
        check: bool = False,
        from_step: str | None = None,
        unconfirmed_submit: bool = False,
        rerun: bool = False,
    ) -> JobResult | None:
        """Run ``playbook`` for ``record``; None when refused before starting (recorded).
        ``rerun``: the job runs again after a failure (a batch's re-run, a replay): with
        ``trace: on-retry`` it is traced from its start."""
        if unconfirmed_submit and (unsafe := unguarded_submits(playbook)):
            self.bus.emit(
                RunFinished(
                    job_id=job_id,
                    outcome=Outcome.FAILED,
                    duration_s=0.0,
                    error=(
                        "an earlier run recorded an intent to submit and no result, and step(s) "
                        f"{', '.join(unsafe)} have no guard to check the portal first: check "
                        "the portal by hand before running this client again"
                    ),
                    error_kind=FailureKind.BUSINESS,
                    error_code="UNCONFIRMED_SUBMISSION",
                )
            )
            return None
        client, secrets = client_context(record)
        return await self.engine.run_job(
            job_id,
            playbook,
            {},
            client,
            browser_session=session,
            secrets=secrets,
            check=check,
            from_step=from_step,
            client_label=record.label,
            trace="on-failure" if rerun and self.settings.trace == "on-retry" else None,
            prior_intent=bool(self.journal.submissions(job_id)),
        )

    def batch_runner(self, playbook: Playbook) -> BatchJobRunner:
        return BatchJobRunner(self, playbook)


@dataclass
class BatchJobRunner:
    """The batch's ``JobRunner``: one client record through one playbook."""

    agent: Agent
    playbook: Playbook

    async def __call__(self, job: BatchJob, session: Any) -> JobEnd:
        assert isinstance(job.record, ClientRecord)
        result = await self.agent.run_client(
            job.job_id,
            self.playbook,
            job.record,
            session,
            check=job.check,
            unconfirmed_submit=job.unconfirmed_submit,
            rerun=job.attempt > 1,
        )
        if result is None:
            return JobEnd(Outcome.FAILED, FailureKind.BUSINESS)
        kind = str(result.failure.kind) if result.failure else None
        return JobEnd(result.outcome, kind)
