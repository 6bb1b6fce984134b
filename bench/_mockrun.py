"""Shared by the batch benchmarks: fictional DSC clients in a client file
(``demo.fictional``, as the batch reliability tests write them), and a fresh mock portal
started as a subprocess (``demo.portal``, as ``python -m demo`` does it), seeded with those
clients "due" for their annual update, its clock inside the annual window.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from demo.fictional import write_client_file as fictional_clients
from demo.portal import MockPortal
from demo.portal import agent_env as portal_env
from demo.portal import mock_portal as start_portal
from rpa.clients.records import ClientRecord

ROOT = Path(__file__).resolve().parent.parent


def write_client_file(path: Path, count: int) -> list[ClientRecord]:
    """Write ``count`` fictional DSC clients (``demo.fictional``); return their records."""
    return fictional_clients(path, count, label="Bench Exports")


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
