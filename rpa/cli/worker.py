"""``rpa worker``: serve this PC's DSC tokens (and the shared queue) to an office's batches.

Temporal is imported when the command runs, so ``rpa --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from rpa.cli.app import EXIT_FAILED, EXIT_OK, app, console, fail, state
from rpa.cli.safe import shown
from rpa.errors import RpaError

DEFAULT_NAMESPACE = "default"


@app.command()
def worker(
    temporal: Annotated[
        str, typer.Option("--temporal", help="The Temporal server, HOST:PORT (e.g. office-pc:7233)")
    ],
    namespace: Annotated[str, typer.Option(help="Temporal namespace")] = DEFAULT_NAMESPACE,
    tokens: Annotated[
        str | None,
        typer.Option(help="Serve these DSC tokens (comma-separated) instead of asking emBridge"),
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Jobs at once (RPA_CONCURRENCY)")] = None,
) -> None:
    """Run the jobs of an office's batches whose DSC token is on this PC, and Aadhaar ones."""
    from rpa.distributed.worker import serve

    settings = state.settings(concurrency=concurrency)
    fixed = tuple(t.strip() for t in (tokens or "").split(",") if t.strip())

    def say(message: str) -> None:
        console.print(shown(message), highlight=False, soft_wrap=True)

    async def run() -> None:
        task = asyncio.ensure_future(
            serve(settings, temporal, namespace, fixed_tokens=fixed, say=say)
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            say("stopped: running jobs finished, pollers closed")

    try:
        asyncio.run(run())
    except RpaError as exc:
        raise fail(str(exc), EXIT_FAILED) from exc
    raise typer.Exit(EXIT_OK)


@app.command("fetch-trace")
def fetch_trace(
    job_id: Annotated[str, typer.Argument(help="A job of this office that ran on a worker")],
    temporal: Annotated[str, typer.Option("--temporal", help="The Temporal server, HOST:PORT")],
    namespace: Annotated[str, typer.Option(help="Temporal namespace")] = DEFAULT_NAMESPACE,
) -> None:
    """Bring the trace a remote job left on its worker to this PC (then: rpa jobs show J)."""
    from rpa.distributed.fetch import fetch_artifacts
    from rpa.distributed.worker import connect
    from rpa.journal import Journal

    settings = state.settings()
    journal = Journal(settings.journal_path)

    async def run() -> list[Path]:
        client = await connect(temporal, namespace, settings)
        return await fetch_artifacts(client, journal, job_id, settings.artifacts_dir / job_id)

    try:
        fetched = asyncio.run(run())
    except RpaError as exc:
        raise fail(str(exc), EXIT_FAILED) from exc
    for path in fetched:
        console.print(f"fetched {shown(str(path))}", highlight=False)
    if not fetched:
        console.print(f"job {job_id} left no trace on its worker", highlight=False)
    raise typer.Exit(EXIT_OK)
