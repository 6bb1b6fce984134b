"""Client files: CSV, Excel (.xlsx) and YAML lists of client records.

``load_clients(path)`` reads one file and returns a ``ClientFile``: the good records with
their row numbers, and one ``RecordError`` per problem of each bad row (the bad row is
skipped, the others proceed). A file that cannot be read at all raises ``ClientFileError``
naming the path: missing, empty, unknown extension, missing required columns, a corrupt
workbook, text in an unknown encoding, more than ``MAX_ROWS`` rows.

Row numbers are what a person sees: in CSV and Excel the header is row 1 (blank lines
count, as in a spreadsheet); in YAML, the line where the client's item starts.

Columns (CSV/Excel) and keys (YAML) are matched ignoring case, spaces, hyphens and
anything in brackets: ``Portal Password``, ``portal_password``, ``PORTAL PASSWORD`` are one
column. Nested fields are flattened as ``changes.address.line1`` or
``change_address_line1``, ``changes.bank.ifsc``, ``changes.branches.1.city`` and
``documents.address_proof`` (or ``document_address_proof``, or just ``address_proof``).
Unknown columns are ignored with one warning per file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from loguru import logger

from rpa.clientcolumns import (
    REQUIRED_COLUMNS,
    ColumnPath,
    column_path,
    field_key,
    normalise_key,
    unflatten,
)
from rpa.clientreaders import csv_rows, read_text, xlsx_rows
from rpa.errors import ClientFileError, RecordError
from rpa.records import ClientRecord, check_record

MAX_ROWS = 100_000
MAX_FILE_BYTES = 100 * 1024 * 1024
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class ClientFile:
    """What a client file held: good records by row, and the problems of the bad rows."""

    path: Path
    format: str  # csv | xlsx | yaml
    records: list[tuple[int, ClientRecord]] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str | None = None

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
        sheet_name, rows = xlsx_rows(path, sheet=sheet)
        return _from_table(path, "xlsx", rows, max_rows=max_rows, sheet=sheet_name)
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
    sheet: str | None = None,
) -> ClientFile:
    iterator = iter(rows)
    try:
        return _read_table(path, fmt, iterator, max_rows=max_rows, sheet=sheet)
    finally:
        close = getattr(iterator, "close", None)
        if callable(close):
            close()  # an Excel reader closes its workbook


def _read_table(
    path: Path,
    fmt: str,
    iterator: Iterator[tuple[int, list[Any]]],
    *,
    max_rows: int,
    sheet: str | None,
) -> ClientFile:
    where = str(path)
    header: list[Any] | None = None
    header_row = 1
    for header_row, cells in iterator:  # noqa: B007 (the header's row is kept)
        if not all(_blank(c) for c in cells):
            header = cells
            break
    if header is None:
        raise ClientFileError("the file is empty (no header row)", path=where)
    columns, ignored = _columns(where, header, header_row)
    result = ClientFile(path=path, format=fmt, ignored_columns=ignored, sheet=sheet)
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
        flat = {
            columns[i]: _cell(cells[i])
            for i in range(min(len(cells), len(header)))
            if i in columns and not _blank(cells[i])
        }
        _add(result, check_record(unflatten(flat), base_dir=base_dir, row=number), number)
    if seen == 0:
        raise ClientFileError("has a header but no client rows", path=where)
    if ignored:
        logger.warning(
            "{}: ignoring columns that are not client fields: {}",
            where,
            ", ".join(repr(c) for c in ignored),
        )
    _check_duplicates(result, unit="rows")
    return result


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _columns(where: str, header: list[Any], row: int) -> tuple[dict[int, ColumnPath], list[str]]:
    """Column index → field path; the names of ignored columns. Whole-file checks here."""
    columns: dict[int, ColumnPath] = {}
    names: dict[ColumnPath, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        name = "" if raw is None else str(raw).strip()
        target = column_path(name) if name else None
        if target is None:
            if name:
                ignored.append(name)
            continue
        if target in names:
            raise ClientFileError(
                f"columns '{names[target]}' and '{name}' both mean {'.'.join(map(str, target))}",
                path=where,
                row=row,
            )
        for other, other_name in names.items():
            shorter, longer = sorted((other, target), key=len)
            if longer[: len(shorter)] == shorter:
                raise ClientFileError(
                    f"columns '{other_name}' and '{name}' overlap (one is part of the other)",
                    path=where,
                    row=row,
                )
        names[target] = name
        columns[index] = target
    present = {target[0] for target in names}
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        raise ClientFileError(
            f"missing required columns: {', '.join(missing)}"
            f" (found: {', '.join(repr(n) for n in names.values()) or 'none'})",
            path=where,
            row=row,
        )
    return columns, ignored


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
        for key, value in item.items():
            target = _yaml_key_path(key)
            if target is None:
                ignored[str(key)] = None
            elif value is not None:
                flat[target] = _normalise_nested_keys(value)
        _add(result, check_record(unflatten(flat), base_dir=path.parent, row=line), line)
    if ignored:
        result.ignored_columns = list(ignored)
        logger.warning(
            "{}: ignoring keys that are not client fields: {}",
            where,
            ", ".join(repr(k) for k in ignored),
        )
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
    if bad:
        result.records = [(row, rec) for row, rec in result.records if row not in bad]
    result.errors.sort(key=lambda e: e.row or 0)
