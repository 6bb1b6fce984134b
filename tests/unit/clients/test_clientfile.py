"""Client files: CSV, Excel and YAML; header matching; bad rows; whole-file errors; the CLI."""

from __future__ import annotations

import contextlib
import csv
import json
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger
from openpyxl import Workbook
from typer.testing import CliRunner

from rpa.clients.columns import REQUIRED_COLUMNS, column_path
from rpa.clients.file import MAX_ROWS, ClientFile, load_clients
from rpa.errors import ClientFileError, RecordError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

HEADER = [
    "iec", "pan", "firm_name", "name_as_per_pan", "dob", "email", "mobile",
    "portal_password", "sign_with", "dsc_token", "dsc_pin", "aadhaar",
]  # fmt: skip
ROWS = [
    ["AABCB4821K", "AABCB4821K", "Bharat Spices Exports Pvt Ltd", "BHARAT SPICES", "12/08/2009",
     "exports@bharatspices.example", "9000010001", "env:PW", "dsc", "ePass2003", "env:PIN", ""],
    ["0395012847", "ACFPN7314Q", "Kaveri Handlooms", "LAKSHMI NARAYANAN", "21-06-1978",
     "kaveri@mail.example", "+91 90000 10002", "env:PW", "aadhaar", "", "", "env:AAD"],
    ["AAJFG2290M", "AAJFG2290M", "Ganga Agro Foods LLP", "GANGA AGRO FOODS LLP", "2016-04-03",
     "accounts@gangaagro.example", "9000010003", "env:PW", "dsc", "WD ProxKey", "env:PIN", ""],
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[Any]], **kw: Any) -> Path:
    encoding = kw.pop("encoding", "utf-8")
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, **kw)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[Any], rows: list[list[Any]], title: str = "Sheet1") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    handler = logger.add(lambda m: messages.append(str(m)), level="WARNING", format="{message}")
    yield messages
    with contextlib.suppress(ValueError):  # a test may have reset loguru's sinks
        logger.remove(handler)


def reasons(loaded: ClientFile) -> list[tuple[int | None, str]]:
    return [(e.row, str(e)) for e in loaded.errors]


# --- CSV ---------------------------------------------------------------------------------------


def test_a_csv_file_gives_records_with_row_numbers(tmp_path: Path) -> None:
    loaded = load_clients(write_csv(tmp_path / "c.csv", HEADER, ROWS))
    assert loaded.ok
    assert loaded.format == "csv"
    assert [(row, r.iec) for row, r in loaded.records] == [
        (2, "AABCB4821K"),
        (3, "0395012847"),
        (4, "AAJFG2290M"),
    ]
    assert loaded.records[1][1].mobile == "9000010002"
    assert loaded.records[1][1].dob == date(1978, 6, 21)


def test_a_bad_row_is_reported_with_its_number_and_the_others_load(tmp_path: Path) -> None:
    rows = [ROWS[0], [*ROWS[1][:6], "12345", *ROWS[1][7:]], ROWS[2]]
    loaded = load_clients(write_csv(tmp_path / "c.csv", HEADER, rows))
    assert [row for row, _ in loaded.records] == [2, 4]
    assert reasons(loaded) == [
        (3, "mobile must be 10 digits (an Indian mobile number), got '12345'")
    ]
    assert loaded.bad_rows == [3]
    assert loaded.errors[0].field == "mobile"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Portal Password", "portal_password"),
        ("portal_password", "portal_password"),
        ("PORTAL PASSWORD", "portal_password"),
        (" portal-password ", "portal_password"),
        ("Firm Name", "firm_name"),
        ("Name as per PAN", "name_as_per_pan"),
        ("DOB (DD/MM/YYYY)", "dob"),
        ("Date of Birth", "dob"),
        ("D.O.B.", "dob"),
        ("IEC No.", "iec"),
        ("Mobile Number", "mobile"),
        ("Email ID", "email"),
        ("Sign With", "sign_with"),
        ("Aadhar Number", "aadhaar"),
    ],
)
def test_headers_are_matched_ignoring_case_spaces_and_brackets(header: str, field: str) -> None:
    assert column_path(header) == (field,)


