"""Helpers for the batch reliability tests: a mock portal and ``rpa`` run as subprocesses.

Modelled on ``demo/__main__.py``: the portal runs in test mode on free ports, is seeded with
``demo.seeding.build_seed`` and its clock set to ``PORTAL_NOW``; ``rpa batch`` runs with the
mock OTP and captcha providers and the demo's secrets in its environment.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from demo.seeding import DEMO_SECRETS, PORTAL_NOW, build_seed
from rpa.clientfile import load_clients

ROOT = Path(__file__).resolve().parents[2]
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fictional_pan(i: int) -> str:
    """A valid company PAN (4th letter C), distinct for each ``i`` below 23**3."""
    a, b, c = LETTERS[i % 23], LETTERS[(i // 23) % 23], LETTERS[(i // 529) % 23]
    return f"AA{c}C{b}{7000 + i:04d}{a}"


AADHAAR_SIGNER = [
    "0395012847",
    "ACFPN7314Q",
    "Kaveri Handlooms",
    "LAKSHMI NARAYANAN",
    "21/06/1978",
    "kaveri.handlooms@mail.example",
    "9000010002",
    "kaveri.handlooms@mail.example",
    "env:DEMO_PORTAL_PASSWORD",
    "aadhaar",
    "",
    "",
    "",
    "env:DEMO_AADHAAR_2847",
    "Proprietorship",
]


def write_clients(path: Path, n: int, *, aadhaar_signer: bool = False) -> list[str]:
    """Write a CSV of ``n`` fictional DSC-signing companies (and, if asked, the example
    Aadhaar signer); return their IECs."""
    iecs = []
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        if aadhaar_signer:
            writer.writerow(AADHAAR_SIGNER)
            iecs.append(AADHAAR_SIGNER[0])
        for i in range(n):
            pan = fictional_pan(i)
            name = f"RELIABILITY TEST EXPORTS {i:02d} PRIVATE LIMITED"
            email = f"exports{i:02d}@reliability.example"
            writer.writerow(
                [
                    pan,
                    pan,
                    f"Reliability Test Exports {i:02d} Pvt Ltd",
                    name,
                    "12/08/2009",
                    email,
                    f"90000{30000 + i:05d}",
                    email,
                    "env:DEMO_PORTAL_PASSWORD",
                    "dsc",
                    f"ePass2003 RT{i:02d}",
                    name,
                    "env:DEMO_DSC_PIN",
                    "",
                    "Private Limited Company",
                ]
            )
            iecs.append(pan)
    return iecs


@dataclass
class Portal:
    url: str
    process: subprocess.Popen[bytes]

    def post(self, path: str, body: Any) -> Any:
        response = httpx.post(f"{self.url}{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def applications(self, iec: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/__mock__/applications", params={"iec": iec}, timeout=30)
        response.raise_for_status()
        return list(response.json())

    def seed(self, clients_csv: Path, scenarios: dict[str, str] | None = None) -> None:
        loaded = load_clients(clients_csv)
        assert not loaded.errors, loaded.errors
        scenarios = scenarios or {}
        clients = [(r, scenarios.get(r.iec, "due")) for _, r in loaded.records]
        self.post("/__mock__/seed", build_seed(clients))
        self.post("/__mock__/clock", {"now": PORTAL_NOW})


@contextmanager
def mock_portal(workdir: Path) -> Iterator[Portal]:
    port, embridge = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    workdir.mkdir(parents=True, exist_ok=True)
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
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the mock portal exited with {process.returncode}")
                try:
                    if httpx.get(f"{url}/CP/", timeout=1).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the mock portal did not answer at {url}")
                time.sleep(0.2)
            yield Portal(url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def rpa_env(portal: Portal, data_dir: Path, concurrency: int = 4) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env.update(DEMO_SECRETS)
    env.update(
        {
            "RPA_PORTAL_URL": f"{portal.url}/CP/",
            "RPA_DATA_DIR": str(data_dir),
            "RPA_OTP_PROVIDER": "mock-outbox",
            "RPA_CAPTCHA_PROVIDER": "mock",
            "RPA_CONCURRENCY": str(concurrency),
        }
    )
    return env


def run_rpa(
    *args: str, env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rpa", *args],
        env=env,
        cwd=ROOT,  # playbooks/ are found from the project root, as in the demo
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_rpa(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``rpa`` in its own process group, so the browser dies with it on ``killpg``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "rpa", *args],
            env=env,
            cwd=ROOT,  # playbooks/ are found from the project root, as in the demo
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def query(journal: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Read the journal through a read-only connection (empty if it is not there yet)."""
    if not journal.exists():
        return []
    conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # schema not created yet
    finally:
        conn.close()


def latest_batch(journal: Path) -> str:
    rows = query(journal, "SELECT id FROM batches ORDER BY created_at DESC LIMIT 1")
    assert rows, "no batch in the journal"
    return str(rows[0]["id"])


def job_statuses(journal: Path, batch_id: str) -> dict[str, list[str]]:
    by_client: dict[str, list[str]] = {}
    for row in query(
        journal,
        "SELECT client, status FROM jobs WHERE batch_id = ? ORDER BY created_at",
        (batch_id,),
    ):
        by_client.setdefault(row["client"], []).append(row["status"])
    return by_client
