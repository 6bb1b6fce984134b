"""Reading client files into rows: text (CSV) with its encoding, and Excel workbooks.

``read_text`` decodes UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode
text") or, with a warning, Windows-1252; anything else is a ``ClientFileError``.
``csv_rows`` and ``xlsx_rows`` yield ``(row number, cells)`` as a spreadsheet numbers them;
``xlsx_rows`` reads the first visible sheet unless one is named (hidden sheets only then).
Every failure of the file itself becomes a ``ClientFileError`` naming the path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from rpa.errors import ClientFileError

# --- text files ------------------------------------------------------------------------------


def read_text(path: Path) -> str:
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClientFileError(f"cannot be read: {exc.strerror or exc}", path=where) from exc
    if data.startswith(b"PK\x03\x04"):
        raise ClientFileError(
            "this is an Excel workbook (a zip archive), not text: name it .xlsx", path=where
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ClientFileError(
                "looks like UTF-16 text but cannot be decoded", path=where
            ) from exc
    if b"\x00" in data[:8192]:
        raise ClientFileError("looks like a binary file, not text", path=where)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ClientFileError(
                f"is not UTF-8 text (byte 0x{data[utf8_error.start]:02x} at offset "
                f"{utf8_error.start}) nor Windows-1252; save it as 'CSV UTF-8'",
                path=where,
            ) from utf8_error
        logger.warning(
            "{}: not UTF-8; read it as Windows-1252 (Excel's old default). "
            "Save it as 'CSV UTF-8' to be sure names come out right",
            where,
        )
        return text


def csv_rows(path: Path, text: str) -> Iterator[tuple[int, list[Any]]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line else ","
    if first_line and first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, list(cells)
    except csv.Error as exc:
        raise ClientFileError(f"is not valid CSV: {exc}", path=str(path), row=number + 1) from exc


# --- Excel ----------------------------------------------------------------------------------


@dataclass
class Sheets:
    """The sheet a workbook's rows come from, and the workbook's other sheets."""

    chosen: str
    visible: list[str]  # worksheets (not charts) a person sees, in workbook order
    hidden: list[str]  # hidden and "very hidden" worksheets: read only when named
    named: bool  # the caller named the sheet (else the first visible one was taken)


def xlsx_rows(path: Path, *, sheet: str | None) -> tuple[Sheets, Iterator[tuple[int, list[Any]]]]:
    """The chosen sheet and its rows (numbered as Excel numbers them).

    Without ``sheet``, the first visible worksheet: hidden sheets (lookup lists, old data)
    are read only when ``sheet`` names one.
    """
    import openpyxl

    where = str(path)
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ClientFileError(
            "is password-protected or an old .xls workbook; remove the password and "
            "save it as .xlsx",
            path=where,
        )
    if not magic.startswith(b"PK"):
        raise ClientFileError(
            "is not an Excel workbook (an .xlsx file is a zip archive and this one is not; "
            "is it a CSV file renamed to .xlsx?)",
            path=where,
        )
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike: the file is broken
        raise ClientFileError(
            f"is not a readable Excel workbook ({type(exc).__name__}: {exc}); "
            "open it in Excel and save it again",
            path=where,
        ) from exc
    names = list(book.sheetnames)
    tables = [n for n in names if hasattr(book[n], "iter_rows")]
    visible = [n for n in tables if getattr(book[n], "sheet_state", "visible") == "visible"]
    hidden = [n for n in tables if n not in visible]
    if sheet is None:
        chosen = visible[0] if visible else None
        if chosen is None:
            book.close()
            listed = ", ".join(repr(n) for n in hidden)
            raise ClientFileError(
                "has no visible sheet to read"
                + (f"; name a hidden one with --sheet ({listed})" if hidden else ""),
                path=where,
            )
    else:
        chosen = next((n for n in names if n == sheet), None) or next(
            (n for n in names if n.strip().lower() == sheet.strip().lower()), None
        )
    if chosen is None:
        book.close()
        shown = [n for n in names if n not in hidden]
        listed = ", ".join(repr(n) for n in shown) or "none"
        if hidden:
            listed += "; hidden: " + ", ".join(repr(n) for n in hidden)
        raise ClientFileError(f"has no sheet {sheet!r} (sheets: {listed})", path=where)
    worksheet = book[chosen]
    if not hasattr(worksheet, "iter_rows"):
        book.close()
        raise ClientFileError(f"sheet {chosen!r} is a chart, not a table", path=where)
    return Sheets(chosen, visible, hidden, sheet is not None), _xlsx_iter(where, book, worksheet)


def _xlsx_iter(where: str, book: Any, worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    try:
        worksheet.reset_dimensions()  # some writers record wrong dimensions; read them all
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    except Exception as exc:  # zip, XML or openpyxl errors from a damaged sheet
        raise ClientFileError(
            f"the workbook is damaged ({type(exc).__name__}); open it in Excel and save it again",
            path=where,
            row=number + 1,
        ) from exc
    finally:
        book.close()