OFFICE_HEADERS = [
    ("Registered Email", "email"),
    ("Registered Email ID", "email"),
    ("E-mail", "email"),
    ("DGFT Login ID", "portal_user"),
    ("DGFT User ID", "portal_user"),
    ("Login ID", "portal_user"),
    ("DGFT Password", "portal_password"),
    ("Password", "portal_password"),
    ("Name of Firm", "firm_name"),
    ("Name of the Firm", "firm_name"),
    ("Firm Name", "firm_name"),
    ("Company Name", "firm_name"),
    ("Name (as per PAN)", "name_as_per_pan"),
    ("Name as per PAN Card", "name_as_per_pan"),
    ("IEC No", "iec"),
    ("IEC No.", "iec"),
    ("IEC Code", "iec"),
    ("IEC Number", "iec"),
    ("PAN No", "pan"),
    ("PAN Card No", "pan"),
    ("Mobile No", "mobile"),
    ("Mobile No.", "mobile"),
    ("Mobile Number", "mobile"),
    ("Registered Mobile No", "mobile"),
    ("Contact No", "mobile"),
    ("DSC Token", "dsc_token"),
    ("Token Name", "dsc_token"),
    ("DSC PIN", "dsc_pin"),
    ("Token PIN", "dsc_pin"),
    ("DSC Password", "dsc_pin"),
    ("DSC Certificate", "dsc_cert"),
    ("Name on DSC", "dsc_cert"),
    ("Signing", "sign_with"),
    ("DSC / Aadhaar", "sign_with"),
    ("Mode of Signing", "sign_with"),
    ("Date of Incorporation", "dob"),
    ("Date of Birth / Incorporation", "dob"),
    ("DOB", "dob"),
    ("D.O.I.", "dob"),
    ("Aadhaar No", "aadhaar"),
    ("Aadhaar No / VID", "aadhaar"),
    ("Aadhar Card No", "aadhaar"),
    ("Constitution", "nature_of_concern"),
    ("Constitution of Business", "nature_of_concern"),
    ("Type of Entity", "nature_of_concern"),
]


@pytest.mark.parametrize(("header", "field"), OFFICE_HEADERS)
def test_the_headers_indian_ca_offices_use_are_understood(header: str, field: str) -> None:
    assert column_path(header) == (field,)


def test_a_loose_column_is_read_alone_and_yields_to_one_naming_the_field(tmp_path: Path) -> None:
    alone = [("Contact No" if h == "mobile" else h) for h in HEADER]
    loaded = load_clients(write_csv(tmp_path / "alone.csv", alone, ROWS))
    assert loaded.ok, reasons(loaded)
    assert loaded.clients[0].mobile == "9000010001"
    both = [*HEADER, "Contact No"]
    loaded = load_clients(
        write_csv(tmp_path / "both.csv", both, [[*r, "022 2345 6789"] for r in ROWS])
    )
    assert loaded.ok, reasons(loaded)
    assert loaded.clients[0].mobile == "9000010001"
    assert loaded.ignored_columns == ["Contact No"]


def test_a_header_not_understood_is_named_with_a_did_you_mean_when_a_column_is_missing(
    tmp_path: Path,
) -> None:
    header = [("Regd Emial" if h == "email" else "Mobil" if h == "mobile" else h) for h in HEADER]
    message = file_error(write_csv(tmp_path / "c.csv", [*header, "Fax"], []))
    assert (
        "missing required columns: email, mobile; columns not understood: "
        "'Regd Emial' (did you mean email?), 'Mobil' (did you mean mobile?), 'Fax'"
    ) in message


@pytest.mark.parametrize(
    ("header", "path"),
    [
        ("changes.address.line1", ("changes", "address", "line1")),
        ("Changes.Address.Line 1", ("changes", "address", "line1")),
        ("change_address_line1", ("changes", "address", "line1")),
        ("Change Address Line 1", ("changes", "address", "line1")),
        ("change address pin code", ("changes", "address", "pin")),
        ("changes_bank_ifsc", ("changes", "bank", "ifsc")),
        ("change_email", ("changes", "email")),
        ("changes.branches.2.city", ("changes", "branches", 2, "city")),
        ("change_branch2_city", ("changes", "branches", 2, "city")),
        ("documents.address_proof", ("documents", "address_proof")),
        ("document_bank_certificate", ("documents", "bank_certificate")),
        ("Address Proof", ("documents", "address_proof")),
        ("change_gstin", ("changes", "gstin")),
        ("Notes", None),
        ("changes", None),
        ("", None),
    ],
)
def test_nested_columns_are_flattened_with_dots_or_underscores(
    header: str, path: tuple[Any, ...] | None
) -> None:
    assert column_path(header) == path


