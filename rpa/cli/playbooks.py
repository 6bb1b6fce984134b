"""Playbook commands: ``rpa validate``, ``rpa schema``, ``rpa run``."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from rpa.cli.app import EXIT_FAILED, EXIT_USAGE, app, console, err_console, fail, state
from rpa.cli.challenges import ConsolePrompter
from rpa.clients.records import ClientRecord
from rpa.config import Settings
from rpa.errors import PlaybookError, SecretError
from rpa.events import ArtifactSaved, ChallengeWaiting, Event, EventBus, StepFinished, StepRetried
from rpa.masking import mask, register_secret
from rpa.outcomes import Outcome, StepStatus
from rpa.playbook.loader import Loader, find_playbook, playbook_files
from rpa.playbook.model import InputType, Playbook
from rpa.playbook.schema import playbook_schema

if TYPE_CHECKING:  # the engine and Playwright are imported when a command runs
    from rpa.engine import JobResult

STATUS_MARKS = {
    StepStatus.OK: "[green]✓[/green]",
    StepStatus.CHANGED: "[blue]✎[/blue]",
    StepStatus.SKIPPED: "[grey50]–[/grey50]",
    StepStatus.FAILED: "[red]✗[/red]",
}
OUTCOME_COLOURS = {
    Outcome.OK: "green",
    Outcome.CHANGED: "blue",
    Outcome.WOULD_CHANGE: "magenta",
    Outcome.FAILED: "red",
    Outcome.NEEDS_INPUT: "yellow",
    Outcome.INTERRUPTED: "grey50",
}


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Playbook files or folders")],
) -> None:
    """Check playbooks without running them; every problem is listed with file:line."""
    settings = state.settings(keep_log=False)  # a check writes nothing, not even a log
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(map(str, missing))}")
    files = playbook_files(paths)
    if not files:
        raise fail("no playbooks (.yaml/.yml) found there")
    loader = Loader(settings.playbook_dirs)
    problems = 0
    for path in files:
        try:
            loader.load(path)
        except PlaybookError as exc:
            problems += len(exc.issues)
            for issue in exc.issues:
                err_console.print(
                    f"[red]✗[/red] {escape(str(issue))}", highlight=False, soft_wrap=True
                )
        else:
            console.print(f"[green]✓[/green] {escape(str(path))}", highlight=False)
    if problems:
        err_console.print(f"{problems} problem(s) in {len(files)} file(s)")
        raise typer.Exit(EXIT_FAILED)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file")] = None,
) -> None:
    """Print the JSON Schema of the playbook language (for editors; see docs/playbooks.md)."""
    text = json.dumps(playbook_schema(), indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


@dataclass
class ClientContext:
    """What a client record gives a job: template values, secrets, and default inputs."""

    values: dict[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] | None = None
    label: str | None = None
    record: ClientRecord | None = None  # with --client: the job runs through Agent.run_client


def _client(clients: Path | None, iec: str | None) -> ClientContext:
    if clients is None and iec is None:
        return ClientContext()
    if clients is None or iec is None:
        raise fail("--clients FILE and --client IEC go together")
    from rpa.agent import client_context
    from rpa.clients.file import load_clients
    from rpa.errors import ClientFileError

    try:
        loaded = load_clients(clients)
    except ClientFileError as exc:
        raise fail(str(exc)) from exc
    wanted = iec.strip().upper()
    record = next((r for r in loaded.clients if r.iec == wanted), None)
    if record is None:
        bad = f" ({len(loaded.bad_rows)} row(s) have problems: rpa clients check {clients})"
        raise fail(f"no valid client with IEC {iec} in {clients}{bad if loaded.bad_rows else ''}")

    values, secrets = client_context(record)
    return ClientContext(values=values, secrets=secrets, label=record.label, record=record)


def _parse_inputs(pairs: list[str], playbook: Playbook, client: ClientContext) -> dict[str, Any]:
    """``k=v`` pairs, then the client record's fields of the same names. A secret input may
    be a reference (env:NAME, file:PATH, keyring:...) and is asked for, hidden, when
    missing on a terminal."""
    from rpa.clients.secrets import SecretRef

    given: dict[str, Any] = {
        name: client.values[name]
        for name in playbook.inputs
        if client.values.get(name) not in (None, "")
    }
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise fail(f"--input takes NAME=VALUE, got {mask(pair)!r}")
        given[name.strip()] = value
    for name, spec in playbook.inputs.items():
        if spec.type is not InputType.SECRET:
            continue
        if name in given:
            try:
                given[name] = SecretRef.parse(str(given[name])).resolve()
            except (SecretError, ValueError) as exc:
                raise fail(f"input {name}: {exc}") from exc
        elif spec.is_required and sys.stdin.isatty():
            given[name] = typer.prompt(f"{name} (hidden)", hide_input=True)
        if name in given:
            register_secret(str(given[name]))
    return given


def _show(event: Event) -> None:
    """The terminal's view of one job: a line per finished step, retries, challenges."""
    if isinstance(event, StepFinished):
        mark = STATUS_MARKS.get(event.status, "?")
        extra = f"  [red]{escape(mask(event.error))}[/red]" if event.error else ""
        console.print(
            f"{mark} {escape(event.step)} [grey50]{event.duration_s:.2f}s[/grey50]{extra}",
            highlight=False,
        )
    elif isinstance(event, StepRetried):
        console.print(
            f"[yellow]↻[/yellow] {escape(event.step)}: {escape(mask(event.error))} "
            f"(retry in {event.delay_s:g}s)",
            highlight=False,
        )
    elif isinstance(event, ChallengeWaiting):
        console.print(
            f"[yellow]?[/yellow] waiting for {event.challenge}: {escape(event.prompt)}",
            highlight=False,
        )
    elif isinstance(event, ArtifactSaved) and event.kind in ("trace", "screenshot", "download"):
        console.print(f"  [grey50]{event.kind}: {escape(event.path)}[/grey50]", highlight=False)


