"""Helpers for the batch reliability tests: a mock portal and ``rpa`` run as subprocesses.

The portal is ``demo.portal``'s (as in the demo: test mode, free ports, seeded with
``demo.seeding.build_seed``, its clock at ``PORTAL_NOW``); ``rpa batch`` runs with the mock
OTP and captcha providers and the demo's secrets in its environment.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.fictional import write_client_file
from demo.portal import MockPortal, agent_env
from demo.portal import mock_portal as start_portal
from demo.seeding import PORTAL_NOW
from rpa.clients.file import load_clients
from tests.e2e.clientmix import MixClient, secrets_env
from tests.e2e.clientmix import seed_body as mix_seed_body

ROOT = Path(__file__).resolve().parents[2]


def write_clients(path: Path, n: int, *, aadhaar_signer: bool = False) -> list[str]:
    """Write a CSV of ``n`` fictional DSC-signing companies (``demo.fictional``; and, if
    asked, the sample files' Aadhaar signer first); return their IECs."""
    records = write_client_file(
        path, n, label="Reliability Test Exports", aadhaar_signer=aadhaar_signer
    )
    return [record.iec for record in records]


@dataclass
class Portal(MockPortal):
    #: secrets of the clients seeded with ``seed_mix``, for ``rpa_env``
    mix_secrets: dict[str, str] = field(default_factory=dict)

    def seed_mix(self, clients: Sequence[MixClient], *, now: str = PORTAL_NOW) -> None:
        """Seed ``clientmix`` clients (their users, IECs, tokens, Aadhaar holders) and set
        the clock; ``rpa_env`` then gives their secrets too."""
        self.post("seed", mix_seed_body(clients))
        self.post("clock", {"now": now})
        self.mix_secrets.update(secrets_env(clients))

    def seed_file(self, clients_csv: Path, scenarios: dict[str, str] | None = None) -> None:
        """Seed every client of ``clients_csv`` (in its scenario, else "due")."""
        loaded = load_clients(clients_csv)
        assert not loaded.errors, loaded.errors
        scenarios = scenarios or {}
        self.seed([(r, scenarios.get(r.iec, "due")) for _, r in loaded.records])


@contextmanager
def mock_portal(workdir: Path) -> Iterator[Portal]:
    with start_portal(workdir) as portal:
        yield Portal(portal.url, portal.process, portal.workdir)


def rpa_env(portal: Portal, data_dir: Path, concurrency: int = 4) -> dict[str, str]:
    return {**agent_env(portal, data_dir, concurrency, clean=True), **portal.mix_secrets}


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
