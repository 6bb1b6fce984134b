"""The mock portal as a subprocess, and the environment ``rpa`` runs with against it.

One helper for everything that runs the agent and the mock the way a user would (two
processes): the demo (``python -m demo``), the benchmarks (``bench/``) and the batch
reliability tests (``tests/e2e/batchkit.py``). The portal runs in test mode on free ports
with its own SQLite file; ``rpa`` gets the mock's OTP and captcha providers and the demo's
secrets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from demo.seeding import DEMO_SECRETS, PORTAL_NOW, build_seed
from rpa.clients.records import ClientRecord

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortalDidNotStart(RuntimeError):
    """The mock portal exited, or did not answer in time (its log says why)."""


@dataclass
class MockPortal:
    """A running mock portal and its test API."""

    url: str  # http://127.0.0.1:PORT (the portal itself is under /CP/)
    process: subprocess.Popen[bytes]
    workdir: Path  # its SQLite file and portal.log

    @property
    def portal_url(self) -> str:
        return f"{self.url}/CP/"

    def post(self, path: str, body: Any) -> Any:
        """POST to the test API: ``path`` is what follows ``/__mock__/``."""
        response = httpx.post(f"{self.url}/__mock__/{path}", json=body, timeout=120)
        response.raise_for_status()
        return response.json()

    def seed(self, clients: list[tuple[ClientRecord, str]], *, now: str = PORTAL_NOW) -> None:
        """Seed ``(record, scenario)`` pairs (``demo.seeding.SCENARIOS``); set the clock."""
        self.post("seed", build_seed(clients))
        self.post("clock", {"now": now})

    def applications(self, iec: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/__mock__/applications", params={"iec": iec}, timeout=30)
        response.raise_for_status()
        return list(response.json())


# A hang guard, not a timing: on a loaded machine (a parallel test run beside others'
# work) the portal's Python has taken over 30 s to start.
def wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    timeout_s: float = 120,
    *,
    what: str = "the mock portal",
) -> None:
    """Return once ``url`` answers (below 500); raise ``PortalDidNotStart`` when ``process``
    (``what``) exits first or does not answer within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise PortalDidNotStart(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise PortalDidNotStart(f"{what} did not answer at {url}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask ``process`` to end; kill it when it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def mock_portal(workdir: Path) -> Iterator[MockPortal]:
    """Start a fresh mock portal (state and log in ``workdir``); stop it on exit."""
    port, embridge = free_port(), free_port()
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
    portal = MockPortal(f"http://127.0.0.1:{port}", process, workdir)
    try:
        wait_until_up(portal.portal_url, process)
        yield portal
    finally:
        stop(process)


def agent_env(
    portal: MockPortal, data_dir: Path | str, concurrency: int, *, clean: bool = False
) -> dict[str, str]:
    """The environment ``rpa`` runs with against ``portal``: this process's environment
    (``clean``: without its ``RPA_*`` settings, as tests want), the demo's secrets, the
    portal, the data directory, the mock's OTP and captcha providers and the concurrency."""
    env = {k: v for k, v in os.environ.items() if not (clean and k.startswith("RPA_"))}
    env.update(DEMO_SECRETS)
    env.update(
        {
            "RPA_PORTAL_URL": portal.portal_url,
            "RPA_DATA_DIR": str(data_dir),
            "RPA_OTP_PROVIDER": "mock-outbox",
            "RPA_CAPTCHA_PROVIDER": "mock",
            "RPA_CONCURRENCY": str(concurrency),
        }
    )
    return env
