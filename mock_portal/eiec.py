"""The e-IEC certificate as a PDF (fpdf2, core fonts). Layout invented [I]; contents [S]."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fpdf import FPDF

from mock_portal import wording

_REPLACEMENTS = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "₹": "Rs."}


def _latin1(text: Any) -> str:
    out = str(text if text is not None else "")
    for bad, good in _REPLACEMENTS.items():
        out = out.replace(bad, good)
    return out.encode("latin-1", "replace").decode("latin-1")


def display_date(value: str | None) -> str:
    if not value:
        return "-"
    return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")


def address_lines(addr: dict[str, Any]) -> str:
    parts = [addr.get("line1"), addr.get("line2"), addr.get("city"), addr.get("state")]
    text = ", ".join(p for p in parts if p)
    return f"{text} - {addr['pin']}" if addr.get("pin") else text


def render(record: dict[str, Any], *, generated_at: datetime) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"e-IEC {record['iec']}")
    pdf.set_author("Directorate General of Foreign Trade")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1("Government of India"), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.cell(0, 8, _latin1(wording.EIEC_ISSUER), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 12, "e-Importer Exporter Code (e-IEC)", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(2)

    rows = [
        ("IEC Number", record["iec"]),
        ("PAN", record["pan"]),
        ("Firm Name", record["firm_name"]),
        ("Name as per PAN", record.get("name_as_per_pan")),
        ("Nature of Concern", record.get("nature_of_concern")),
        ("Address", address_lines(record.get("address") or {})),
        ("Email ID", record.get("email")),
        ("Mobile Number", record.get("mobile")),
        ("Date of Issue", display_date(record.get("issue_date"))),
        ("Last Update Date", display_date(record.get("last_updated"))),
        ("IEC Status", record.get("status_word")),
    ]
    for index, person in enumerate(record.get("directors") or [], start=1):
        label = "Proprietor/Partner/Director" if index == 1 else ""
        rows.append((label, f"{person.get('name', '')} ({person.get('designation', '')})"))
    bank = record.get("bank") or {}
    if bank:
        rows.append(
            (
                "Bank",
                f"{bank.get('bank_name', '')}, A/c {bank.get('account_number', '')}"
                f", IFSC {bank.get('ifsc', '')}",
            )
        )
    _table(pdf, rows)

    branches = record.get("branches") or []
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Branch Details", new_x="LMARGIN", new_y="NEXT")
    if branches:
        _table(
            pdf,
            [
                (f"Branch {b.get('code') or i}", address_lines(b))
                for i, b in enumerate(branches, start=1)
            ],
        )
    else:
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 7, "No branches", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(0, 6, _latin1(wording.EIEC_NOTE), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        0, 6, _latin1(f"Generated on {generated_at:%d/%m/%Y %H:%M}"), new_x="LMARGIN", new_y="NEXT"
    )
    return bytes(pdf.output())


def _table(pdf: FPDF, rows: list[tuple[str, Any]]) -> None:
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        y = pdf.get_y()
        pdf.multi_cell(60, 7, _latin1(label), border=0, new_x="RIGHT", new_y="TOP")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(
            0,
            7,
            _latin1(value if value not in (None, "") else "-"),
            border=0,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_y(max(pdf.get_y(), y + 7))