def test_nested_columns_build_changes_and_documents(tmp_path: Path) -> None:
    (tmp_path / "proof.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    header = [
        *HEADER, "Change Address Line 1", "changes.address.city", "changes.address.state",
        "change_address_pin", "changes.branches.1.line1", "changes.branches.1.city",
        "changes.branches.1.state", "changes.branches.1.pin", "documents.address_proof",
    ]  # fmt: skip
    rows = [
        [*ROWS[0], "Plot 14", "Pune", "Maharashtra", "411026", "GIDC", "Vapi", "Gujarat",
         "396195", "proof.pdf"],
        [*ROWS[1], "", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    loaded = load_clients(write_csv(tmp_path / "c.csv", header, rows))
    assert loaded.ok, reasons(loaded)
    first, second = loaded.clients
    assert first.changes is not None and first.changes.address is not None
    assert first.changes.address.city == "Pune"
    assert first.changes.branches is not None and first.changes.branches[0].city == "Vapi"
    assert first.documents is not None
    assert first.documents.address_proof == (tmp_path / "proof.pdf").resolve()
    assert second.changes is None and second.documents is None


def test_an_unknown_change_column_is_refused_on_the_rows_that_fill_it(tmp_path: Path) -> None:
    rows = [[*ROWS[0], "27AABCB4821K1Z5"], [*ROWS[1], ""]]
    loaded = load_clients(write_csv(tmp_path / "c.csv", [*HEADER, "change_gstin"], rows))
    assert [row for row, _ in loaded.records] == [3]
    assert loaded.errors[0].row == 2
    assert loaded.errors[0].field == "changes.gstin"
    assert str(loaded.errors[0]).startswith("change_gstin is not a known field")


def test_columns_not_understood_are_ignored_with_one_warning_and_a_did_you_mean(
    tmp_path: Path, warnings: list[str]
) -> None:
    header = [*HEADER, "Regd Emial", "Fax"]
    loaded = load_clients(write_csv(tmp_path / "c.csv", header, [[*r, "x", "y"] for r in ROWS]))
    assert loaded.ok
    assert loaded.ignored_columns == ["Regd Emial", "Fax"]
    assert [(u.name, u.suggestion) for u in loaded.unknown_columns] == [
        ("Regd Emial", "email"),
        ("Fax", None),
    ]
    found = [w for w in warnings if "ignoring columns" in w]
    assert len(found) == 1
    assert "'Regd Emial' (did you mean email?), 'Fax'" in found[0]


@pytest.mark.parametrize(
    "header", ["Sr No", "S.No.", "Sr. No.", "Sl No", "Serial No", "#", "Remarks", "Notes",
               "GSTIN", "GST Password", "ICEGATE ID"],
)  # fmt: skip
def test_columns_offices_keep_that_are_no_client_field_are_ignored_quietly(
    tmp_path: Path, warnings: list[str], header: str
) -> None:
    rows = [[str(i), *r] for i, r in enumerate(ROWS, start=1)]
    loaded = load_clients(write_csv(tmp_path / "c.csv", [header, *HEADER], rows))
    assert loaded.ok, reasons(loaded)
    assert loaded.ignored_columns == [header] and loaded.unknown_columns == []
    assert warnings == []


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", HEADER, ROWS, encoding="utf-8-sig")
    assert load_clients(path).ok


def test_a_windows_1252_file_is_read_with_a_warning(tmp_path: Path, warnings: list[str]) -> None:
    rows = [[*ROWS[0][:2], "Café Exports Pvt Ltd", *ROWS[0][3:]]]
    loaded = load_clients(write_csv(tmp_path / "c.csv", HEADER, rows, encoding="cp1252"))
    assert loaded.clients[0].firm_name == "Café Exports Pvt Ltd"
    assert any("Windows-1252" in w for w in warnings)


def test_a_utf16_file_saved_by_excel_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", HEADER, ROWS, encoding="utf-16", delimiter="\t")
    assert len(load_clients(path).records) == 3


def test_a_semicolon_separated_file_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", HEADER, ROWS, delimiter=";")
    assert len(load_clients(path).records) == 3


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    lines = [",".join(HEADER), ",".join(ROWS[0]), "", ",,,,", ",".join(ROWS[2])]
    path.write_text("\n".join(lines) + "\n")
    assert [row for row, _ in load_clients(path).records] == [2, 5]


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path: Path) -> None:
    rows = [ROWS[0], [*ROWS[1], "stray"], ROWS[2]]
    loaded = load_clients(write_csv(tmp_path / "c.csv", HEADER, rows))
    assert loaded.bad_rows == [3]
    assert "13 cells but the header has 12 columns" in str(loaded.errors[0])


# --- duplicates --------------------------------------------------------------------------------


def test_a_duplicate_iec_is_reported_on_both_rows(tmp_path: Path) -> None:
    copy = [*ROWS[0][:5], "other@bharatspices.example", *ROWS[0][6:]]
    loaded = load_clients(write_csv(tmp_path / "c.csv", HEADER, [ROWS[0], ROWS[1], copy]))
    assert [row for row, _ in loaded.records] == [3]
    message = "IEC AABCB4821K appears on rows 2 and 4; each client must appear once"
    assert [(e.row, e.field) for e in loaded.errors] == [(2, "iec"), (4, "iec")]
    assert all(str(e).startswith(message) for e in loaded.errors)


def test_one_portal_user_for_two_iecs_is_reported_on_both_rows(tmp_path: Path) -> None:
    rows = [ROWS[0], [*ROWS[1][:5], ROWS[0][5], *ROWS[1][6:]], ROWS[2]]
    loaded = load_clients(write_csv(tmp_path / "c.csv", HEADER, rows))
    assert [row for row, _ in loaded.records] == [4]
    assert loaded.bad_rows == [2, 3]
    assert "rows 2 (IEC AABCB4821K) and 3 (IEC 0395012847)" in str(loaded.errors[0])


def test_all_of_a_rows_problems_are_reported_at_once_named_by_the_files_headers(
    tmp_path: Path,
) -> None:
    header = ["IEC No", "PAN No", "Name of Firm", "Name as per PAN", "Date of Incorporation",
              "Registered Email", "Mobile No", "DGFT Password", "Signing", "DSC Token",
              "DSC PIN", "Aadhaar No"]  # fmt: skip
    bad = ["AAJFG2290M", "AABCB4821K", "Ganga Agro", "GANGA AGRO", "31/02/2016",
           "accounts@gangaagro.example", "12345", "env:PW", "dsc", "", "env:PIN", ""]  # fmt: skip
    loaded = load_clients(write_csv(tmp_path / "c.csv", header, [ROWS[0], bad]))
    assert [row for row, _ in loaded.records] == [2]
    assert [(e.row, e.field, str(e)) for e in loaded.errors] == [
        (3, "dob", "Date of Incorporation '31/02/2016' is not a real date "
                   "(day 31, month 2, year 2016)"),
        (3, "mobile", "Mobile No must be 10 digits (an Indian mobile number), got '12345'"),
        (3, "iec", "IEC No 'AAJFG2290M' has the form of a PAN but PAN No is 'AABCB4821K'; "
                   "since 2020 a new IEC is the firm's PAN"),
        (3, "dsc_token", "Signing is dsc, so DSC Token (the token's name) is required"),
    ]  # fmt: skip
    assert loaded.label("dob") == "Date of Incorporation"


def test_refused_rows_carry_every_reason_and_the_iec_as_written(tmp_path: Path) -> None:
    copy = [*ROWS[0][:5], "other@bharatspices.example", *ROWS[0][6:]]
    bad = [" aajfg 2290m ", *ROWS[2][1:6], "12345", *ROWS[2][7:9], "", *ROWS[2][10:]]
    nameless = ["", *ROWS[1][1:]]
    rows = [ROWS[0], bad, copy, nameless]
    loaded = load_clients(write_csv(tmp_path / "c.csv", HEADER, rows))
    assert loaded.records == []
    refused = {r.row: r for r in loaded.refused}
    assert sorted(refused) == [2, 3, 4, 5]
    assert refused[2].client == "AABCB4821K" and refused[2].duplicate
    assert refused[2].reason.startswith("IEC AABCB4821K appears on rows 2 and 4")
    assert refused[3].client == "AAJFG2290M" and not refused[3].duplicate
    assert refused[3].reasons == (
        "mobile must be 10 digits (an Indian mobile number), got '12345'",
        "sign_with is dsc, so dsc_token (the token's name) is required",
    )
    assert refused[5].client is None and refused[5].reasons == ("iec is required",)


# --- Excel -------------------------------------------------------------------------------------


def test_an_excel_file_gives_records_from_its_first_sheet(tmp_path: Path) -> None:
    header = ["IEC", "PAN", "Firm Name", "Name as per PAN", "DOB", "Email", "Mobile",
              "Portal Password", "Sign With", "DSC Token", "DSC PIN", "Aadhaar"]  # fmt: skip
    rows: list[list[Any]] = [list(r) for r in ROWS]
    rows[0][4] = datetime(2009, 8, 12)  # a date cell
    rows[1][6] = 9000010002  # a number cell
    rows[2][4] = date(2016, 4, 3)
    loaded = load_clients(write_xlsx(tmp_path / "c.xlsx", header, rows))
    assert loaded.ok, reasons(loaded)
    assert loaded.format == "xlsx" and loaded.sheet == "Sheet1"
    assert [r.dob for r in loaded.clients] == [
        date(2009, 8, 12),
        date(1978, 6, 21),
        date(2016, 4, 3),
    ]
    assert loaded.clients[1].mobile == "9000010002"


def test_an_excel_iec_that_lost_its_leading_zero_is_reported(tmp_path: Path) -> None:
    rows: list[list[Any]] = [list(ROWS[1])]
    rows[0][0] = 395012847
    loaded = load_clients(write_xlsx(tmp_path / "c.xlsx", HEADER, rows))
    assert loaded.errors[0].row == 2
    assert "format the column as text" in str(loaded.errors[0])


def test_a_named_sheet_is_read(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["not", "clients"])
    sheet = book.create_sheet("Clients 2025")
    sheet.append(HEADER)
    sheet.append(ROWS[0])
    book.save(tmp_path / "c.xlsx")
    loaded = load_clients(tmp_path / "c.xlsx", sheet="clients 2025")
    assert loaded.sheet == "Clients 2025" and len(loaded.records) == 1


def test_an_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", HEADER, ROWS, title="Clients")
    with pytest.raises(ClientFileError, match=r"has no sheet 'Other' \(sheets: 'Clients'\)"):
        load_clients(path, sheet="Other")


def workbook(path: Path, sheets: list[tuple[str, list[list[Any]], str]]) -> Path:
    """A workbook of (title, rows, state) sheets, in order; state visible/hidden/veryHidden."""
    book = Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    book.save(path)
    return path


def test_a_hidden_sheet_is_never_read_unless_named(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "c.xlsx",
        [
            ("Lists", [["dsc"], ["aadhaar"]], "hidden"),
            ("Old clients", [HEADER, ROWS[1]], "veryHidden"),
            ("Clients", [HEADER, ROWS[0], ROWS[2]], "visible"),
        ],
    )
    loaded = load_clients(path)
    assert loaded.sheet == "Clients" and len(loaded.records) == 2
    assert loaded.sheets == ["Clients"] and loaded.hidden_sheets == ["Lists", "Old clients"]
    assert loaded.sheet_note is None
    named = load_clients(path, sheet="old clients")
    assert named.sheet == "Old clients" and [r.iec for r in named.clients] == ["0395012847"]


def test_with_several_visible_sheets_the_one_read_is_named(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "c.xlsx",
        [
            ("Rates", [["fee"]], "hidden"),
            ("FY 2025-26", [HEADER, ROWS[0]], "visible"),
            ("FY 2024-25", [HEADER, ROWS[1]], "visible"),
        ],
    )
    loaded = load_clients(path)
    assert loaded.sheet == "FY 2025-26"
    assert loaded.sheet_note == (
        "read sheet 'FY 2025-26', the first of 2 visible sheets (the others: 'FY 2024-25'); "
        "name another with --sheet"
    )
    assert load_clients(path, sheet="FY 2025-26").sheet_note is None


def test_an_unknown_sheet_lists_the_hidden_ones_apart(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "c.xlsx",
        [("Clients", [HEADER, ROWS[0]], "visible"), ("Lists", [["x"]], "hidden")],
    )
    with pytest.raises(ClientFileError, match=r"\(sheets: 'Clients'; hidden: 'Lists'\)"):
        load_clients(path, sheet="Other")


def test_a_title_above_the_table_is_not_taken_for_the_header(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["Sharma & Associates, Chartered Accountants"],
        ["DGFT clients, FY 2025-26"],
        [],
        HEADER,
        ROWS[0],
        ROWS[1],
    ]
    loaded = load_clients(workbook(tmp_path / "c.xlsx", [("Clients", rows, "visible")]))
    assert loaded.ok, reasons(loaded)
    assert [row for row, _ in loaded.records] == [5, 6]


def test_excel_rows_are_numbered_as_excel_numbers_them(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(ROWS[0])
    sheet.append([])
    sheet.append(ROWS[1])
    book.save(tmp_path / "c.xlsx")
    assert [row for row, _ in load_clients(tmp_path / "c.xlsx").records] == [3, 5]


# --- YAML --------------------------------------------------------------------------------------

YAML_CLIENT = """\
  - iec: AABCB4821K
    pan: AABCB4821K
    firm_name: Bharat Spices Exports Pvt Ltd
    name_as_per_pan: BHARAT SPICES
    dob: 2009-08-12
    email: exports@bharatspices.example
    mobile: 9000010001
    portal_password: env:PW
    sign_with: dsc
    dsc_token: ePass2003
    dsc_pin: env:PIN
"""


def test_a_yaml_list_gives_records_numbered_by_line(tmp_path: Path) -> None:
    second = YAML_CLIENT.replace("AABCB4821K", "AAJFG2290M").replace("exports@", "x@")
    path = tmp_path / "c.yaml"
    path.write_text("# clients\n" + YAML_CLIENT + "\n" + second)
    loaded = load_clients(path)
    assert loaded.ok, reasons(loaded)
    assert [row for row, _ in loaded.records] == [2, 14]
    assert loaded.clients[0].dob == date(2009, 8, 12)
    assert loaded.clients[0].mobile == "9000010001"


def test_a_yaml_mapping_with_a_clients_list_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("clients:\n" + YAML_CLIENT)
    assert [row for row, _ in load_clients(path).records] == [2]


def test_yaml_keys_are_matched_like_headers(tmp_path: Path) -> None:
    text = YAML_CLIENT.replace("firm_name:", "Firm Name:").replace(
        "portal_password", "PORTAL PASSWORD"
    )
    text += "    changes:\n      Address:\n        Line 1: Plot 14\n        City: Pune\n"
    text += "        State: MH\n        Pin Code: 411026\n"
    path = tmp_path / "c.yaml"
    path.write_text(text)
    loaded = load_clients(path)
    assert loaded.ok, reasons(loaded)
    changes = loaded.clients[0].changes
    assert changes is not None and changes.address is not None and changes.address.pin == "411026"


def test_a_bad_yaml_date_is_a_row_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(YAML_CLIENT.replace("2009-08-12", "2009-13-45"))
    loaded = load_clients(path)
    assert reasons(loaded) == [
        (1, "dob '2009-13-45' is not a real date (day 45, month 13, year 2009)")
    ]


def test_yaml_keys_not_understood_get_a_did_you_mean_and_problems_use_the_keys(
    tmp_path: Path, warnings: list[str]
) -> None:
    text = YAML_CLIENT.replace("dob: 2009-08-12", "Date of Incorporation: 2009-13-45")
    path = tmp_path / "c.yaml"
    path.write_text(text + "    Remarks: new client\n    Mobil No: 9000010001\n")
    loaded = load_clients(path)
    assert [(u.name, u.suggestion) for u in loaded.unknown_columns] == [("Mobil No", "mobile")]
    assert reasons(loaded) == [
        (1, "Date of Incorporation '2009-13-45' is not a real date (day 45, month 13, year 2009)")
    ]
    assert any("'Mobil No' (did you mean mobile?)" in w for w in warnings)


def test_a_yaml_item_that_is_not_a_mapping_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(YAML_CLIENT + "  - just a string\n")
    loaded = load_clients(path)
    assert len(loaded.records) == 1
    assert reasons(loaded) == [(12, "client #2 is not a set of fields (key: value)")]


# --- whole-file errors -------------------------------------------------------------------------


def file_error(path: Path, **kw: Any) -> str:
    with pytest.raises(ClientFileError) as caught:
        load_clients(path, **kw)
    assert caught.value.path == str(path)
    assert isinstance(caught.value, RecordError)
    return str(caught.value)


def test_a_missing_file_is_a_file_error(tmp_path: Path) -> None:
    assert file_error(tmp_path / "gone.csv").endswith("the file does not exist")


@pytest.mark.parametrize("name", ["c.csv", "c.xlsx", "c.yaml"])
def test_an_empty_file_is_a_file_error(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    assert file_error(tmp_path / name).endswith("the file is empty")


def test_a_file_of_blank_lines_is_empty(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("\n , ,\n\n")
    assert "the file is empty" in file_error(tmp_path / "c.csv")


def test_a_header_without_rows_is_a_file_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", HEADER, [])
    assert file_error(path).endswith("has a header but no client rows")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("c.json", "unknown kind of client file '.json'; use .csv, .xlsx or .yaml"),
        ("clients", "unknown kind of client file '(no extension)'"),
        ("c.xls", "old Excel 97-2003 (.xls) files are not supported"),
    ],
)
def test_a_file_of_an_unknown_type_is_a_file_error(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / name).write_text("x")
    assert message in file_error(tmp_path / name)


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    header = [h for h in HEADER if h not in ("pan", "portal_password")]
    path = write_csv(tmp_path / "c.csv", header, [])
    message = file_error(path)
    assert f"{path}:1: missing required columns: pan, portal_password" in message


def test_required_columns_are_the_records_required_fields() -> None:
    assert REQUIRED_COLUMNS == (
        "iec", "pan", "firm_name", "name_as_per_pan", "dob", "email", "mobile",
        "portal_password", "sign_with",
    )  # fmt: skip


def test_two_columns_meaning_one_field_are_a_file_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [*HEADER, "Mobile Number"], [[*ROWS[0], "1"]])
    assert "columns 'mobile' and 'Mobile Number' both mean mobile" in file_error(path)


def test_a_file_over_the_row_cap_is_refused(tmp_path: Path) -> None:
    rows = [[f"{i:010d}", *ROWS[1][1:]] for i in range(1, 8)]
    path = write_csv(tmp_path / "c.csv", HEADER, rows)
    assert "has more than 5 client rows; split it" in file_error(path, max_rows=5)
    assert MAX_ROWS == 100_000


def test_a_yaml_file_over_the_row_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("\n".join(["- {iec: x}"] * 6))
    assert "has more than 5 clients" in file_error(path, max_rows=5)


def test_an_excel_file_that_is_not_a_zip_is_a_file_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.xlsx", HEADER, ROWS)  # a CSV renamed to .xlsx
    assert "is it a CSV file renamed to .xlsx?" in file_error(path)


def test_a_zip_that_is_not_a_workbook_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "is not a readable Excel workbook" in file_error(path)


def test_a_truncated_workbook_is_a_file_error(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", HEADER, ROWS)
    path = tmp_path / "c.xlsx"
    path.write_bytes(good.read_bytes()[:400])
    assert "Excel" in file_error(path) or "damaged" in file_error(path)


def test_a_password_protected_workbook_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "password-protected" in file_error(path)


def test_a_workbook_named_csv_is_a_file_error(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", HEADER, ROWS)
    path = tmp_path / "c.csv"
    path.write_bytes(good.read_bytes())
    assert "this is an Excel workbook" in file_error(path)


def test_text_in_an_unknown_encoding_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n\x81\x8d\x8f\n")
    assert "is not UTF-8 text (byte 0x81 at offset" in file_error(path)


def test_a_binary_file_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"iec,pan\x00\x01\x02")
    assert "looks like a binary file" in file_error(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just a string\n", "should be a list of clients, or a mapping with a 'clients:' list"),
        ("42\n", "it holds a int"),
        ("other: []\n", "should be a list of clients"),
        ("[]\n", "has no clients (an empty list)"),
        ("- a: [1, 2\n", "is not valid YAML"),
    ],
)
def test_yaml_of_the_wrong_shape_is_a_file_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert message in file_error(path)


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("- iec: x\n  pan: [\n- y\n")
    assert f"{path}:" in file_error(path)
    with pytest.raises(ClientFileError) as caught:
        load_clients(path)
    assert caught.value.row is not None


def test_a_sheet_only_applies_to_excel(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", HEADER, ROWS)
    assert "a sheet can only be chosen in an Excel" in file_error(path, sheet="x")


# --- the examples ------------------------------------------------------------------------------


def test_the_three_example_files_hold_the_same_valid_clients() -> None:
    loaded = [
        load_clients(EXAMPLES / name) for name in ("clients.csv", "clients.xlsx", "clients.yaml")
    ]
    for each in loaded:
        assert each.ok, reasons(each)
        assert len(each.records) == 12
    dumps = [[r.model_dump() for r in each.clients] for each in loaded]
    assert dumps[0] == dumps[1] == dumps[2]
    iecs = [r.iec for r in loaded[0].clients]
    assert sum(i.isdigit() for i in iecs) >= 4 and sum(not i.isdigit() for i in iecs) >= 4
    for record in loaded[0].clients:
        assert all(str(ref).startswith("env:") for ref in record.secret_refs().values())


# --- never a crash -----------------------------------------------------------------------------

COLUMNS = [*HEADER, "nature_of_concern", "changes.address.pin", "documents.address_proof",
           "change_email", "changes.branches.1.city"]  # fmt: skip


def assert_loads_or_refuses(path: Path) -> None:
    try:
        # random literals must not mask other text
        with patch("rpa.clients.secrets.register_secret"):
            loaded = load_clients(path)
    except ClientFileError:
        return
    assert all(isinstance(e, RecordError) and e.row is not None for e in loaded.errors)
    assert all(isinstance(row, int) for row, _ in loaded.records)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(COLUMNS), st.text(max_size=20)), max_size=4))
