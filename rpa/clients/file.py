"""Client files: CSV, Excel (.xlsx) and YAML lists of client records.

``load_clients(path)`` reads one file and returns a ``ClientFile``: the good records with
their row numbers, and one ``RecordError`` per problem of each bad row (the bad row is
skipped, the others proceed). A file that cannot be read at all raises ``ClientFileError``
naming the path: missing, empty, unknown extension, missing required columns, a corrupt
workbook, text in an unknown encoding, more than ``MAX_ROWS`` rows.

Row numbers are what a person sees: in CSV and Excel the header is row 1 (blank lines
count, as in a spreadsheet; title lines above the table are skipped); in YAML, the line
where the client's item starts. Problems name fields by the file's own headers
(``Date of Incorporation``, not ``dob``). ``ClientFile.refused`` lists the rows that will
not run (bad or duplicate) with all their reasons, for reports.

A workbook is read from its first visible sheet; hidden sheets only when named.

Columns (CSV/Excel) and keys (YAML) are matched ignoring case, spaces, hyphens and
anything in brackets: ``Portal Password``, ``portal_password``, ``PORTAL PASSWORD`` are one
column. Nested fields are flattened as ``changes.address.line1`` or
``change_address_line1``, ``changes.bank.ifsc``, ``changes.branches.1.city`` and
``documents.address_proof`` (or ``document_address_proof``, or just ``address_proof``).
Columns that are no client field (``Sr No``, ``Remarks``, ``GSTIN``) are ignored quietly;
other headers not understood are ignored with one warning per file, each with a
did-you-mean (``ClientFile.unknown_columns``), and listed when a required column is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from loguru import logger

from rpa.clients.columns import (
    REQUIRED_COLUMNS,
    ColumnPath,
    column_path,
    dotted,
    field_key,
    is_ignorable,
    is_weak,
    normalise_key,
    suggest,
    unflatten,
)
from rpa.clients.readers import Sheets, csv_rows, read_text, xlsx_rows
from rpa.clients.records import ClientRecord, check_record
from rpa.errors import ClientFileError, RecordError

MAX_ROWS = 100_000
MAX_FILE_BYTES = 100 * 1024 * 1024
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class UnknownColumn:
    """A header not understood, and the field it most likely means."""

    name: str
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f" (did you mean {self.suggestion}?)" if self.suggestion else ""
        return f"{self.name!r}{hint}"


@dataclass(frozen=True)
class RefusedRow:
    """A row that will not run: bad, or a duplicate; its IEC as written, when it has one."""

    row: int
    client: str | None
    reasons: tuple[str, ...]
    duplicate: bool = False

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass
class ClientFile:
    """What a client file held: good records by row, and the problems of the bad rows."""

    path: Path
    format: str  # csv | xlsx | yaml
    records: list[tuple[int, ClientRecord]] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str | None = None
    # Headers not understood (ignored, each with a did-you-mean when one is likely).
    unknown_columns: list[UnknownColumn] = field(default_factory=list)
    # Field path (``dob``, ``changes.address.pin``) → the header the file gives it.
    labels: dict[str, str] = field(default_factory=dict)
    # Excel: the visible worksheets; whether ``sheet`` was named or the first visible one.
    sheets: list[str] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)
    sheet_named: bool = False
    # Row → the IEC it holds as written (upper-case, no spaces), bad rows included.
    row_clients: dict[int, str] = field(default_factory=dict)
    duplicate_rows: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def clients(self) -> list[ClientRecord]:
        return [record for _, record in self.records]

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None})

    def errors_by_row(self) -> dict[int, list[RecordError]]:
        grouped: dict[int, list[RecordError]] = {}
        for error in self.errors:
            grouped.setdefault(error.row or 0, []).append(error)
        return grouped

    @property
    def refused(self) -> list[RefusedRow]:
        """Every row that will not run, with all its reasons, in row order."""
        return [
            RefusedRow(
                row,
                self.row_clients.get(row),
                tuple(dict.fromkeys(str(e) for e in errors)),
                duplicate=row in self.duplicate_rows,
            )
            for row, errors in sorted(self.errors_by_row().items())
        ]

    @property
    def sheet_note(self) -> str | None:
        """Which sheet was read, when the workbook has several visible and none was named."""
        if self.sheet_named or len(self.sheets) < 2 or self.sheet is None:
            return None
        others = ", ".join(repr(n) for n in self.sheets if n != self.sheet)
        return (
            f"read sheet {self.sheet!r}, the first of {len(self.sheets)} visible sheets "
            f"(the others: {others}); name another with --sheet"
        )

    def label(self, field_path: str | None) -> str | None:
        """The file's own name for a field (its header or YAML key), when it has one."""
        return None if field_path is None else self.labels.get(field_path)


