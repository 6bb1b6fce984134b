"""``rpa renew plan`` (who is due) and ``rpa renew run`` (renew the due ones, unattended).

See docs/renewal.md. ``run`` takes a lock so two overlapping runs never work at once,
renews through the batch runner (guards make a second run in a day submit nothing), and
sends the summary by email and/or webhook when it processed anyone.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from rpa.cli.app import EXIT_FAILED, EXIT_OK, app, console, fail, state
from rpa.cli.batch import (
    NamespaceOption,
    TemporalOption,
    execute,
    load_client_file,
    plan_new_batch,
    print_summary,
)
from rpa.cli.challenges import ConsolePrompter
from rpa.cli.progress import OutputMode
from rpa.cli.safe import shown
from rpa.clients.records import ClientRecord
from rpa.errors import BatchError
from rpa.events import EventBus
from rpa.notify import notify, summarise
from rpa.renewal import RunLock, financial_year, fy_label, plan, plan_totals, to_run, today_in_india

if TYPE_CHECKING:  # the engine and Playwright are imported when a command runs
    from rpa.agent import Agent

renew_app = typer.Typer(help="The annual IEC update (1 April – 30 June), for many clients.")
app.add_typer(renew_app, name="renew")

TodayOption = Annotated[
    str | None,
    typer.Option("--today", help="Plan as of this date (YYYY-MM-DD); default: today in India"),
]


def _today(value: str | None) -> date:
    if value is None:
        return today_in_india()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"--today must be YYYY-MM-DD, got {value!r}") from exc


def _refresh(
    agent: Agent, clients: Path, records: list[tuple[int, ClientRecord]], check: bool
) -> None:
    """Read every client's status from the portal (iec_status) into the journal."""
    batch = plan_new_batch(
        agent.journal, "iec_status", records, source=str(clients), check=check, only=None
    )
    execute(agent, batch, agent.settings, OutputMode.QUIET)


@renew_app.command("plan")
def plan_command(
    clients: Annotated[Path, typer.Option("--clients", help="Client file: CSV, XLSX or YAML")],
    today: TodayOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Read each IEC's status from the portal first")
    ] = False,
) -> None:
    """Every client: due, done this financial year, overdue, in progress, or unknown."""
    from rpa.agent import Agent

    day = _today(today)
    settings = state.settings()
    loaded = load_client_file(clients, None)
    agent = Agent.create(settings, bus=EventBus(), prompter=ConsolePrompter(console))
    agent.command = "rpa renew plan --refresh"
    if refresh:
        _refresh(agent, clients, loaded.records, check=False)
    rows = plan(agent.journal, loaded.records, day)
    if as_json:
        typer.echo(json.dumps([row.to_dict() for row in rows], indent=2, default=str))
        return
    table = Table(
        "IEC",
        "firm",
        "state",
        "last update",
        "ack",
        "detail",
        title=f"{fy_label(financial_year(day))} as of {day}",
    )
    for row in rows:
        table.add_row(  # a client's and the portal's text: no markup, no control characters
            row.iec,
            shown(row.firm_name),
            str(row.state),
            str(row.last_updated or ""),
            shown(row.ack_number or ""),
            shown(row.detail),
        )
    console.print(table)
    console.print(", ".join(f"{n} {s}" for s, n in plan_totals(rows).items()))


@renew_app.command("run")
def run_command(
    clients: Annotated[Path, typer.Option("--clients", help="Client file: CSV, XLSX or YAML")],
    today: TodayOption = None,
    check: Annotated[bool, typer.Option("--check", help="Stop before submitting")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run every client, whatever the date")
    ] = False,
    output: Annotated[OutputMode, typer.Option(help="live | json | quiet")] = OutputMode.QUIET,
    temporal: TemporalOption = None,
    namespace: NamespaceOption = "default",
) -> None:
    """Renew the clients that are due (and, after 30 June, re-activate de-activated ones)."""
    from rpa.agent import Agent

    day = _today(today)
    settings = state.settings()
    try:
        with RunLock(settings.renew_lock_file):
            loaded = load_client_file(clients, None)
            agent = Agent.create(settings, bus=EventBus(), prompter=ConsolePrompter(console))
            agent.command = "rpa renew run" + (" --check" if check else "")
            rows = plan(agent.journal, loaded.records, day)
            due = set(to_run(rows, day, force=force))
            if not due:
                console.print(
                    f"nothing to do on {day}: "
                    + (", ".join(f"{n} {s}" for s, n in plan_totals(rows).items()) or "no clients")
                )
                raise typer.Exit(EXIT_OK)
            batch = plan_new_batch(
                agent.journal,
                "renew",
                loaded.records,
                source=str(clients),
                check=check,
                only=due,
            )
            summary = execute(
                agent, batch, settings, output, temporal=temporal, namespace=namespace
            )
            print_summary(summary, settings)
            for sent in notify(summarise(agent.journal, batch.batch_id, loaded.records), settings):
                console.print(f"summary sent: {sent}", highlight=False)
    except BatchError as exc:
        raise fail(str(exc), EXIT_FAILED) from exc
    raise typer.Exit(EXIT_OK if summary.all_good and not loaded.errors else EXIT_FAILED)
