"""Batch reports: HTML (one self-contained file), CSV and JSON, from the journal.

Per client: the outcome, acknowledgement number, certificate path and SHA-256, duration,
and the error with its screenshot (embedded in the HTML). Totals and a chart of outcomes.
Rows of the client file that were not run (refused as bad, or duplicates: the batch's
``not_run`` option) are lines too, outcome ``not-run`` with their row and reason, and count
in the totals.
Result keys read from a job's result: ``ack_number``, ``certificate_path``,
``certificate_sha256`` (the DGFT playbooks declare these outputs).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from rpa.journal import BatchRow, JobRow, Journal
from rpa.outcomes import Outcome

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
MAX_EMBEDDED_SCREENSHOT = 3 * 1024 * 1024
NOT_RUN_OPTION = "not_run"  # the batch option listing them: [{row, client, reason, duplicate}]


class ReportFormat(StrEnum):
    HTML = "html"
    CSV = "csv"
    JSON = "json"


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


def _line(journal: Journal, job: JobRow) -> ReportLine:
    screenshots = [path for kind, path in journal.artifacts(job.id) if kind == "screenshot"]
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
    )


def _not_run_line(entry: Any) -> ReportLine | None:
    """A row the batch refused, as the batch's options record it (``not_run``)."""
    if not isinstance(entry, dict):
        return None
    row = entry.get("row")
    duplicate = bool(entry.get("duplicate"))
    return ReportLine(
        job_id=None,
        client=_str_or_none(entry.get("client")),
        row=row if isinstance(row, int) else None,
        outcome=NOT_RUN,
        ack_number=None,
        certificate_path=None,
        certificate_sha256=None,
        duration_s=None,
        error=_str_or_none(entry.get("reason")) or "refused by the client-file check",
        error_kind="client-file",
        error_code="DUPLICATE_ROW" if duplicate else "BAD_ROW",
        error_step=None,
        screenshot=None,
    )


def build_report(journal: Journal, batch_id: str) -> Report:
    """The report of ``batch_id``: the latest job per client (replays supersede), and the
    rows not run, in the client file's row order."""
    batch = journal.batch(batch_id)
    latest: dict[str, JobRow] = {}
    for job in journal.jobs(batch_id=batch_id):
        latest[job.client or job.id] = job
    lines = [_line(journal, job) for job in latest.values()]
    not_run = batch.options.get(NOT_RUN_OPTION) or []
    lines.extend(line for line in map(_not_run_line, not_run) if line is not None)
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


def render_html(report: Report) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("rpa", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    template = env.get_template("report.html.j2")
    lines = [
        {**asdict(line), "screenshot_data": _embed_png(line.screenshot)} for line in report.lines
    ]
    return template.render(
        batch=report.batch,
        totals=report.totals,
        chart=_chart(report.totals),
        colours=OUTCOME_COLOURS,
        lines=lines,
    )


RENDERERS = {
    ReportFormat.HTML: render_html,
    ReportFormat.CSV: render_csv,
    ReportFormat.JSON: render_json,
}


def write_report(report: Report, fmt: ReportFormat, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(RENDERERS[fmt](report), encoding="utf-8")
    return out
