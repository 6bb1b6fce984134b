"""The agent put together for one process: providers and signers chosen by settings, the
engine, the journal listening, and a client record turned into what a playbook sees.

The CLI (``rpa run``, ``rpa batch``, ``rpa replay``, ``rpa renew run``) builds one
``Agent`` and hands it jobs. ``Agent.run_client`` is the one path that runs a client, for
all of them (the batch runner through ``BatchJobRunner``):

1. the lease on the client, whatever the playbook (``ANY_PLAYBOOK``): a client another run
   holds ends the job ``failed`` with code ``CLIENT_BUSY`` naming that run (its command,
   process, host and start). One lease per client, not per client × playbook, because
   what two runs would trample is the client's: the portal user's one draft application
   (``renew`` and ``update_iec`` both fill it), its sessions, the OTPs sent to its mobile
   and email; and because whether a playbook submits depends on the playbooks it uses,
   which may change. A read-only job of a busy client waits for the next run;
2. an earlier intent to submit with no result: the engine probes each submit step's guard
   anyway; a playbook with a submit step no guard covers is refused
   (``UNCONFIRMED_SUBMISSION``) until a person has looked at the portal;
3. the engine; the lease is renewed every third of its TTL while the job runs (a job
   waiting ten minutes for an OTP outlives no lease), and released when it ends.

Refusals are events (``RunFinished``) like any other ending, so the journal, the live
display and the logs see them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loguru import logger

from rpa.batch import BatchJob, JobEnd
from rpa.challenges.base import Prompter, Providers
from rpa.challenges.console import ConsoleChallenges
from rpa.challenges.inbox import Inbox
from rpa.challenges.providers import (
    MockPortalApi,
    TerminalPrompt,
    make_captcha_provider,
    make_otp_provider,
    mock_api_root,
)
from rpa.challenges.signing import AadhaarSigner, DscSigner
from rpa.clients.records import ClientRecord
from rpa.clients.secrets import LazySecrets
from rpa.engine import Engine, JobFailure, JobResult
from rpa.errors import FailureKind, JournalError, LeaseHeldError
from rpa.events import EventBus, RunFinished
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.journal.store import ANY_PLAYBOOK, LEASE_TTL_S, default_holder
from rpa.masking import mask
from rpa.outcomes import Outcome
from rpa.playbook.loader import Loader
from rpa.playbook.model import Playbook, unguarded_submit_steps

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
    # a flag names one kind's provider; RPA_CHALLENGES both; else RPA_OTP/CAPTCHA_PROVIDER
    otp_name = otp_provider or settings.challenges or settings.otp_provider
    captcha_name = captcha_provider or settings.challenges or settings.captcha_provider
    console = (
        ConsoleChallenges(settings, inbox=inbox) if "console" in (otp_name, captcha_name) else None
    )
    return Providers(
        otp=console
        if otp_name == "console"
        else make_otp_provider(otp_name, inbox=inbox, terminal=terminal, api=api),
        captcha=console
        if captcha_name == "console"
        else make_captcha_provider(captcha_name, inbox=inbox, terminal=terminal, api=api),
        signers={"dsc": DscSigner(), "aadhaar": AadhaarSigner()},
    )


def client_context(record: ClientRecord) -> tuple[dict[str, Any], LazySecrets]:
    """What templates see as ``client`` (no secrets) and ``secrets`` (resolved when read)."""
    names = [str(name) for name in record.secret_refs()]
    return record.template_vars(), LazySecrets(names, record.resolve_secret)  # type: ignore[arg-type]


CLIENT_BUSY = LeaseHeldError.code
UNCONFIRMED_SUBMISSION = "UNCONFIRMED_SUBMISSION"


@dataclass
class Agent:
    """``command`` is what this process is to a run it keeps waiting (``rpa run renew``,
    ``rpa replay J``): the CLI sets it. ``lease_ttl_s``: how long a client's lease outlives
    a holder that stopped renewing it (a crash on another machine)."""

    settings: Settings
    bus: EventBus
    journal: Journal
    providers: Providers
    loader: Loader
    command: str = "rpa"
    lease_ttl_s: float = LEASE_TTL_S

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
        return cls(settings, bus, journal, providers, Loader(settings.playbook_dirs))

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
        folders = self.settings.playbook_dirs  # the user's folder first, then the built-ins
        for folder in folders:
            for suffix in (".yaml", ".yml"):
                if (folder / f"{name}{suffix}").is_file():
                    return folder / f"{name}{suffix}"
        return folders[0] / f"{name}.yaml"  # the loader says it is missing

    async def run_client(
        self,
        job_id: str,
        playbook: Playbook,
        record: ClientRecord,
        session: ContextFactory,
        *,
        inputs: Mapping[str, Any] | None = None,
        check: bool = False,
        from_step: str | None = None,
        rerun: bool = False,
        prior_intent: bool = False,
    ) -> JobResult:
        """Run ``playbook`` for ``record`` as job ``job_id`` (already in the journal): the
        one path for a client (the module's docstring). A refusal (``CLIENT_BUSY``,
        ``UNCONFIRMED_SUBMISSION``) is a failed ``JobResult``, recorded like any ending.
        ``rerun``: the job runs again after a failure (a batch's re-run, a replay): with
        ``trace: on-retry`` it is traced from its start. ``prior_intent``: an earlier attempt
        of this job ran elsewhere (a Temporal retry on another PC), whose intent to submit
        this journal cannot see: what the guard finds on the portal may be that run's work."""
        holder = default_holder(job_id)
        try:
            self.journal.acquire_lease(
                record.iec,
                ANY_PLAYBOOK,
                job_id=job_id,
                holder=holder,
                ttl_s=self.lease_ttl_s,
                command=self.command,
                running=playbook.name,
            )
        except LeaseHeldError as busy:
            return self._refuse(job_id, str(busy), CLIENT_BUSY)
        keeper = asyncio.ensure_future(self._keep_lease(record.iec, holder))
        try:
            for provider in (self.providers.otp, self.providers.captcha):
                if isinstance(provider, ConsoleChallenges):  # the console shows whose job it is
                    provider.note_client(job_id, record)
            unconfirmed = self._unconfirmed(job_id, playbook, record.iec)
            if unconfirmed and (unsafe := unguarded_submit_steps(playbook.steps)):
                return self._refuse(
                    job_id,
                    "an earlier run recorded an intent to submit and no result, and step(s) "
                    f"{', '.join(unsafe)} have no guard to check the portal first: check "
                    "the portal by hand before running this client again",
                    UNCONFIRMED_SUBMISSION,
                )
            client, secrets = client_context(record)
            return await self.engine.run_job(
                job_id,
                playbook,
                inputs or {},
                client,
                browser_session=session,
                secrets=secrets,
                check=check,
                from_step=from_step,
                client_label=record.label,
                trace="on-failure" if rerun and self.settings.trace == "on-retry" else None,
                # an intent without a result, of this job or an earlier one: what the
                # portal shows may be that run's work (its guard reads it, ack included)
                prior_intent=prior_intent or unconfirmed or bool(self.journal.submissions(job_id)),
            )
        finally:
            keeper.cancel()
            try:
                self.journal.release_lease(record.iec, ANY_PLAYBOOK, holder=holder)
            except JournalError as exc:  # it expires on its own
                logger.warning("could not release the lease on {}: {}", record.iec, exc)

    async def _keep_lease(self, client: str, holder: str) -> None:
        """Renew the lease every third of its TTL until cancelled."""
        while True:
            await asyncio.sleep(self.lease_ttl_s / 3)
            try:
                held = self.journal.renew_lease(
                    client, ANY_PLAYBOOK, holder=holder, ttl_s=self.lease_ttl_s
                )
            except JournalError as exc:
                logger.warning("could not renew the lease on {}: {}", client, exc)
                continue
            if not held:  # the loop stalled past the TTL and another run took the client
                logger.warning("the lease on {} was taken over by another run", client)
                return

    def _unconfirmed(self, job_id: str, playbook: Playbook, client: str) -> bool:
        """Did an earlier run of ``client`` × this playbook record an intent to submit and
        no result? (The journal names a job's playbook as it was given: a name or a path.)"""
        names = {playbook.name, self.journal.job(job_id).playbook}
        return any(self.journal.unconfirmed_submissions(client, name) for name in names)

    def _refuse(self, job_id: str, message: str, code: str) -> JobResult:
        failure = JobFailure(FailureKind.BUSINESS, mask(message), code=code)
        self.bus.emit(
            RunFinished(
                job_id=job_id,
                outcome=Outcome.FAILED,
                duration_s=0.0,
                error=failure.message,
                error_kind=str(failure.kind),
                error_code=code,
            )
        )
        return JobResult(job_id=job_id, outcome=Outcome.FAILED, failure=failure)

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
            job.job_id, self.playbook, job.record, session, check=job.check, rerun=job.attempt > 1
        )
        failure = result.failure
        return JobEnd(result.outcome, str(failure.kind) if failure else None)
