"""Inspecting what ran: ``rpa jobs list``, ``rpa jobs show JOB``.

Both read well in an 80-column terminal (issue 16 §8):

- ``jobs list`` prints one line per job, under a heading per batch: the whole job id, the
  client, playbook, status, duration, and the error cut to the line with "…". It starts
  fast (issue 16 §7): it imports neither Rich nor anything the engine needs, and finds the
  journal through the data folder setting alone (``rpa.datadir``): no pydantic, no logs.
- ``jobs show`` prints the job, its error once, its result as fields and its timeline
  folded to its blocks (``fold_timeline``): top-level steps, blocks three deep, and at any
  depth what changed, failed, was retried, waited for a person or never finished.
  ``--full`` shows every step.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rpa.cli.app import app, fail, state
from rpa.datadir import data_dir, journal_path

if TYPE_CHECKING:
    from rpa.journal import JobRow, Journal, TimelineRow

jobs_app = typer.Typer(help="List and inspect jobs in the journal.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

# A job's status: the journal's (pending, running) and the engine's outcomes. A unit test
# checks these against rpa.journal.JobStatus and rpa.outcomes.Outcome.
STATUSES = ("pending", "running", "ok", "changed", "would-change", "failed", "needs-input",
            "interrupted")  # fmt: skip
STATUS_COLOURS = {
    "ok": "green",
    "changed": "blue",
    "would-change": "magenta",
    "failed": "red",
    "needs-input": "yellow",
    "interrupted": "bright_black",
}
FOLD_DEPTH = 3  # blocks this deep show in the folded timeline
CONTAINERS = frozenset({"block", "use"})


def open_journal(path: Path | None = None) -> Journal:
    """The journal at ``path``, opened for reading (no log file, no writable folder needed).
    By default the data folder's, found as Settings would find it but without building them
    (``rpa.datadir``): reading needs no other setting."""
    if path is None:
        path = journal_path(data_dir(state.overrides.get("data_dir")))
    if not path.exists():
        raise fail(f"no journal yet at {path} (run a job or a batch first)")
    from rpa.journal import Journal

    return Journal.for_reading(path)


# -- fitting text to a terminal line -------------------------------------------------------


def terminal_width() -> int:
    """The terminal's columns (``COLUMNS`` first), 80 when it is not a terminal."""
    return shutil.get_terminal_size((80, 24)).columns


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and tabs as spaces, other control characters out."""
    kept = (" " if ch.isspace() else ch for ch in text if ch.isspace() or ch.isprintable())
    return " ".join("".join(kept).split())


def _char_cells(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cells(text: str) -> int:
    """How many terminal columns ``text`` takes."""
    return sum(_char_cells(ch) for ch in text)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, ending in "…" when it was cut."""
    if cells(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        size = _char_cells(ch)
        if used + size > width - 1:
            break
        out.append(ch)
        used += size
    return "".join(out).rstrip() + "…"


def pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - cells(text))
    return gap + text if right else text + gap


# -- rpa jobs list -------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    return f"{seconds:.1f}s" if seconds is not None else ""


def _error(row: JobRow) -> str:
    return one_line(f"{row.error_code or row.error_kind or ''} {row.error or ''}")


def _batches(rows: Iterable[JobRow]) -> dict[str | None, list[JobRow]]:
    """Jobs by batch, batches in the order of their first job."""
    grouped: dict[str | None, list[JobRow]] = {}
    for row in rows:
        grouped.setdefault(row.batch_id, []).append(row)
    return grouped


def format_job_list(
    rows: Sequence[JobRow], width: int, style: Callable[[str, str], str] | None = None
) -> list[str]:
    """The lines of ``jobs list``: a header, then per batch a heading (its id, its playbook,
    how many jobs) and one line per job, its error cut to fit ``width`` columns. A playbook
    column shows only when a batch (or the jobs outside batches) mixes playbooks.
    ``style(cell, status)`` may colour the status cell."""
    groups = _batches(rows)
    mixed = any(len({job.playbook for job in jobs}) > 1 for jobs in groups.values())
    headers = ["job", "client", *(["playbook"] if mixed else []), "status", "time"]
    table = {
        row.id: [
            row.id,
            row.client or "",
            *([row.playbook] if mixed else []),
            row.status,
            _duration(row.duration_s),
        ]
        for row in rows
    }
    widths = [
        max([cells(h)] + [cells(r[i]) for r in table.values()]) for i, h in enumerate(headers)
    ]
    room = max(8, width - sum(widths) - 2 * len(widths))
    status_at = len(headers) - 2

    def line(values: Sequence[str], error: str, status: str | None = None) -> str:
        last = len(values) - 1
        pairs = enumerate(zip(values, widths, strict=True))
        padded = [pad(value, wide, right=i == last) for i, (value, wide) in pairs]
        if status is not None and style is not None:
            padded[status_at] = style(padded[status_at], status)
        return "  ".join([*padded, fit(error, room)]).rstrip()

    lines = [line(headers, "error")]
    for batch_id, jobs in groups.items():
        facts = [f"batch {batch_id}" if batch_id else "not in a batch"]
        if not mixed:
            facts.append(jobs[0].playbook)
        facts.append(f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}")
        lines.append(fit(" · ".join(facts), width))
        lines.extend(line(table[row.id], _error(row), row.status) for row in jobs)
    return lines