def test_random_cells_in_each_column_give_records_or_row_errors(rows: list[dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        assert_loads_or_refuses(path)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["c.csv", "c.yaml"]))
def test_random_text_never_crashes_the_parser(text: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(",".join(HEADER) + "\n" + text if name == "c.csv" else text)
        assert_loads_or_refuses(path)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_parser(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in ("c.csv", "c.xlsx", "c.yaml"):
            path = Path(folder) / name
            path.write_bytes(data)
            assert_loads_or_refuses(path)


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RPA_DATA_DIR", str(tmp_path / "rpa-data"))
    import rpa.cli.clients  # noqa: F401  (registers the commands)

    return CliRunner()


def run(cli: CliRunner, *args: str) -> Any:
    from rpa.cli.app import app

    return cli.invoke(app, ["clients", "check", *args])


def test_check_exits_0_when_every_row_is_good(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, str(write_csv(tmp_path / "c.csv", HEADER, ROWS)))
    assert result.exit_code == 0, result.output
    assert "3 good row(s), 0 bad row(s)" in result.output
    assert "AABCB4821K" in result.output


def test_check_exits_1_and_names_each_bad_row(cli: CliRunner, tmp_path: Path) -> None:
    rows = [ROWS[0], [*ROWS[1][:6], "12345", *ROWS[1][7:]]]
    result = run(cli, str(write_csv(tmp_path / "c.csv", HEADER, rows)))
    assert result.exit_code == 1
    assert "row 3" in result.output and "mobile must be 10 digits" in result.output
    assert "1 good row(s), 1 bad row(s)" in result.output


def test_check_exits_2_when_the_file_cannot_be_read(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, str(tmp_path / "gone.csv"))
    assert result.exit_code == 2


def test_check_prints_json(cli: CliRunner, tmp_path: Path) -> None:
    rows = [ROWS[0], [*ROWS[1][:6], "12345", *ROWS[1][7:]]]
    result = run(cli, str(write_csv(tmp_path / "c.csv", HEADER, rows)), "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["good"] == 1 and payload["bad_rows"] == [3]
    assert payload["records"][0]["client"]["iec"] == "AABCB4821K"
    assert payload["records"][0]["secrets"] == {"portal_password": "env:PW", "dsc_pin": "env:PIN"}
    assert payload["errors"][0]["field"] == "mobile"


def test_check_prints_json_for_an_unreadable_file(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, str(tmp_path / "gone.csv"), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["readable"] is False


def test_check_reads_a_named_excel_sheet(cli: CliRunner, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", HEADER, ROWS, title="Clients")
    assert run(cli, str(path), "--sheet", "Clients").exit_code == 0
    assert run(cli, str(path), "--sheet", "Nope").exit_code == 2


def test_check_with_secrets_resolves_them_without_showing_values(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW", "Cli-Portal-Pass")
    monkeypatch.setenv("PIN", "Cli-Pin-9876")
    monkeypatch.delenv("AAD", raising=False)
    path = write_csv(tmp_path / "c.csv", HEADER, ROWS)
    result = run(cli, str(path), "--secrets")
    assert result.exit_code == 1
    assert "environment variable AAD is not set" in result.output
    assert "Cli-Portal-Pass" not in result.output and "Cli-Pin-9876" not in result.output
    monkeypatch.setenv("AAD", "234567890123")
    assert run(cli, str(path), "--secrets").exit_code == 0


OFFICE_SHEET: list[list[Any]] = [
    ["Sr No", "IEC No", "PAN No", "Name of Firm", "Name as per PAN", "Date of Incorporation",
     "Registered Email", "Mobile No", "DGFT Login ID", "DGFT Password", "Signing", "DSC Token",
     "DSC Certificate", "DSC PIN", "Aadhaar No", "Constitution", "Remarks"],
    [1, "AABCB4821K", "AABCB4821K", "Bharat Spices Exports Pvt Ltd",
     "BHARAT SPICES EXPORTS PRIVATE LIMITED", datetime(2009, 8, 12),
     "exports@bharatspices.example", 9000010001, "", "env:PW", "DSC", "ePass2003",
     "BHARAT SPICES EXPORTS PRIVATE LIMITED", "env:PIN", "", "Pvt Ltd", "renewed 2025"],
    [2, "0395012847", "ACFPN7314Q", "Kaveri Handlooms", "LAKSHMI NARAYANAN",
     datetime(1978, 6, 21), "kaveri@mail.example", "+91 90000 10002", "kaveri.dgft",
     "env:PW", "Aadhar", "", "", "", "env:AAD", "Proprietorship", ""],
]  # fmt: skip


def test_check_passes_an_office_spreadsheet_with_a_hidden_sheet_and_sr_no(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "office.xlsx",
        [
            ("Lists", [["Signing"], ["DSC"], ["Aadhar"]], "hidden"),
            ("Clients", [["Sharma & Associates: DGFT clients"], *OFFICE_SHEET], "visible"),
            ("Archive", [["IEC No"], ["0000000000"]], "visible"),
        ],
    )
    result = run(cli, str(path))
    assert result.exit_code == 0, result.output
    assert "2 good row(s), 0 bad row(s)" in result.output
    assert "read sheet 'Clients', the first of 2 visible sheets" in result.output
    payload = json.loads(run(cli, str(path), "--json").stdout)
    assert payload["sheet"] == "Clients" and payload["hidden_sheets"] == ["Lists"]
    assert payload["ignored_columns"] == ["Sr No", "Remarks"]
    assert payload["unknown_columns"] == []
    second = payload["records"][1]["client"]
    assert (second["portal_user"], second["sign_with"]) == ("kaveri.dgft", "aadhaar")


def test_check_names_a_bad_rows_problems_by_the_files_headers_in_json(
    cli: CliRunner, tmp_path: Path
) -> None:
    rows = [OFFICE_SHEET[0], [*OFFICE_SHEET[1][:5], "31/02/2009", *OFFICE_SHEET[1][6:]]]
    path = workbook(tmp_path / "office.xlsx", [("Clients", rows, "visible")])
    result = run(cli, str(path), "--json")
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["errors"]
    assert (error["row"], error["field"], error["column"]) == (2, "dob", "Date of Incorporation")
    assert error["message"].startswith("Date of Incorporation '31/02/2009' is not a real date")


def test_every_header_name_the_docs_list_is_understood_as_its_field() -> None:
    text = (EXAMPLES.parent / "docs" / "clients.md").read_text()
    table = text.split("| field | also understood as |")[1].split("\n\n")[0]
    checked = 0
    for line in table.splitlines()[2:]:
        field, names = (cell.strip() for cell in line.strip("|").split("|"))
        for name in names.split("`")[1::2]:
            assert column_path(name) == (field.strip("`"),), name
            checked += 1
    assert checked > 60
