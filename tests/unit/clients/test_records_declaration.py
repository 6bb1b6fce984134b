"""The client record's fields for the update's declaration and bank accounts: ``place``
and ``bank_accounts`` (every account linked to the PAN, Trade Notice 23/2025-26), from
YAML and from flattened CSV columns."""

from __future__ import annotations

from pathlib import Path

from rpa.clients.columns import column_path
from rpa.clients.file import load_clients
from rpa.clients.records import check_record

GOOD = {
    "iec": "AAJFG2290M",
    "pan": "AAJFG2290M",
    "firm_name": "Ganga Agro Foods LLP",
    "name_as_per_pan": "GANGA AGRO FOODS LLP",
    "dob": "2016-04-03",
    "email": "accounts@gangaagro.example",
    "mobile": "9000010003",
    "portal_password": "env:PORTAL_PASSWORD",
    "sign_with": "dsc",
    "dsc_token": "ePass2003",
    "dsc_pin": "env:DSC_PIN",
}


def test_place_and_bank_accounts_are_optional_and_empty_accounts_are_none() -> None:
    record, problems = check_record({**GOOD, "bank_accounts": []})
    assert problems == [] and record is not None
    assert (record.place, record.bank_accounts) == (None, None)


def test_bank_accounts_are_checked_like_a_bank_change() -> None:
    accounts = [{"account_number": "5020 0012 345678", "ifsc": "hdfc0000123"}, {"ifsc": "X"}]
    record, problems = check_record({**GOOD, "bank_accounts": accounts})
    assert record is None
    fields = {p.field for p in problems}
    assert fields == {"bank_accounts.2.account_number", "bank_accounts.2.ifsc"}


def test_bank_accounts_and_place_are_read_from_csv_columns(tmp_path: Path) -> None:
    assert column_path("Place of Declaration") == ("place",)
    assert column_path("bank_accounts.2.IFSC Code") == ("bank_accounts", 2, "ifsc")
    assert column_path("bank_account1_account_no") == ("bank_accounts", 1, "account_number")
    header = ",".join([*GOOD, "place", "bank_accounts.1.account_number", "bank_accounts.1.ifsc"])
    row = ",".join([*GOOD.values(), "Surat", "50200012345678", "HDFC0000123"])
    (tmp_path / "clients.csv").write_text(header + "\n" + row + "\n")
    loaded = load_clients(tmp_path / "clients.csv")
    assert loaded.errors == []
    [(_, record)] = loaded.records
    assert record.place == "Surat"
    assert record.template_vars()["bank_accounts"] == [
        {
            "account_number": "50200012345678",
            "ifsc": "HDFC0000123",
            "bank_name": None,
            "branch": None,
            "account_holder": None,
        }
    ]


def test_bank_accounts_are_a_list_in_yaml(tmp_path: Path) -> None:
    lines = ["clients:", "  - " + "\n    ".join(f"{k}: {v!r}" for k, v in GOOD.items())]
    lines += [
        "    Place: Surat",
        "    bank_accounts:",
        "      - Account No: '50200012345678'",
        "        IFSC Code: hdfc0000123",
        "        bank_name: HDFC Bank",
        "        branch: Ring Road, Surat",
    ]
    (tmp_path / "clients.yaml").write_text("\n".join(lines) + "\n")
    loaded = load_clients(tmp_path / "clients.yaml")
    assert loaded.errors == []
    [(_, record)] = loaded.records
    assert record.place == "Surat"
    assert record.bank_accounts is not None
    [account] = record.bank_accounts
    assert (account.account_number, account.ifsc, account.branch) == (
        "50200012345678",
        "HDFC0000123",
        "Ring Road, Surat",
    )
