"""Writing a batch's report: ``rpa report BATCH`` (its own module, so that listing jobs does
not import the report's code)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rpa.cli.app import app, state
from rpa.cli.jobs import open_journal
from rpa.report import ReportFormat


@app.command()
def report(
    batch_id: Annotated[str, typer.Argument(help="The batch's id")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="html | xlsx | csv | json")] = (
        ReportFormat.HTML
    ),
    out: Annotated[Path | None, typer.Option(help="Where to write it")] = None,
) -> None:
    """Write a batch's report: per client outcome, ack number, certificate, errors.

    For managers: firm names, outcomes in plain words, application status, the certificate
    and its SHA-256, times in IST, rows not run; HTML, XLSX, CSV or JSON."""
    from rpa.cli.app import console
    from rpa.report import build_report, write_report

    settings = state.settings(keep_log=False)  # it only reads the journal: no log file
    journal = open_journal(settings.journal_path)
    built = build_report(journal, batch_id, console_url=settings.console_url)
    target = out or settings.data_dir / "reports" / f"{batch_id}.{fmt.value}"
    write_report(built, fmt, target)
    console.print(f"report written to {target}", highlight=False)
