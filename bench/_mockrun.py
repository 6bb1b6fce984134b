"""Shared by the batch benchmarks: fictional DSC clients in a client file, and a fresh mock
portal started as a subprocess (``demo.portal``, as ``python -m demo`` does it), seeded with
those clients "due" for their annual update, its clock inside the annual window.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from demo.portal import MockPortal
from demo.portal import agent_env as portal_env
from demo.portal import mock_portal as start_portal
from rpa.clientfile import load_clients
from rpa.records import ClientRecord

ROOT = Path(__file__).resolve().parent.parent
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
    "nature_of_concern",
]
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def client_rows(count: int) -> list[dict[str, str]]:
    """``count`` fictional private limited companies signing with a DSC, no changes.

    PAN ``A<x><y>CB<nnnn><z>``: 4th letter C (company), 5th the name's initial (B for
    "Bench ..."); the IEC is the PAN. Each has its own token, email and mobile.
    """
    rows = []
    for n in range(count):
        x, y, z = _LETTERS[n // 26 % 26], _LETTERS[n % 26], _LETTERS[(n * 7) % 26]
        pan = f"A{x}{y}CB{1000 + n:04d}{z}"
        name = f"BENCH EXPORTS {n + 1:03d} PRIVATE LIMITED"
        email = f"bench{n + 1:03d}@bench.example"
        rows.append(
            {
                "iec": pan,
                "pan": pan,
                "firm_name": f"Bench Exports {n + 1:03d} Pvt Ltd",
                "name_as_per_pan": name,
                "dob": "01/04/2015",
                "email": email,
                "mobile": str(9100000000 + n),
                "portal_user": email,
                "portal_password": "env:DEMO_PORTAL_PASSWORD",
                "sign_with": "dsc",
                "dsc_token": f"ePass2003 B{1000 + n:04d}",
                "dsc_cert": name,
                "dsc_pin": "env:DEMO_DSC_PIN",
                "nature_of_concern": "Private Limited Company",
            }
        )
    return rows


def write_client_file(path: Path, count: int) -> list[ClientRecord]:
    """Write the client file; return its records as the agent reads them."""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(client_rows(count))
    loaded = load_clients(path)
    return [record for _, record in loaded.records]


class BenchPortal(MockPortal):
    """The mock portal with what the benchmarks ask of it."""

    def seed_due(self, records: list[ClientRecord], *, latency_ms: int = 0) -> None:
        """Reset, seed every client "due", set the clock, and set the latency fault."""
        self.post("reset", {})
        self.seed([(r, "due") for r in records])
        self.post("faults", {"latency_ms": latency_ms} if latency_ms else {})

    def submitted(self, records: list[ClientRecord]) -> int:
        """How many of ``records`` have an update application on the portal."""
        return sum(
            any(a.get("kind") == "update" for a in self.applications(record.iec))
            for record in records
        )


@contextmanager
def mock_portal() -> Iterator[BenchPortal]:
    """A fresh mock portal (``demo.portal``) in a temporary directory; stopped on exit."""
    with (
        tempfile.TemporaryDirectory(prefix="dgft-bench-") as workdir,
        start_portal(Path(workdir)) as portal,
    ):
        yield BenchPortal(portal.url, portal.process, portal.workdir)


def agent_env(portal: MockPortal, data_dir: Path, concurrency: int) -> dict[str, str]:
    """The environment ``rpa batch`` runs with against ``portal`` (as ``python -m demo``)."""
    return portal_env(portal, data_dir, concurrency)
