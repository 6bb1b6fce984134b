"""Inspecting what ran: ``rpa jobs list``, ``rpa jobs show JOB``, ``rpa report BATCH``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rpa.cli.app import app, console, fail, state
from rpa.journal import Journal
from rpa.report import ReportFormat, build_report, write_report

jobs_app = typer.Typer(help="List and inspect jobs in the journal.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


def open_journal() -> Journal:
    settings = state.settings()
    if not settings.journal_path.exists():
        raise fail(f"no journal yet at {settings.journal_path} (run a job or a batch first)")
    return Journal(settings.journal_path)


@jobs_app.command("list")
def list_jobs(
    batch: Annotated[str | None, typer.Option(help="Only jobs of this batch")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only jobs in this state (e.g. failed)")
    ] = None,
    client: Annotated[str | None, typer.Option(help="Only jobs of this client (IEC)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False,
) -> None:
    """List jobs, oldest first."""
    journal = open_journal()
    rows = journal.jobs(batch_id=batch, status=status, client=client)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(asdict(row), default=str))
        return
    table = Table("job", "batch", "client", "playbook", "status", "duration", "error")
    for row in rows:
        duration = f"{row.duration_s:.1f}s" if row.duration_s is not None else ""
        error = f"{row.error_code or row.error_kind or ''} {row.error or ''}".strip()
        table.add_row(
            row.id, row.batch_id or "", row.client or "", row.playbook, row.status, duration, error
        )
    console.print(table)


def trace_command(path: str) -> str:
    return f"playwright show-trace {path}"


@jobs_app.command("show")
def show_job(job_id: Annotated[str, typer.Argument(help="The job's id")]) -> None:
    """A job's step timeline, its error, and the paths of its screenshot, HTML and trace."""
    journal = open_journal()
    job = journal.job(job_id)
    console.print(f"[bold]{job.id}[/bold]  {job.playbook}  client {job.client or '—'}")
    console.print(f"status: [bold]{job.status}[/bold]", highlight=False)
    if job.replay_of:
        console.print(f"replay of: {job.replay_of}")
    if job.result:
        console.print(f"result: {json.dumps(job.result, default=str)}", highlight=False)
    if job.error:
        console.print(
            f"[red]error[/red] ({job.error_kind}{', ' + job.error_code if job.error_code else ''})"
            f" at step {job.error_step!r}: {job.error}",
            highlight=False,
        )
    table = Table("at", "event", "step", "status", "seconds", "detail")
    for row in journal.timeline(job_id):
        seconds = f"{row.duration_s:.2f}" if row.duration_s is not None else ""
        table.add_row(
            row.at[11:23], row.event, row.step or "", row.status or "", seconds, row.detail or ""
        )
    console.print(table)
    for kind, path in journal.artifacts(job_id):
        console.print(f"{kind}: {path}", highlight=False)
        if kind == "trace":
            console.print(f"  open it with: {trace_command(path)}", highlight=False)


@app.command()
def report(
    batch_id: Annotated[str, typer.Argument(help="The batch's id")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="html | csv | json")] = (
        ReportFormat.HTML
    ),
    out: Annotated[Path | None, typer.Option(help="Where to write it")] = None,
) -> None:
    """Write a batch's report: per client outcome, ack number, certificate, errors."""
    journal = open_journal()
    built = build_report(journal, batch_id)
    target = out or state.settings().data_dir / "reports" / f"{batch_id}.{fmt.value}"
    write_report(built, fmt, target)
    console.print(f"report written to {target}", highlight=False)