async def _run_job(
    settings: Settings,
    playbook: Playbook,
    inputs: dict[str, Any],
    client: ClientContext,
    *,
    check: bool,
    from_step: str | None,
    headed: bool,
    slow_mo: int | None,
) -> tuple[str, JobResult]:
    from rpa.agent import Agent
    from rpa.browser import open_browser

    agent = Agent.create(settings, bus=EventBus([_show]), prompter=ConsolePrompter(err_console))
    agent.command = f"rpa run {playbook.name}" + (" --check" if check else "")
    try:
        iec = client.values.get("iec")
        job_id = agent.journal.add_job(playbook.name, client=iec, check_mode=check)
        headless = False if headed else None  # else the setting (RPA_HEADLESS)
        async with open_browser(settings, headless=headless, slow_mo_ms=slow_mo) as browser:
            if client.record is not None:  # a client's run: its lease, its earlier intents
                result = await agent.run_client(
                    job_id,
                    playbook,
                    client.record,
                    browser,
                    inputs=inputs,
                    check=check,
                    from_step=from_step,
                )
                return job_id, result
            result = await agent.engine.run_job(
                job_id,
                playbook,
                inputs,
                client.values,
                browser_session=browser,
                secrets=client.secrets,
                check=check,
                from_step=from_step,
                client_label=client.label,
            )
        return job_id, result
    finally:
        agent.journal.close()


@app.command()
def run(
    playbook: Annotated[
        str,
        typer.Argument(help="A playbook file, or a name (RPA_PLAYBOOKS_DIR, then the built-ins)"),
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="An input, NAME=VALUE (repeatable)"),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Stop before the first submit; change nothing")
    ] = False,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window")] = False,
    slow_mo: Annotated[
        int | None, typer.Option("--slow-mo", help="Pause after each browser action (ms)")
    ] = None,
    from_step: Annotated[
        str | None,
        typer.Option(
            "--from-step",
            help="Start at this step (id, name or path); earlier steps are skipped except use/set",
        ),
    ] = None,
    trace: Annotated[
        str | None, typer.Option(help="Playwright traces: on-retry|on-failure|always|never")
    ] = None,
    clients: Annotated[
        Path | None, typer.Option("--clients", help="A client file (CSV, XLSX, YAML)")
    ] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="The IEC of the client to run for")
    ] = None,
) -> None:
    """Run one playbook once, in a browser of its own (recorded in the journal)."""
    settings = state.settings(trace=trace, slow_mo_ms=slow_mo, headless=False if headed else None)
    try:
        path = find_playbook(playbook, settings.playbook_dirs)
        loaded = Loader(settings.playbook_dirs).load(path)
    except PlaybookError as exc:
        for issue in exc.issues:
            err_console.print(f"[red]✗[/red] {escape(str(issue))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from exc
    record = _client(clients, client)
    given = _parse_inputs(inputs or [], loaded, record)
    mode = " (check mode)" if check else ""
    console.print(f"[bold]{loaded.name}[/bold]{mode}", highlight=False)
    job_id, result = asyncio.run(
        _run_job(
            settings,
            loaded,
            given,
            record,
            check=check,
            from_step=from_step,
            headed=headed,
            slow_mo=slow_mo,
        )
    )
    _summary(job_id, result)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _summary(job_id: str, result: JobResult) -> None:
    colour = OUTCOME_COLOURS.get(result.outcome, "white")
    console.print(
        f"[{colour}]{result.outcome}[/{colour}]  job {job_id} in {result.duration_s:.1f}s",
        highlight=False,
    )
    if result.stopped_at:
        console.print(f"  stopped at: {escape(result.stopped_at)}", highlight=False)
    failure = result.failure
    if failure is not None:
        code = f" {failure.code}" if failure.code else ""
        where = f" at {escape(failure.step)}" if failure.step else ""
        console.print(
            f"  [red]{failure.kind}{code}[/red]{where}: {escape(failure.message)}",
            highlight=False,
        )
        if failure.screenshot:
            console.print(f"  screenshot: {failure.screenshot}", highlight=False)
    for name, value in result.outputs.items():
        shown = "—" if value is None else mask(str(value))
        console.print(f"  {name}: {escape(shown)}", highlight=False)
    if result.artifacts_dir is not None:  # None: refused before it started
        console.print(f"  artifacts: {result.artifacts_dir}", highlight=False)
