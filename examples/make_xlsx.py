"""Write examples/clients.xlsx from examples/clients.csv (run after editing the CSV).

    .venv/bin/python examples/make_xlsx.py

The workbook holds the same clients as the CSV, the way a consultant's spreadsheet would:
a "Clients" sheet with the date of birth as real Excel date cells (shown DD/MM/YYYY), every
other column stored as text (so old IECs keep their leading zeros), and a "Notes" sheet
that the loader ignores unless asked for it with ``--sheet``.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "clients.csv"
TARGET = HERE / "clients.xlsx"
FIXED_TIME = datetime(2025, 4, 1, 9, 0, 0)  # so regenerating changes as little as possible


def _dob(text: str) -> date:
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def main() -> None:
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    dob_column = header.index("dob")

    book = Workbook()
    sheet = book.active
    sheet.title = "Clients"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in body:
        sheet.append([_dob(v) if i == dob_column else (v or None) for i, v in enumerate(values)])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column == dob_column + 1:
                cell.number_format = "DD/MM/YYYY"
            else:
                cell.number_format = "@"  # text: keeps leading zeros
    for index, name in enumerate(header, start=1):
        width = max(len(name), *(len(r[index - 1]) for r in body)) + 2
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(
            width, 45
        )
    sheet.freeze_panes = "B2"

    notes = book.create_sheet("Notes")
    notes.append(["Sample clients for dgft-rpa. All firms, PANs and numbers are fictional."])
    notes.append(["Secrets are env: references; set DEMO_PORTAL_PASSWORD, DEMO_DSC_PIN,"])
    notes.append(["DEMO_AADHAAR_<last 4 of the IEC> in the environment before a run."])

    book.properties.creator = "dgft-rpa examples/make_xlsx.py"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.save(TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
