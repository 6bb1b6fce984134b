"""Helpers for the console's tests that run real jobs: the mock portal (and its emBridge)
in a thread, a console whose runs go to it (answers by the mock providers, the demo's
secrets in the environment the runs inherit), client files written from the examples, and
waiting on the journal for what a run process writes."""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from consolekit import ConsoleServer, start_console

from demo.seeding import DEMO_SECRETS, PORTAL_NOW, build_seed
from mock_portal.app import create_app
from mock_portal.server import ServerHandle, free_port, run_in_thread
from rpa.clients.file import load_clients

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "clients.csv"
DSC_SIGNER = "AAJFG2290M"  # a DSC signer with no `changes` and no documents
T = TypeVar("T")


@contextmanager
def portal_and_console(
    tmp: Path, **settings: Any
) -> Iterator[tuple[ServerHandle, httpx.Client, ConsoleServer]]:
    """The mock portal and a console over a fresh data folder whose runs go to it
    (``settings``: more of the console's settings)."""
    embridge_port = free_port()
    app = create_app(
        str(tmp / "portal.db"), test_mode=True, embridge_url=f"http://127.0.0.1:{embridge_port}"
    )
    portal = run_in_thread(app, "127.0.0.1", 0, embridge_port=embridge_port)
    saved = {name: os.environ.get(name) for name in DEMO_SECRETS}
    os.environ.update(DEMO_SECRETS)  # the runs the console starts inherit them
    console = start_console(
        tmp / "data",
        portal_url=portal.url + "/CP/",
        otp_provider="mock-outbox",
        captcha_provider="mock",
        challenge_timeout_s=20,
        **settings,
    )
    console.secrets.update(DEMO_SECRETS.values())
    api = httpx.Client(base_url=portal.url, timeout=30)
    try:
        yield portal, api, console
    finally:
        api.close()
        console.stop()
        portal.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def seed(api: httpx.Client, iecs: dict[str, str]) -> None:
    """Reset the portal, set its clock in the annual window, seed ``iec → scenario``."""
    api.post("/__mock__/reset").raise_for_status()
    api.post("/__mock__/clock", json={"now": PORTAL_NOW}).raise_for_status()
    records = {r.iec: r for _, r in load_clients(EXAMPLES).records}
    body = build_seed([(records[iec], scenario) for iec, scenario in iecs.items()])
    api.post("/__mock__/seed", json=body).raise_for_status()


def applications(api: httpx.Client, iec: str) -> list[dict[str, Any]]:
    r = api.get("/__mock__/applications", params={"iec": iec})
    r.raise_for_status()
    found: list[dict[str, Any]] = r.json()
    return found


def example_rows(*iecs: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of examples/clients.csv for ``iecs``."""
    with EXAMPLES.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = {row["iec"]: row for row in reader}
        return list(reader.fieldnames or []), [dict(rows[iec]) for iec in iecs]


def write_clients(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def wait_for(what: Callable[[], T | None], timeout_s: float = 240, every_s: float = 0.5) -> T:
    """``what()``'s first true value, asked every ``every_s`` until ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout_s}s")
        time.sleep(every_s)
