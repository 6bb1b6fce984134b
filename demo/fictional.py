"""Fictional clients in bulk, for the batch benchmarks and the batch reliability tests.

``write_client_file`` writes a client CSV of N private limited companies that sign with a
DSC and change nothing (each with its own PAN, token, email and mobile; the IEC is the
PAN), optionally preceded by the sample files' Aadhaar signer, and returns the records as
the agent reads them. Their secrets are the demo's ``env:`` references (``DEMO_SECRETS``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from rpa.clients.file import load_clients
from rpa.clients.records import ClientRecord

COLUMNS = [
    "iec",
    "pan",
    "firm_name",
    "name_as_per_pan",
    "dob",
    "email",
    "mobile",
    "portal_user",
    "portal_password",
    "sign_with",
    "dsc_token",
    "dsc_cert",
    "dsc_pin",
    "aadhaar",
    "nature_of_concern",
]
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"
AADHAAR_SIGNER = {
    "iec": "0395012847",
    "pan": "ACFPN7314Q",
    "firm_name": "Kaveri Handlooms",
    "name_as_per_pan": "LAKSHMI NARAYANAN",
    "dob": "21/06/1978",
    "email": "kaveri.handlooms@mail.example",
    "mobile": "9000010002",
    "portal_user": "kaveri.handlooms@mail.example",
    "portal_password": "env:DEMO_PORTAL_PASSWORD",
    "sign_with": "aadhaar",
    "aadhaar": "env:DEMO_AADHAAR_2847",
    "nature_of_concern": "Proprietorship",
}


def fictional_pan(i: int) -> str:
    """A valid company PAN (4th letter C), distinct for each ``i`` below 23**3."""
    a, b, c = LETTERS[i % 23], LETTERS[(i // 23) % 23], LETTERS[(i // 529) % 23]
    return f"AA{c}C{b}{7000 + i:04d}{a}"


def client_rows(count: int, *, label: str = "Test Exports") -> list[dict[str, str]]:
    """``count`` fictional DSC-signing companies named "<label> NNN Pvt Ltd"."""
    rows = []
    for i in range(count):
        pan = fictional_pan(i)
        name = f"{label.upper()} {i + 1:03d} PRIVATE LIMITED"
        email = f"{label.lower().replace(' ', '.')}.{i + 1:03d}@clients.example"
        rows.append(
            {
                "iec": pan,
                "pan": pan,
                "firm_name": f"{label} {i + 1:03d} Pvt Ltd",
                "name_as_per_pan": name,
                "dob": "12/08/2009",
                "email": email,
                "mobile": str(9000030000 + i),
                "portal_user": email,
                "portal_password": "env:DEMO_PORTAL_PASSWORD",
                "sign_with": "dsc",
                "dsc_token": f"ePass2003 FC{i + 1:04d}",
                "dsc_cert": name,
                "dsc_pin": "env:DEMO_DSC_PIN",
                "nature_of_concern": "Private Limited Company",
            }
        )
    return rows


def write_client_file(
    path: Path, count: int, *, label: str = "Test Exports", aadhaar_signer: bool = False
) -> list[ClientRecord]:
    """Write the client CSV (the Aadhaar signer first, if asked); return its records."""
    rows = [AADHAAR_SIGNER] if aadhaar_signer else []
    rows += client_rows(count, label=label)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    loaded = load_clients(path)
    if loaded.errors:
        raise ValueError(f"{path}: the fictional clients did not load: {loaded.errors}")
    return [record for _, record in loaded.records]
