"""Client-file commands: ``rpa clients check FILE`` validates a client file without running.

Exit codes: 0 every row is good; 1 some rows are bad (or, with ``--secrets``, a secret
reference cannot be resolved); 2 the file cannot be read at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from rpa.cli.app import EXIT_FAILED, EXIT_OK, EXIT_USAGE, app, console, fail, state
from rpa.cli.safe import shown
from rpa.clients.file import ClientFile, load_clients
from rpa.clients.records import ClientRecord
from rpa.errors import ClientFileError, RecordError, SecretError

clients_app = typer.Typer(help="Client files (CSV, Excel, YAML): check them before a run.")
app.add_typer(clients_app, name="clients")


@clients_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Client file: .csv, .xlsx or .yaml")],
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet", help="Excel sheet to read (default: the first visible; hidden ones if named)"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    secrets: Annotated[
        bool,
        typer.Option(
            "--secrets",
            help="Also resolve every secret reference (values are never shown)",
        ),
    ] = False,
) -> None:
    """Validate a client file: good rows in a table, each bad row with its number and reason."""
    state.settings(keep_log=False)  # a check writes nothing, not even a log
    try:
        loaded = load_clients(file, sheet=sheet)
    except ClientFileError as exc:
        if as_json:
            typer.echo(json.dumps({"file": str(file), "readable": False, "error": str(exc)}))
            raise typer.Exit(EXIT_USAGE) from exc
        raise fail(str(exc)) from exc
    errors = problems(loaded, secrets=secrets)
    if as_json:
        typer.echo(json.dumps(_as_json(loaded, errors), indent=2, ensure_ascii=False))
    else:
        _print(loaded, errors)
    raise typer.Exit(EXIT_FAILED if errors else EXIT_OK)


def problems(loaded: ClientFile, *, secrets: bool = False) -> list[RecordError]:
    """Every problem of a loaded client file, in row order; with ``secrets``, the secret
    references that cannot be resolved too (values never shown)."""
    errors = list(loaded.errors)
    if secrets:
        errors.extend(_secret_problems(loaded))
        errors.sort(key=lambda e: e.row or 0)
    return errors


def verdict(loaded: ClientFile, *, secrets: bool = False) -> dict[str, Any]:
    """The check's verdict as data, what ``--json`` prints (the console shows it too)."""
    return _as_json(loaded, problems(loaded, secrets=secrets))


def _secret_problems(loaded: ClientFile) -> list[RecordError]:
    problems: list[RecordError] = []
    for row, record in loaded.records:
        for name in record.secret_refs():
            try:
                record.resolve_secret(name)
            except SecretError as exc:
                problems.append(RecordError(str(exc), field=name, row=row))
    return problems


def _secrets_shown(record: ClientRecord) -> str:
    return "\n".join(str(ref) for ref in record.secret_refs().values())


def _as_json(loaded: ClientFile, errors: list[RecordError]) -> dict[str, Any]:
    return {
        "file": str(loaded.path),
        "readable": True,
        "format": loaded.format,
        "sheet": loaded.sheet,
        "sheets": loaded.sheets,
        "hidden_sheets": loaded.hidden_sheets,
        "sheet_note": loaded.sheet_note,
        "good": len({row for row, _ in loaded.records} - {e.row for e in errors}),
        "bad_rows": sorted({e.row for e in errors if e.row is not None}),
        "ignored_columns": loaded.ignored_columns,
        "unknown_columns": [
            {"column": u.name, "did_you_mean": u.suggestion} for u in loaded.unknown_columns
        ],
        "records": [
            {
                "row": row,
                "client": record.template_vars(),
                "secrets": {name: str(ref) for name, ref in record.secret_refs().items()},
            }
            for row, record in loaded.records
        ],
        "errors": [
            {"row": e.row, "field": e.field, "column": loaded.label(e.field), "message": str(e)}
            for e in errors
        ],
    }


def _print(loaded: ClientFile, errors: list[RecordError]) -> None:
    where = f"{loaded.path}" + (f" (sheet {loaded.sheet!r})" if loaded.sheet else "")
    bad_rows = {e.row for e in errors}
    good = [(row, record) for row, record in loaded.records if row not in bad_rows]
    if good:
        table = Table(title=shown(where))
        table.add_column("row", justify="right")
        table.add_column("IEC", no_wrap=True)
        table.add_column("firm")
        table.add_column("sign")
        table.add_column("portal user", overflow="fold")
        table.add_column("secrets", overflow="fold")
        for row, record in good:
            table.add_row(
                str(row),
                record.iec,
                shown(record.firm_name),  # a client's text: no markup, no control characters
                record.sign_with.value,
                shown(record.portal_user or ""),
                shown(_secrets_shown(record)),
            )
        console.print(table)
    if loaded.sheet_note:
        console.print(f"note: {loaded.sheet_note}", highlight=False, markup=False)
    unit = "line" if loaded.format == "yaml" else "row"
    for error in errors:
        console.print(
            f"[red]{unit} {error.row}[/red]: {escape(str(error))}", highlight=False, markup=True
        )
    summary = f"{len(good)} good row(s), {len(bad_rows)} bad row(s) in {where}"
    style = "red" if errors else "green"
    console.print(f"[{style}]{summary}[/{style}]", highlight=False)