@jobs_app.command("list")
def list_jobs(
    batch: Annotated[str | None, typer.Option(help="Only jobs of this batch")] = None,
    status: Annotated[
        str | None, typer.Option(help=f"Only jobs in this state: {', '.join(STATUSES)}")
    ] = None,
    client: Annotated[str | None, typer.Option(help="Only jobs of this client (IEC)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False,
) -> None:
    """List jobs, oldest first: one line per job, under a heading per batch."""
    if status is not None and status not in STATUSES:
        raise fail(f"no status {status!r}; a job's status is one of: {', '.join(STATUSES)}")
    journal = open_journal()
    rows = journal.jobs(batch_id=batch, status=status, client=client)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(asdict(row), default=str))
        return
    if not rows:
        typer.echo("no jobs match" if batch or status or client else "no jobs yet")
        return

    def style(cell: str, status: str) -> str:
        colour = STATUS_COLOURS.get(status)
        return typer.style(cell, fg=colour) if colour else cell

    for text in format_job_list(rows, terminal_width(), style):
        typer.echo(text)  # colours only on a terminal


# -- rpa jobs show -------------------------------------------------------------------------


@dataclass
class Line:
    """One line of a timeline as ``jobs show`` prints it."""

    at: str  # HH:MM:SS
    depth: int  # 0: top level
    mark: str  # a step's: ✓ ok, ✎ changed, – skipped, ✗ failed, … never finished;
    # ↻ a retry, ? a person was asked, ! a submission without its result
    name: str
    seconds: float | None = None
    status: str | None = None  # a step's status (None: unfinished); a retry's error kind
    note: str | None = None  # a retry's error, a challenge's prompt, (full) a step's error


@dataclass
class _Step:
    path: str
    kind: str | None
    at: str
    depth: int
    parent: _Step | None
    status: str | None = None  # None: never finished
    seconds: float | None = None
    error: str | None = None
    retried: bool = False


@dataclass
class _Event:
    line: Line
    step: _Step | None  # the step it happened in


MARKS = {"ok": "✓", "changed": "✎", "skipped": "–", "failed": "✗"}


def _clock(at: str) -> str:
    return at[11:19]


def _timeline_items(rows: Sequence[TimelineRow]) -> list[_Step | _Event]:
    """Steps (nested as they ran, in the order they started) and events, in order."""
    items: list[_Step | _Event] = []
    running: list[_Step] = []
    submitted = {r.step for r in rows if r.event == "submit-done"}

    def find(path: str | None) -> _Step | None:
        return next((s for s in reversed(running) if path is None or s.path == path), None)

    for row in rows:
        if row.event == "step-started" and row.step:
            while running and not row.step.startswith(running[-1].path + "/"):
                running.pop()  # a step that never said it finished
            step = _Step(row.step, row.kind, row.at, len(running), find(None))
            running.append(step)
            items.append(step)
        elif row.event == "step-finished" and row.step:
            ended = find(row.step)
            if ended is not None:
                ended.status, ended.seconds, ended.error = row.status, row.duration_s, row.detail
                del running[running.index(ended) :]
        elif row.event == "step-retried":
            retried = find(row.step)
            if retried is not None:
                retried.retried = True
            line = Line(_clock(row.at), 0, "↻", row.detail or "retried", status=row.status)
            items.append(_Event(line, retried))
        elif row.event == "challenge-waiting":
            line = Line(_clock(row.at), 0, "?", f"waiting for {row.kind}", note=row.detail)
            items.append(_Event(line, find(None)))
        elif row.event == "submit-intent" and row.step not in submitted:
            what = "submission without a result: the portal may have it"
            items.append(_Event(Line(_clock(row.at), 0, "!", what), find(row.step)))
    return items


def fold_timeline(rows: Sequence[TimelineRow], *, full: bool = False) -> list[Line]:
    """A job's timeline as lines, steps nested as they ran.

    Folded (``full`` False) a step shows when it is top-level, a block (``block``/``use``)
    at most ``FOLD_DEPTH`` deep that did not skip, or, at any depth, when it changed
    something, failed, was retried or never finished. Retries, challenges and submissions
    left without a result show under the nearest step shown; a step under hidden ones is
    named by its path from the nearest step shown.
    """

    def shown(step: _Step) -> bool:
        if full or step.depth == 0 or step.retried or step.status in ("changed", "failed", None):
            return True
        return step.kind in CONTAINERS and step.depth < FOLD_DEPTH and step.status != "skipped"

    def anchor(step: _Step | None) -> _Step | None:
        while step is not None and not shown(step):
            step = step.parent
        return step

    lines: list[Line] = []
    for item in _timeline_items(rows):
        if isinstance(item, _Event):
            above = anchor(item.step)
            item.line.depth = above.depth + 1 if above is not None else 0
            lines.append(item.line)
        elif shown(item):
            above = anchor(item.parent)
            prefix = above.path + "/" if above is not None else ""
            lines.append(
                Line(
                    _clock(item.at),
                    above.depth + 1 if above is not None else 0,
                    MARKS.get(item.status or "", "…"),
                    item.path.removeprefix(prefix),
                    item.seconds,
                    item.status,
                    item.error if full else None,
                )
            )
    return lines


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


@jobs_app.command("show")
def show_job(
    job_id: Annotated[str, typer.Argument(help="The job's id")],
    full: Annotated[bool, typer.Option("--full", help="Every step, not only the blocks")] = False,
) -> None:
    """A job: its error, its result, its timeline folded to its blocks (--full: every
    step), and the paths of its screenshot, HTML and trace."""
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table

    from rpa.cli.app import console

    journal = open_journal()
    job = journal.job(job_id)
    say = console.print
    say(f"[bold]{job.id}[/bold]  {escape(job.playbook)}  client {escape(job.client or '—')}")
    facts = [f"[bold]{job.status}[/bold]"]
    if job.duration_s is not None:
        facts[0] += f" in {job.duration_s:.1f}s"
    if job.batch_id:
        facts.append(f"batch {job.batch_id}" + (f" row {job.row}" if job.row else ""))
    if job.check_mode:
        facts.append("check mode")
    if job.replay_of:
        facts.append(f"replay of {job.replay_of}")
    say(" · ".join(facts), highlight=False)
    if job.error:
        code = ", ".join(c for c in (job.error_kind, job.error_code) if c)
        say(f"[red]error[/red] ({escape(code)})" if code else "[red]error[/red]", highlight=False)
        if job.error_step:
            say(Padding(f"at {escape(one_line(job.error_step))}", (0, 0, 0, 2)), highlight=False)
        say(Padding(escape(one_line(job.error)), (0, 0, 0, 2)), highlight=False)
    if job.result:
        say("result", style="bold")
        fields = Table.grid(padding=(0, 2))
        fields.add_column(no_wrap=True, style="grey50")
        fields.add_column(overflow="fold")
        for name, value in job.result.items():
            fields.add_row(f"  {escape(name)}", escape(one_line(_value(value))))
        say(fields)
    lines = fold_timeline(journal.timeline(job_id), full=full)
    if lines:
        say("timeline" + ("" if full else " (its blocks; --full for every step)"), style="bold")
        say(_timeline_table(lines, full=full))
    for kind, path in journal.artifacts(job_id):
        shown = near(path)
        say(
            f"{kind}: {escape(trace_command(shown) if kind == 'trace' else shown)}", highlight=False
        )


def near(path: str) -> str:
    """``path`` relative to the working directory when it is inside it (shorter lines)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return path


STEP_COLOURS = {"changed": "blue", "failed": "red", "skipped": "grey50", None: "yellow"}


def _timeline_table(lines: Sequence[Line], *, full: bool) -> Any:
    """The timeline's lines in a grid: time, step (indented), seconds, status (unless ok).
    Folded, a line too long is cut with "…"; full, it wraps."""
    from rich.markup import escape
    from rich.table import Table

    rows = []
    for line in lines:
        colour = STEP_COLOURS.get(line.status, "") if line.mark in MARKS.values() else "yellow"
        mark = f"[{colour}]{line.mark}[/{colour}]" if colour else line.mark
        text = f"{'  ' * line.depth}{mark} {escape(one_line(line.name))}"
        if line.note:
            text += f"[grey50]: {escape(one_line(line.note))}[/grey50]"
        seconds = f"{line.seconds:.1f}s" if line.seconds is not None else ""
        status = "" if line.status in (None, "ok") else line.status
        rows.append((line.at, text, seconds, status))
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(style="grey50", no_wrap=True, width=8)  # time
    table.add_column(ratio=1, no_wrap=not full, overflow="fold" if full else "ellipsis")
    table.add_column(justify="right", no_wrap=True, width=max(len(r[2]) for r in rows))
    table.add_column(no_wrap=True, width=max(len(r[3]) for r in rows))
    for row in rows:
        table.add_row(*row)
    return table


def trace_command(path: str) -> str:
    return f"playwright show-trace {path}"
