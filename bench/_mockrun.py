"""Shared by the batch benchmarks: fictional DSC clients in a client file, and a fresh mock
portal started as a subprocess on free ports (the way ``python -m demo`` does it), seeded
with those clients "due" for their annual update, its clock inside the annual window.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from demo.__main__ import free_port, wait_until_up
from demo.seeding import DEMO_SECRETS, PORTAL_NOW, build_seed
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


@dataclass
class MockPortal:
    url: str  # http://127.0.0.1:PORT (the portal itself is under /CP/)
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def portal_url(self) -> str:
        return f"{self.url}/CP/"

    def post(self, path: str, body: Any) -> Any:
        response = httpx.post(f"{self.url}/__mock__/{path}", json=body, timeout=120)
        response.raise_for_status()
        return response.json()

    def seed_due(self, records: list[ClientRecord], *, latency_ms: int = 0) -> None:
        """Reset, seed every client "due", set the clock, and set the latency fault."""
        self.post("reset", {})
        self.post("seed", build_seed([(r, "due") for r in records]))
        self.post("clock", {"now": PORTAL_NOW})
        self.post("faults", {"latency_ms": latency_ms} if latency_ms else {})

    def submitted(self, records: list[ClientRecord]) -> int:
        """How many of ``records`` have an update application on the portal."""
        done = 0
        with httpx.Client(timeout=30) as client:
            for record in records:
                apps = client.get(
                    f"{self.url}/__mock__/applications", params={"iec": record.iec}
                ).json()
                done += any(a.get("kind") == "update" for a in apps)
        return done


@contextmanager
def mock_portal() -> Iterator[MockPortal]:
    """A fresh mock portal (test mode, own SQLite file, free ports); stopped on exit."""
    port, embridge = free_port(), free_port()
    workdir = Path(tempfile.mkdtemp(prefix="dgft-bench-"))
    with (workdir / "portal.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mock_portal",
                "--port",
                str(port),
                "--embridge-port",
                str(embridge),
                "--db",
                str(workdir / "portal.sqlite3"),
                "--test-mode",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    portal = MockPortal(f"http://127.0.0.1:{port}", process, workdir)
    try:
        wait_until_up(f"{portal.url}/CP/", process)
        yield portal
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def agent_env(portal: MockPortal, data_dir: Path, concurrency: int) -> dict[str, str]:
    """The environment ``rpa batch`` runs with against ``portal`` (as ``python -m demo``)."""
    return {
        **os.environ,
        **DEMO_SECRETS,
        "RPA_PORTAL_URL": portal.portal_url,
        "RPA_DATA_DIR": str(data_dir),
        "RPA_OTP_PROVIDER": "mock-outbox",
        "RPA_CAPTCHA_PROVIDER": "mock",
        "RPA_CONCURRENCY": str(concurrency),
    }
