"""Batch reports: HTML (one self-contained file), XLSX, CSV and JSON, from the journal.

Per client: the firm's name, the outcome (as the journal has it and in plain words, e.g.
"Renewed", "Failed: the DSC has expired"), acknowledgement number, application status,
certificate file name and SHA-256, start and end in IST, duration, and the error with its
screenshot (embedded in the HTML when small). Totals and a chart of outcomes. The reports
are for managers, who get them by mail: no ``file://`` link (it breaks once mailed); the
certificate is named with its SHA-256, and linked to the console's download when a console
URL is set (``RPA_CONSOLE_URL``). Firm names come from the batch's client file when it can
still be read (or from ``firms``). The XLSX writes every cell as text (an IEC's leading zero
survives) through the same formula neutralising as the CSV.
Rows of the client file that were not run (refused as bad, or duplicates: the batch's
``not_run`` option) are lines too, outcome ``not-run`` with their row and reason, and count
in the totals.
Result keys read from a job's result: ``ack_number``, ``certificate_path``,
``certificate_sha256`` (the DGFT playbooks declare these outputs).
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.console.words import ist, outcome_words
from rpa.journal import BatchRow, JobRow, Journal
from rpa.outcomes import Outcome

if TYPE_CHECKING:
    from jinja2 import Template

NOT_RUN = "not-run"  # a row of the client file refused before the batch (bad or duplicate)
OUTCOME_ORDER = [o.value for o in Outcome] + ["pending", "running", NOT_RUN]
OUTCOME_COLOURS = {
    "ok": "#2e7d32",
    "changed": "#1565c0",
    "would-change": "#6a1b9a",
    "failed": "#c62828",
    "needs-input": "#ef6c00",
    "interrupted": "#757575",
    "pending": "#9e9e9e",
    "running": "#00838f",
    NOT_RUN: "#5d4037",
}
MAX_EMBEDDED_SCREENSHOT = 512 * 1024  # a mailed report stays small: bigger ones are left out
NOT_RUN_OPTION = "not_run"  # the batch option listing them: [{row, client, reason, duplicate}]


class ReportFormat(StrEnum):
    HTML = "html"
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"


@dataclass(frozen=True)
class ReportLine:
    job_id: str | None  # None: a row not run
    client: str | None
    row: int | None
    outcome: str
    ack_number: str | None
    certificate_path: str | None
    certificate_sha256: str | None
    duration_s: float | None
    error: str | None
    error_kind: str | None
    error_code: str | None
    error_step: str | None
    screenshot: str | None
    # for managers (after the fields above, so older readers of the CSV keep working)
    firm_name: str | None = None
    playbook: str | None = None
    outcome_text: str = ""  # plain words: "Renewed", "Failed: the DSC has expired"
    started_ist: str = ""
    finished_ist: str = ""
    application_status: str | None = None
    certificate_name: str | None = None
    certificate_url: str | None = None  # the console's download, when RPA_CONSOLE_URL is set


@dataclass(frozen=True)
class Report:
    batch: BatchRow
    lines: list[ReportLine]

    @property
    def totals(self) -> dict[str, int]:
        counts = Counter(line.outcome for line in self.lines)
        return {name: counts[name] for name in OUTCOME_ORDER if counts[name]}


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def certificate_url(console_url: str | None, job_id: str | None) -> str | None:
    """The console's download of a job's certificate (A's job page serves it)."""
    if not console_url or not job_id:
        return None
    return f"{console_url.rstrip('/')}/jobs/{job_id}/certificate"


def _line(
    journal: Journal,
    job: JobRow,
    firms: dict[str, str],
    console_url: str | None,
    waiting: dict[str, str],
) -> ReportLine:
    screenshots = (  # shown only beside an error: a successful job's are not read
        [path for kind, path in journal.artifacts(job.id) if kind == "screenshot"]
        if job.error
        else []
    )
    certificate = _str_or_none(job.result.get("certificate_path"))
    return ReportLine(
        job_id=job.id,
        client=job.client,
        row=job.row,
        outcome=job.status,
        ack_number=_str_or_none(job.result.get("ack_number")),
        certificate_path=_str_or_none(job.result.get("certificate_path")),
        certificate_sha256=_str_or_none(job.result.get("certificate_sha256")),
        duration_s=job.duration_s,
        error=job.error,
        error_kind=job.error_kind,
        error_code=job.error_code,
        error_step=job.error_step,
        screenshot=screenshots[-1] if screenshots and job.error else None,
        firm_name=firms.get(job.client or "") or _str_or_none(job.result.get("firm_name")),
        playbook=job.playbook,
        outcome_text=outcome_words(
            job.status,
            code=job.error_code,
            kind=job.error_kind,
            playbook=job.playbook,
            waiting=waiting.get(job.id),
        ),
        started_ist=ist(job.started_at or job.created_at),
        finished_ist=ist(job.finished_at),
        application_status=_str_or_none(job.result.get("application_status")),
        certificate_name=Path(certificate).name if certificate else None,
        certificate_url=certificate_url(console_url, job.id) if certificate else None,
    )


def _not_run_line(entry: Any, firms: dict[str, str]) -> ReportLine | None:
    """A row the batch refused, as the batch's options record it (``not_run``)."""
    if not isinstance(entry, dict):
        return None
    row = entry.get("row")
    duplicate = bool(entry.get("duplicate"))
    client = _str_or_none(entry.get("client"))
    reason = _str_or_none(entry.get("reason")) or "refused by the client-file check"
    return ReportLine(
        job_id=None,
        client=client,
        row=row if isinstance(row, int) else None,
        outcome=NOT_RUN,
        ack_number=None,
        certificate_path=None,
        certificate_sha256=None,
        duration_s=None,
        error=reason,
        error_kind="client-file",
        error_code="DUPLICATE_ROW" if duplicate else "BAD_ROW",
        error_step=None,
        screenshot=None,
        firm_name=firms.get(client or ""),
        outcome_text=outcome_words(NOT_RUN, reason=reason),
    )


def firm_names(source: str | None) -> dict[str, str]:
    """IEC → firm name from a batch's client file, when it can still be read (else {});
    read again only when the file changed."""
    if not source:
        return {}
    from rpa.clients.file import load_clients
    from rpa.errors import RpaError

    try:
        stat = Path(source).stat()
        key = (source, stat.st_mtime_ns, stat.st_size)
        cached = _FIRMS.get(source)
        if cached is None or cached[0] != key:
            loaded = load_clients(source)
            cached = (key, {record.iec: str(record.firm_name) for _, record in loaded.records})
            _FIRMS[source] = cached
    except (RpaError, OSError, ValueError):
        return {}
    return dict(cached[1])


_FIRMS: dict[str, tuple[tuple[str, int, int], dict[str, str]]] = {}


def build_report(
    journal: Journal,
    batch_id: str,
    *,
    firms: dict[str, str] | None = None,
    console_url: str | None = None,
) -> Report:
    """The report of ``batch_id``: the latest job per client (replays supersede), and the
    rows not run, in the client file's row order. ``firms`` (IEC → firm name) defaults to
    the batch's client file's; ``console_url`` links certificates to the console."""
    batch = journal.batch(batch_id)
    if firms is None:
        firms = firm_names(batch.source)
    latest: dict[str, JobRow] = {}
    for job in journal.jobs(batch_id=batch_id):
        latest[job.client or job.id] = job
    running = any(job.status == "running" for job in latest.values())
    waiting = {c["job_id"]: c["kind"] for c in journal.waiting_challenges()} if running else {}
    lines = [_line(journal, job, firms, console_url, waiting) for job in latest.values()]
    not_run = batch.options.get(NOT_RUN_OPTION) or []
    lines.extend(line for entry in not_run if (line := _not_run_line(entry, firms)) is not None)
    lines.sort(key=lambda line: (line.row is None, line.row or 0))
    return Report(batch, lines)


def render_json(report: Report) -> str:
    payload = {
        "batch": asdict(report.batch),
        "totals": report.totals,
        "clients": [asdict(line) for line in report.lines],
    }
    return json.dumps(payload, indent=2, default=str)


# A cell a spreadsheet would read as a formula (OWASP, "CSV Injection"); a plain number
# ("-1500", "+2.5") is read as a number and stays as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?")


def csv_cell(value: Any) -> Any:
    """``value`` safe in a CSV a spreadsheet opens: text that would start a formula gets a
    leading ``'``, so it is read as text; anything else is unchanged."""
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    return "'" + value if formula and not _NUMBER.fullmatch(value) else value


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    fields = list(ReportLine.__dataclass_fields__)
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for line in report.lines:
        writer.writerow({name: csv_cell(value) for name, value in asdict(line).items()})
    return buffer.getvalue()


# The managers' columns (XLSX, and the HTML's table), in reading order: (title, field).
MANAGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("IEC", "client"),
    ("Firm", "firm_name"),
    ("Outcome", "outcome_text"),
    ("Acknowledgement", "ack_number"),
    ("Application status", "application_status"),
    ("Certificate", "certificate_name"),
    ("Certificate SHA-256", "certificate_sha256"),
    ("Certificate link", "certificate_url"),
    ("Started (IST)", "started_ist"),
    ("Ended (IST)", "finished_ist"),
    ("Duration (s)", "duration_s"),
    ("Row", "row"),
    ("Error", "error"),
    ("Error code", "error_code"),
    ("Job", "job_id"),
)