def load_clients(
    path: str | Path, *, sheet: str | None = None, max_rows: int = MAX_ROWS
) -> ClientFile:
    """Read a client file (.csv, .xlsx, .yaml/.yml). Raises ``ClientFileError``."""
    path = Path(path)
    where = str(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ClientFileError(
            "old Excel 97-2003 (.xls) files are not supported; save it as .xlsx or CSV",
            path=where,
        )
    known = CSV_SUFFIXES + EXCEL_SUFFIXES + YAML_SUFFIXES
    if suffix not in known:
        raise ClientFileError(
            f"unknown kind of client file '{path.suffix or '(no extension)'}'; "
            "use .csv, .xlsx or .yaml",
            path=where,
        )
    if not path.exists():
        raise ClientFileError("the file does not exist", path=where)
    if not path.is_file():
        raise ClientFileError("is a folder, not a client file", path=where)
    size = path.stat().st_size
    if size == 0:
        raise ClientFileError("the file is empty", path=where)
    if size > MAX_FILE_BYTES:
        raise ClientFileError(
            f"the file is {size / 1024 / 1024:.0f} MB; client files are limited to "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB and {max_rows:,} rows: split it",
            path=where,
        )
    if sheet is not None and suffix not in EXCEL_SUFFIXES:
        raise ClientFileError("a sheet can only be chosen in an Excel (.xlsx) file", path=where)
    if suffix in EXCEL_SUFFIXES:
        sheets, rows = xlsx_rows(path, sheet=sheet)
        return _from_table(path, "xlsx", rows, max_rows=max_rows, sheets=sheets)
    text = read_text(path)
    if suffix in YAML_SUFFIXES:
        return _from_yaml(path, text, max_rows=max_rows)
    return _from_table(path, "csv", csv_rows(path, text), max_rows=max_rows)


# --- tables (CSV and Excel) ------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _from_table(
    path: Path,
    fmt: str,
    rows: Iterable[tuple[int, list[Any]]],
    *,
    max_rows: int,
    sheets: Sheets | None = None,
) -> ClientFile:
    iterator = iter(rows)
    try:
        return _read_table(path, fmt, iterator, max_rows=max_rows, sheets=sheets)
    finally:
        close = getattr(iterator, "close", None)
        if callable(close):
            close()  # an Excel reader closes its workbook


MAX_TITLE_ROWS = 5


def _find_header(iterator: Iterator[tuple[int, list[Any]]]) -> tuple[int, list[Any]] | None:
    """The header: the first non-blank row, past up to ``MAX_TITLE_ROWS`` title lines above
    the table (one cell that is no column name: ``Sharma & Co: DGFT clients FY 2025-26``)."""
    first: tuple[int, list[Any]] | None = None
    titles = 0
    for number, cells in iterator:
        filled = [c for c in cells if not _blank(c)]
        if not filled:
            continue
        if first is None:
            first = (number, cells)
        if len(filled) == 1 and column_path(str(filled[0])) is None and titles < MAX_TITLE_ROWS:
            titles += 1
            continue
        return number, cells
    return first  # only title-like lines: the first is the header, and lacks the columns


def _read_table(
    path: Path,
    fmt: str,
    iterator: Iterator[tuple[int, list[Any]]],
    *,
    max_rows: int,
    sheets: Sheets | None,
) -> ClientFile:
    where = str(path)
    found = _find_header(iterator)
    if found is None:
        raise ClientFileError("the file is empty (no header row)", path=where)
    header_row, header = found
    layout = _columns(where, header, header_row)
    columns = layout.columns
    result = ClientFile(
        path=path,
        format=fmt,
        ignored_columns=layout.ignored,
        unknown_columns=layout.unknown,
        labels=layout.labels,
    )
    if sheets is not None:
        result.sheet = sheets.chosen
        result.sheets = list(sheets.visible)
        result.hidden_sheets = list(sheets.hidden)
        result.sheet_named = sheets.named
    seen = 0
    base_dir = path.parent
    for number, cells in iterator:
        if all(_blank(c) for c in cells):
            continue
        seen += 1
        if seen > max_rows:
            raise ClientFileError(
                f"has more than {max_rows:,} client rows; split it into smaller files",
                path=where,
            )
        flat = {
            columns[i]: _cell(cells[i])
            for i in range(min(len(cells), len(header)))
            if i in columns and not _blank(cells[i])
        }
        client = _client_key(flat.get(("iec",)))
        if client is not None:
            result.row_clients[number] = client
        if (
            fmt == "csv"
            and len(cells) > len(header)
            and any(not _blank(c) for c in cells[len(header) :])
        ):
            result.errors.append(
                RecordError(
                    f"this row has {len(cells)} cells but the header has {len(header)} "
                    "columns (an address with an unquoted comma?)",
                    row=number,
                )
            )
            continue
        outcome = check_record(unflatten(flat), base_dir=base_dir, row=number, labels=result.labels)
        _add(result, outcome, number)
    if seen == 0:
        raise ClientFileError("has a header but no client rows", path=where)
    _warn_unknown(where, result.unknown_columns, "columns")
    _check_duplicates(result, unit="rows")
    return result


