"""``rpa batch`` (many clients, resumable) and ``rpa replay`` (a failed job again)."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from rpa.batch import BatchJob, BatchPolicy, BatchRunner, BatchSummary
from rpa.batch import resume_jobs as unfinished_jobs
from rpa.cli.app import EXIT_FAILED, EXIT_OK, app, console, err_console, fail, state
from rpa.cli.challenges import ConsolePrompter
from rpa.cli.progress import JsonLinesOutput, LiveDisplay, OutputMode
from rpa.cli.safe import shown
from rpa.clients.file import ClientFile, RefusedRow, load_clients
from rpa.clients.records import ClientRecord
from rpa.config import Settings
from rpa.errors import ClientFileError, JournalError, RpaError
from rpa.events import EventBus
from rpa.journal import Journal
from rpa.outcomes import Outcome
from rpa.report import NOT_RUN_OPTION

if TYPE_CHECKING:  # the engine and Playwright are imported when a command runs
    from rpa.agent import Agent


TemporalOption = Annotated[
    str | None,
    typer.Option(
        "--temporal",
        help="Run the jobs on the office's workers through this Temporal server, HOST:PORT "
        "(each on the PC holding the client's DSC token: docs/distributed.md)",
    ),
]
NamespaceOption = Annotated[str, typer.Option(help="Temporal namespace (with --temporal)")]


@dataclass(frozen=True)
class BatchPlan:
    batch_id: str
    jobs: list[BatchJob]
    skipped_rows: int


def load_client_file(path: Path, sheet: str | None) -> ClientFile:
    try:
        loaded = load_clients(path, sheet=sheet)
    except ClientFileError as exc:
        raise fail(str(exc)) from exc
    if loaded.sheet_note:
        err_console.print(f"{path}: {loaded.sheet_note}", highlight=False, markup=False)
    for error in loaded.errors:
        where = f"row {error.row}: " if error.row is not None else ""
        err_console.print(
            f"[yellow]skipped[/yellow] {escape(f'{path}: {where}{error}')}", highlight=False
        )
    return loaded


def wanted_iecs(only: str | None, loaded: ClientFile, path: Path) -> set[str] | None:
    """The IECs ``--only`` names; each must be in the file (on a good row or a refused one)."""
    if only is None:
        return None
    wanted = {re.sub(r"\s", "", part).upper() for part in only.split(",") if part.strip()}
    if not wanted:
        raise fail("--only names no IEC")
    known = {record.iec for _, record in loaded.records} | set(loaded.row_clients.values())
    missing = sorted(wanted - known)
    if missing:
        raise fail(f"--only names IECs that are not in {path}: {', '.join(missing)}")
    return wanted


def not_run_rows(loaded: ClientFile, only: set[str] | None) -> list[RefusedRow]:
    """The refused rows a batch reports as not run (with ``--only``, those of its IECs)."""
    return [r for r in loaded.refused if only is None or r.client in only]


def plan_new_batch(
    journal: Journal,
    playbook: str,
    records: list[tuple[int, ClientRecord]],
    *,
    source: str,
    check: bool,
    only: set[str] | None,
    not_run: Sequence[RefusedRow] = (),
) -> BatchPlan:
    chosen = [(row, r) for row, r in records if only is None or r.iec in only]
    options: dict[str, Any] = {"only": sorted(only or [])}
    if not_run:
        options[NOT_RUN_OPTION] = [
            {"row": r.row, "client": r.client, "reason": r.reason, "duplicate": r.duplicate}
            for r in not_run
        ]
    batch_id = journal.create_batch(playbook, source=source, check_mode=check, options=options)
    jobs = [
        BatchJob(
            journal.add_job(playbook, client=r.iec, batch_id=batch_id, row=row, check_mode=check),
            r.iec,
            row,
            playbook,
            check,
            r,
        )
        for row, r in chosen
    ]
    return BatchPlan(batch_id, jobs, len(records) - len(chosen))


def plan_resume(
    journal: Journal, batch_id: str, records: list[tuple[int, ClientRecord]]
) -> BatchPlan:
    batch = journal.batch(batch_id)
    by_iec = {r.iec: (row, r) for row, r in records}
    jobs: list[BatchJob] = []
    for job in unfinished_jobs(journal, batch_id):
        if job.client not in by_iec:
            err_console.print(
                f"[yellow]left[/yellow] {job.client}: no longer a valid row of {batch.source}"
            )
            continue
        row, record = by_iec[job.client]
        jobs.append(BatchJob(job.id, record.iec, row, batch.playbook, batch.check_mode, record))
    return BatchPlan(batch_id, jobs, 0)


async def run_plan(
    agent: Agent,
    plan: BatchPlan,
    policy: BatchPolicy,
    *,
    headless: bool | None = None,
    slow_mo_ms: int | None = None,
) -> BatchSummary:
    from rpa.browser import open_browser

    playbook = agent.playbook(agent.journal.batch(plan.batch_id).playbook)
    runner = BatchRunner(agent.journal, agent.bus, agent.batch_runner(playbook), policy)
    loop = asyncio.get_running_loop()
    interrupted = 0

    def on_interrupt() -> None:
        nonlocal interrupted
        interrupted += 1
        if interrupted == 1:
            err_console.print(
                "[yellow]stopping: running jobs end interrupted (Ctrl-C again "
                "to quit at once)[/yellow]"
            )
            runner.stop()
        else:
            raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_interrupt)
    try:
        async with open_browser(
            agent.settings, headless=headless, slow_mo_ms=slow_mo_ms
        ) as session:
            return await runner.run(plan.batch_id, plan.jobs, session)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def print_summary(summary: BatchSummary, settings: Settings) -> None:
    totals = ", ".join(f"{count} {name}" for name, count in summary.totals.items()) or "no jobs"
    console.print(f"batch [bold]{summary.batch_id}[/bold] {summary.status}: {totals}")
    if summary.note:
        console.print(summary.note, highlight=False)
    console.print(
        f"report: rpa report {summary.batch_id} --format html   "
        f"(failures: rpa jobs list --batch {summary.batch_id} --status failed)",
        highlight=False,
    )
    del settings


def exit_code(summary: BatchSummary) -> int:
    return EXIT_OK if summary.all_good else EXIT_FAILED


def execute(
    agent: Agent,
    plan: BatchPlan,
    settings: Settings,
    output: OutputMode,
    *,
    headless: bool | None = None,
    slow_mo_ms: int | None = None,
    temporal: str | None = None,
    namespace: str = "default",
) -> BatchSummary:
    """Run the plan here, or (``temporal``: HOST:PORT) on the office's workers."""
    policy = BatchPolicy(concurrency=settings.concurrency)

    def run() -> BatchSummary:
        if temporal:
            from rpa.distributed.starter import run_remote

            return asyncio.run(run_remote(agent, plan.batch_id, plan.jobs, temporal, namespace))
        return asyncio.run(run_plan(agent, plan, policy, headless=headless, slow_mo_ms=slow_mo_ms))

    if output is OutputMode.JSON:
        agent.bus.add(JsonLinesOutput())
        return run()
    if output is OutputMode.QUIET:
        return run()
    with LiveDisplay(console) as display:
        agent.bus.add(display)
        return run()


