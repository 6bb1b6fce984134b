"""The pollers of one PC: a shared queue, and one queue per DSC token plugged in.

``TokenWorker.run`` polls ``rpa-shared`` (the workflows, Aadhaar and read-only jobs) from
the start, asks emBridge which tokens are connected, polls ``rpa-token-<name>`` for each,
and asks again every ``relist_s`` seconds: a token plugged in gets its poller, a token
pulled out loses it (the jobs it is running finish first). ``say`` is told each change
(the CLI prints it). All pollers share one ``JobActivity``: one browser, ``concurrency``
jobs at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from loguru import logger
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from rpa.distributed.activity import JobActivity
from rpa.distributed.routing import SHARED_QUEUE, token_queue
from rpa.distributed.workflow import ClientJobWorkflow
from rpa.errors import EmbridgeError

#: the workflow sandbox re-imports workflow modules; rpa's own (dataclasses, constants) are
#: passed through as they are
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("rpa")
)


class TokenLister(Protocol):
    async def list(self) -> list[str]: ...


@dataclass
class TokenWorker:
    client: Client
    jobs: JobActivity
    tokens: TokenLister
    relist_s: float = 60.0
    concurrency: int = 4
    say: Callable[[str], None] = logger.info
    pollers: dict[str, tuple[Worker, asyncio.Task[None]]] = field(default_factory=dict)
    serving: list[str] = field(default_factory=list)

    def _worker(self, queue: str, *, workflows: bool) -> Worker:
        return Worker(
            self.client,
            task_queue=queue,
            workflows=[ClientJobWorkflow] if workflows else [],
            activities=[self.jobs.run_client_job, self.jobs.fetch_file_chunk],
            max_concurrent_activities=self.concurrency,
            workflow_runner=SANDBOX,
            graceful_shutdown_timeout=timedelta(seconds=30),
        )

    def _start(self, queue: str, *, workflows: bool = False) -> None:
        worker = self._worker(queue, workflows=workflows)
        self.pollers[queue] = (worker, asyncio.ensure_future(worker.run()))

    async def _stop(self, queue: str) -> None:
        worker, task = self.pollers.pop(queue)
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def relist(self) -> None:
        """Ask emBridge again; start and stop token pollers to match."""
        try:
            now = await self.tokens.list()
        except EmbridgeError as exc:
            logger.warning("{} (serving the tokens listed before)", exc)
            return
        added = [t for t in now if t not in self.serving]
        gone = [t for t in self.serving if t not in now]
        for token in added:
            self._start(token_queue(token))
        for token in gone:
            await self._stop(token_queue(token))
        self.serving = sorted(now)
        if added or gone:
            changes = [f"+{t}" for t in added] + [f"-{t}" for t in gone]
            self.say(f"tokens: {', '.join(self.serving) or 'none'} ({' '.join(changes)})")

    async def run(self) -> None:
        """Serve until cancelled; then stop every poller (running jobs finish first)."""
        self._start(SHARED_QUEUE, workflows=True)
        self._start(self.jobs.queue)  # its files (traces) are fetched from here
        try:
            await self.relist()
            self.say(f"serving {SHARED_QUEUE} and the tokens: {', '.join(self.serving) or 'none'}")
            while True:
                await asyncio.sleep(self.relist_s)
                for queue, (_, task) in list(self.pollers.items()):
                    if task.done():  # a poller that died (the server went away): restart it
                        logger.warning("the poller of {} stopped; starting it again", queue)
                        self.pollers.pop(queue)
                        self._start(queue, workflows=queue == SHARED_QUEUE)
                await self.relist()
        finally:
            for queue in list(self.pollers):
                with contextlib.suppress(Exception):
                    await self._stop(queue)


async def connect(target: str, namespace: str, settings: Any = None) -> Client:
    """A client of ``namespace`` at ``target``; with ``RPA_TEMPORAL_API_KEY`` (a Temporal
    Cloud namespace) over TLS with that key."""
    from temporalio.service import RPCError

    from rpa.errors import RemoteError

    key = getattr(settings, "temporal_api_key", None)
    try:
        if key is not None:
            return await Client.connect(
                target, namespace=namespace, api_key=key.get_secret_value(), tls=True
            )
        return await Client.connect(target, namespace=namespace)
    except (RPCError, RuntimeError, OSError) as exc:
        raise RemoteError(f"cannot reach the Temporal server at {target}: {exc}") from exc


async def serve(
    settings: Any,
    target: str,
    namespace: str,
    *,
    fixed_tokens: tuple[str, ...] = (),
    say: Callable[[str], None] = logger.info,
) -> None:
    """``rpa worker``: connect, open the browser, serve until cancelled."""
    from rpa.agent import Agent
    from rpa.browser import open_browser
    from rpa.distributed.console import console_providers
    from rpa.distributed.tokens import DEFAULT_EMBRIDGE_URL, EmbridgeTokens, FixedTokens

    client = await connect(target, namespace, settings)
    agent = Agent.create(settings)
    agent.command = f"rpa worker --temporal {target}"
    if settings.console_url:
        agent.providers = console_providers(settings, agent.providers)
    lister: TokenLister
    if fixed_tokens:
        lister = FixedTokens(fixed_tokens)
    elif settings.embridge_secret is not None:
        lister = EmbridgeTokens(
            settings.embridge_url or DEFAULT_EMBRIDGE_URL,
            settings.embridge_secret.get_secret_value().encode(),
        )
    else:
        say("no RPA_EMBRIDGE_SECRET and no --tokens: serving the shared queue only")
        lister = FixedTokens(())
    async with open_browser(settings) as session:
        jobs = JobActivity(agent, session, concurrency=settings.concurrency)
        await TokenWorker(
            client,
            jobs,
            lister,
            relist_s=settings.token_relist_s,
            concurrency=settings.concurrency,
            say=say,
        ).run()