def _client_key(value: Any) -> str | None:
    """The IEC a cell holds as written, for naming a row that will not run."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"\s", "", str(value)).upper()
    return text[:40] or None


def _warn_unknown(where: str, unknown: list[UnknownColumn], what: str) -> None:
    if unknown:
        logger.warning(
            "{}: ignoring {} not understood: {}",
            where,
            what,
            ", ".join(str(u) for u in unknown),
        )


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


@dataclass
class _Layout:
    columns: dict[int, ColumnPath]  # column index → field path
    ignored: list[str]  # every ignored header
    unknown: list[UnknownColumn]  # the ignored headers not understood
    labels: dict[str, str]  # field path → header


def _columns(where: str, header: list[Any], row: int) -> _Layout:
    """Which field each column holds. Whole-file checks here."""
    columns: dict[int, ColumnPath] = {}
    names: dict[ColumnPath, str] = {}
    where_is: dict[ColumnPath, int] = {}
    ignored: list[str] = []
    unknown: list[UnknownColumn] = []
    for index, raw in enumerate(header):
        name = "" if raw is None else " ".join(str(raw).split())
        target = column_path(name) if name else None
        if target is None:
            if name:
                ignored.append(name)
                if not is_ignorable(name):
                    unknown.append(UnknownColumn(name, suggest(name)))
            continue
        if target in names:
            other = names[target]
            if is_weak(name) and not is_weak(other):
                ignored.append(name)  # "Contact No" beside "Mobile No"
                continue
            if not (is_weak(other) and not is_weak(name)):
                raise ClientFileError(
                    f"columns '{other}' and '{name}' both mean {dotted(target)}",
                    path=where,
                    row=row,
                )
            ignored.append(other)
            del columns[where_is[target]]
            del names[target]
        for other_path, other_name in names.items():
            shorter, longer = sorted((other_path, target), key=len)
            if longer[: len(shorter)] == shorter:
                raise ClientFileError(
                    f"columns '{other_name}' and '{name}' overlap (one is part of the other)",
                    path=where,
                    row=row,
                )
        names[target] = name
        where_is[target] = index
        columns[index] = target
    present = {target[0] for target in names}
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        found = ", ".join(repr(n) for n in names.values()) or "none"
        not_understood = (
            f"; columns not understood: {', '.join(str(u) for u in unknown)}" if unknown else ""
        )
        raise ClientFileError(
            f"missing required columns: {', '.join(missing)}{not_understood}"
            f" (understood: {found}; the names understood are in docs/clients.md)",
            path=where,
            row=row,
        )
    labels = {dotted(target): name for target, name in names.items()}
    return _Layout(columns, ignored, unknown, labels)


def _add(
    result: ClientFile, outcome: tuple[ClientRecord | None, list[RecordError]], row: int
) -> None:
    record, problems = outcome
    if record is not None:
        result.records.append((row, record))
    else:
        result.errors.extend(problems)


# --- YAML ------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML, with dates left as text: the record's date parser gives better messages."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _from_yaml(path: Path, text: str, *, max_rows: int) -> ClientFile:
    where = str(path)
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ClientFileError(f"is not valid YAML: {problem}", path=where, row=line) from exc
    except (ValueError, TypeError, RecursionError) as exc:
        raise ClientFileError(f"is not valid YAML ({type(exc).__name__})", path=where) from exc
    if data is None or root is None:
        raise ClientFileError("the file is empty", path=where)
    items, nodes = _yaml_items(where, data, root)
    if not items:
        raise ClientFileError("has no clients (an empty list)", path=where)
    if len(items) > max_rows:
        raise ClientFileError(
            f"has more than {max_rows:,} clients; split it into smaller files", path=where
        )
    result = ClientFile(path=path, format="yaml")
    ignored: dict[str, None] = {}
    for index, item in enumerate(items):
        line = nodes[index].start_mark.line + 1 if index < len(nodes) else index + 1
        if not isinstance(item, dict):
            result.errors.append(
                RecordError(f"client #{index + 1} is not a set of fields (key: value)", row=line)
            )
            continue
        flat: dict[ColumnPath, Any] = {}
        labels: dict[str, str] = {}
        for key, value in item.items():
            target = _yaml_key_path(key)
            if target is None:
                ignored[str(key)] = None
            elif value is not None:
                flat[target] = _normalise_nested_keys(value)
                labels[dotted(target)] = str(key)
        client = _client_key(flat.get(("iec",)))
        if client is not None:
            result.row_clients[line] = client
        result.labels.update(labels)
        outcome = check_record(unflatten(flat), base_dir=path.parent, row=line, labels=labels)
        _add(result, outcome, line)
    if ignored:
        result.ignored_columns = list(ignored)
        result.unknown_columns = [
            UnknownColumn(k, suggest(k)) for k in ignored if not is_ignorable(k)
        ]
    _warn_unknown(where, result.unknown_columns, "keys")
    _check_duplicates(result, unit="lines")
    return result


def _yaml_key_path(key: Any) -> ColumnPath | None:
    """A top-level YAML key's field; unlike a column, ``changes:`` may hold a mapping."""
    if not isinstance(key, str | int) or isinstance(key, bool):
        return None
    group = normalise_key(str(key))
    if group in ("changes", "change"):
        return ("changes",)
    if group in ("documents", "document"):
        return ("documents",)
    return column_path(str(key))