def render_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook: a sheet of clients (every cell text, so an IEC's
    leading zeros survive, neutralised like the CSV's) and a sheet of totals. Written in
    openpyxl's write-only mode (a batch of thousands stays quick)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Clients")
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLMNO", (12, 30, 34, 22, 16, 24, 20, 30), strict=False):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)

    def heading(title: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        return cell

    def iec(value: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=None if value is None else str(csv_cell(str(value))))
        cell.number_format = "@"  # text: an edit in Excel keeps 0123456789 as typed
        return cell

    sheet.append([heading(title) for title, _ in MANAGER_COLUMNS])
    for line in report.lines:  # every value a string: a spreadsheet shows text as text
        row: list[Any] = [iec(line.client)]
        for _, name in MANAGER_COLUMNS[1:]:
            value = getattr(line, name)
            if name == "duration_s" and value is not None:
                value = f"{value:.1f}"
            row.append(None if value is None else str(csv_cell(str(value))))
        sheet.append(row)
    totals = book.create_sheet("Totals")
    totals.append(["Batch", report.batch.id])
    totals.append(["Playbook", report.batch.playbook])
    totals.append(["Started (IST)", ist(report.batch.created_at)])
    totals.append(["Ended (IST)", ist(report.batch.finished_at)])
    totals.append(["Check mode", "yes" if report.batch.check_mode else "no"])
    for name, count in report.totals.items():
        totals.append([name, count])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _embed_png(path: str | None) -> str | None:
    if not path:
        return None
    file = Path(path)
    if not file.is_file() or file.stat().st_size > MAX_EMBEDDED_SCREENSHOT:
        return None
    return "data:image/png;base64," + base64.b64encode(file.read_bytes()).decode()


def _chart(totals: dict[str, int]) -> list[dict[str, Any]]:
    """Bars of an inline SVG chart: one per outcome, widths as a share of the largest."""
    biggest = max(totals.values(), default=1)
    return [
        {
            "name": name,
            "count": count,
            "width": round(300 * count / biggest),
            "colour": OUTCOME_COLOURS.get(name, "#9e9e9e"),
            "y": 28 * i,
        }
        for i, (name, count) in enumerate(totals.items())
    ]


@functools.cache
def _template() -> Template:
    """The HTML report's template, compiled once per process."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("rpa", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("report.html.j2")


TOTAL_WORDS = {
    "failed": "failed",
    "needs-input": "need a person",
    "interrupted": "stopped",
    "pending": "waiting to start",
    "running": "running",
    NOT_RUN: "not run",
}


def total_words(name: str, playbook: str) -> str:
    """A total's outcome in plain words, lower case ("renewed", "not run")."""
    if name in TOTAL_WORDS:
        return TOTAL_WORDS[name]
    words = outcome_words(name, playbook=playbook)
    return words[0].lower() + words[1:]


def render_html(report: Report) -> str:
    template = _template()
    lines = [
        {**asdict(line), "screenshot_data": _embed_png(line.screenshot)} for line in report.lines
    ]
    return template.render(
        batch=report.batch,
        started_ist=ist(report.batch.created_at),
        finished_ist=ist(report.batch.finished_at),
        totals=report.totals,
        total_words={name: total_words(name, report.batch.playbook) for name in OUTCOME_ORDER},
        chart=_chart(report.totals),
        colours=OUTCOME_COLOURS,
        lines=lines,
    )


RENDERERS = {
    ReportFormat.HTML: render_html,
    ReportFormat.CSV: render_csv,
    ReportFormat.JSON: render_json,
}


def render(report: Report, fmt: ReportFormat) -> bytes:
    """The report in ``fmt``, as the bytes of its file."""
    if fmt is ReportFormat.XLSX:
        return render_xlsx(report)
    return RENDERERS[fmt](report).encode("utf-8")


def write_report(report: Report, fmt: ReportFormat, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render(report, fmt))
    return out