@app.command()
def batch(
    clients: Annotated[Path | None, typer.Argument(help="Client file: CSV, XLSX or YAML")] = None,
    playbook: Annotated[str | None, typer.Option(help="Playbook name or path, e.g. renew")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Jobs at once (RPA_CONCURRENCY)")] = None,
    check: Annotated[bool, typer.Option("--check", help="Stop before submitting")] = False,
    only: Annotated[str | None, typer.Option(help="Only these IECs, comma-separated")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first)")] = None,
    resume: Annotated[str | None, typer.Option(help="Continue this batch id")] = None,
    output: Annotated[OutputMode, typer.Option(help="live | json | quiet")] = OutputMode.LIVE,
    otp_provider: Annotated[str | None, typer.Option(help="prompt | queue | mock-outbox")] = None,
    captcha_provider: Annotated[str | None, typer.Option(help="prompt | queue | mock")] = None,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser")] = False,
    temporal: TemporalOption = None,
    namespace: NamespaceOption = "default",
) -> None:
    """Run a playbook for every client of a file; resumable, nothing submitted twice."""
    from rpa.agent import Agent

    settings = state.settings(concurrency=concurrency)
    agent = Agent.create(
        settings,
        bus=EventBus(),
        otp_provider=otp_provider,
        captcha_provider=captcha_provider,
        prompter=ConsolePrompter(console),
    )
    agent.command = f"rpa batch --resume {resume}" if resume else f"rpa batch {clients}"
    if playbook and not resume:
        agent.command += f" --playbook {playbook}"
    not_run: list[RefusedRow] = []
    try:
        if resume:
            source = agent.journal.batch(resume).source
            path = clients or (Path(source) if source else None)
            if path is None:
                raise fail(f"batch {resume} has no client file on record; give it")
            loaded = load_client_file(path, sheet)
            plan = plan_resume(agent.journal, resume, loaded.records)
        else:
            if clients is None or playbook is None:
                raise fail("give a client file and --playbook (or --resume BATCH)")
            agent.playbook(playbook)  # refuse a bad playbook before creating anything
            loaded = load_client_file(clients, sheet)
            wanted = wanted_iecs(only, loaded, clients)
            not_run = not_run_rows(loaded, wanted)
            plan = plan_new_batch(
                agent.journal,
                playbook,
                loaded.records,
                source=str(clients),
                check=check,
                only=wanted,
                not_run=not_run,
            )
        summary = execute(
            agent,
            plan,
            settings,
            output,
            headless=False if headed else None,
            temporal=temporal,
            namespace=namespace,
        )
    except RpaError as exc:
        journal = isinstance(exc, JournalError)  # one message; the log keeps the details
        raise fail(state.with_log(str(exc)) if journal else str(exc), EXIT_FAILED) from exc
    if output is not OutputMode.JSON:
        print_summary(summary, settings)
        if not_run:
            console.print(
                f"{len(not_run)} row(s) of {clients} not run (refused as bad or duplicate): "
                "in the report as not-run",
                highlight=False,
                markup=False,
            )
    bad_rows = bool(loaded.errors)
    raise typer.Exit(EXIT_FAILED if bad_rows else exit_code(summary))


@app.command()
def replay(
    job_id: Annotated[str, typer.Argument(help="The job to run again")],
    from_step: Annotated[str | None, typer.Option(help="Start at this step (id or name)")] = None,
    clients: Annotated[Path | None, typer.Option(help="Corrected client file")] = None,
    check: Annotated[
        bool | None,
        typer.Option(
            "--check/--no-check",
            help="Stop before submitting, or run for real (default: as the job ran)",
        ),
    ] = None,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser")] = False,
    slow_mo: Annotated[int | None, typer.Option("--slow-mo", help="ms after each action")] = None,
    otp_provider: Annotated[str | None, typer.Option(help="prompt | queue | mock-outbox")] = None,
    captcha_provider: Annotated[str | None, typer.Option(help="prompt | queue | mock")] = None,
) -> None:
    """Run a job again (with corrected client data), as a new job linked to the old one."""
    from rpa.agent import Agent
    from rpa.browser import open_browser

    settings = state.settings()
    agent = Agent.create(
        settings,
        otp_provider=otp_provider,
        captcha_provider=captcha_provider,
        prompter=ConsolePrompter(console),
    )
    old = agent.journal.job(job_id)
    source = clients or (
        Path(agent.journal.batch(old.batch_id).source or "") if old.batch_id else None
    )
    if source is None or not source.is_file():
        raise fail("give the client file with --clients (the job's batch has none on record)")
    loaded = load_client_file(source, None)
    record = next((r for _, r in loaded.records if r.iec == old.client), None)
    if record is None:
        raise fail(f"{old.client} is not a valid client of {source}")
    check_mode = old.check_mode if check is None else check
    new_id = agent.journal.add_job(
        old.playbook,
        client=old.client,
        batch_id=old.batch_id,
        row=old.row,
        check_mode=check_mode,
        replay_of=old.id,
    )
    playbook = agent.playbook(old.playbook)
    agent.command = f"rpa replay {job_id}"

    async def go() -> Outcome:
        async with open_browser(
            settings, headless=False if headed else None, slow_mo_ms=slow_mo
        ) as session:
            result = await agent.run_client(
                new_id,
                playbook,
                record,
                session,
                check=check_mode,
                from_step=from_step,
                rerun=True,
            )
        return result.outcome

    outcome = asyncio.run(go())
    job = agent.journal.job(new_id)
    console.print(f"replay {new_id} of {job_id}: [bold]{outcome}[/bold]", highlight=False)
    if job.error:
        console.print(f"{job.error_code or job.error_kind}: {shown(job.error)}", highlight=False)
    console.print(f"details: rpa jobs show {new_id}", highlight=False)
    good = outcome in (Outcome.OK, Outcome.CHANGED, Outcome.WOULD_CHANGE)
    raise typer.Exit(EXIT_OK if good else EXIT_FAILED)