def _yaml_items(where: str, data: Any, root: yaml.Node) -> tuple[list[Any], list[yaml.Node]]:
    if isinstance(data, dict):
        key = next((k for k in data if isinstance(k, str) and k.strip().lower() == "clients"), None)
        if key is None or not isinstance(data[key], list):
            raise ClientFileError(
                "should be a list of clients, or a mapping with a 'clients:' list", path=where
            )
        node: yaml.Node | None = None
        if isinstance(root, yaml.MappingNode):
            node = next((v for k, v in root.value if getattr(k, "value", None) == key), None)
        nodes = list(node.value) if isinstance(node, yaml.SequenceNode) else []
        return list(data[key]), nodes
    if isinstance(data, list):
        return data, list(root.value) if isinstance(root, yaml.SequenceNode) else []
    raise ClientFileError(
        f"should be a list of clients, or a mapping with a 'clients:' list; "
        f"it holds a {type(data).__name__}",
        path=where,
    )


def _normalise_nested_keys(value: Any, depth: int = 0) -> Any:
    if depth > 4:  # records nest 4 deep at most; deeper (or recursive aliases) is left as is
        return value
    if isinstance(value, dict):
        return {
            field_key(k) if isinstance(k, str) else k: _normalise_nested_keys(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalise_nested_keys(v, depth + 1) for v in value]
    return value


# --- checks across rows ----------------------------------------------------------------------


def _listed(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _check_duplicates(result: ClientFile, *, unit: str) -> None:
    """The same IEC twice, or one portal user for two IECs: all those rows are skipped."""
    bad: set[int] = set()
    by_iec: dict[str, list[int]] = {}
    for row, record in result.records:
        by_iec.setdefault(record.iec, []).append(row)
    for iec, rows in by_iec.items():
        if len(rows) > 1:
            message = (
                f"IEC {iec} appears on {unit} {_listed([str(r) for r in rows])}; each client must "
                "appear once (all of these rows are skipped)"
            )
            result.errors.extend(RecordError(message, field="iec", row=r) for r in rows)
            bad.update(rows)
            result.duplicate_rows.update(rows)
    by_user: dict[str, list[tuple[int, str]]] = {}
    for row, record in result.records:
        if row not in bad and record.portal_user:
            by_user.setdefault(record.portal_user.lower(), []).append((row, record.iec))
    for user, entries in by_user.items():
        if len(entries) > 1:
            message = (
                f"portal_user {user} is used on {unit} "
                f"{_listed([f'{r} (IEC {iec})' for r, iec in entries])}; the portal links one IEC "
                "per user (all of these rows are skipped)"
            )
            rows = [r for r, _ in entries]
            result.errors.extend(RecordError(message, field="portal_user", row=r) for r in rows)
            bad.update(rows)
            result.duplicate_rows.update(rows)
    if bad:
        result.records = [(row, rec) for row, rec in result.records if row not in bad]
    result.errors.sort(key=lambda e: e.row or 0)
