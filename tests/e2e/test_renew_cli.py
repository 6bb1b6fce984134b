"""`rpa renew run`, as cron would run it (a subprocess), against the mock portal's clock."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo.seeding import DEMO_SECRETS, build_seed
from mock_portal import create_app
from mock_portal.server import ServerHandle, free_port, run_in_thread
from rpa.clients.file import load_clients

ROOT = Path(__file__).resolve().parents[2]
# due (DSC), already renewed (DSC), de-activated (Aadhaar), contacts to re-verify (Aadhaar)
SCENARIOS = {
    "0710034521": "due",
    "AAJFG2290M": "renewed",
    "AAAHS8123L": "deactivated",
    "BJKPF4410G": "reverify",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    db = str(tmp_path_factory.mktemp("renew-portal") / "portal.db")
    embridge_port = free_port()
    app = create_app(db, test_mode=True, embridge_url=f"http://127.0.0.1:{embridge_port}")
    handle = run_in_thread(app, "127.0.0.1", 0, embridge_port=embridge_port)
    yield handle
    handle.stop()


@pytest.fixture
def clients_file(tmp_path: Path) -> Path:
    rows = list(csv.reader(io.StringIO((ROOT / "examples" / "clients.csv").read_text())))
    kept = [rows[0]] + [r for r in rows[1:] if r[0] in SCENARIOS]
    path = tmp_path / "clients.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(kept)
    return path


@pytest.fixture
def portal(server: ServerHandle, clients_file: Path) -> httpx.Client:
    api = httpx.Client(base_url=server.url, timeout=30)
    api.post("/__mock__/reset").raise_for_status()
    records = [(r, SCENARIOS[r.iec]) for _, r in load_clients(clients_file).records]
    api.post("/__mock__/seed", json=build_seed(records)).raise_for_status()
    return api


def clock(api: httpx.Client, now: str) -> None:
    api.post("/__mock__/clock", json={"now": now}).raise_for_status()


def applications(api: httpx.Client, iec: str) -> list[dict[str, object]]:
    return list(api.get("/__mock__/applications", params={"iec": iec}).json())


def rpa(
    server: ServerHandle, data: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    full.update(DEMO_SECRETS)
    full.update(
        RPA_PORTAL_URL=f"{server.url}/CP/",
        RPA_DATA_DIR=str(data),
        RPA_OTP_PROVIDER="mock-outbox",
        RPA_CAPTCHA_PROVIDER="mock",
        RPA_CONCURRENCY="2",
    )
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "rpa", *args],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_renewal_run_renews_the_due_clients_and_a_second_run_submits_nothing(
    server: ServerHandle, portal: httpx.Client, clients_file: Path, tmp_path: Path
) -> None:
    clock(portal, "2026-05-12T10:00:00")
    first = rpa(
        server, tmp_path, "renew", "run", "--clients", str(clients_file), "--today", "2026-05-12"
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert [len(applications(portal, iec)) for iec in SCENARIOS] == [1, 0, 1, 1]
    assert portal.get("/__mock__/iecs/AAAHS8123L").json()["status"] == "active"

    planned = rpa(
        server,
        tmp_path,
        "renew",
        "plan",
        "--clients",
        str(clients_file),
        "--today",
        "2026-05-12",
        "--json",
    )
    states = {row["iec"]: row["state"] for row in json.loads(planned.stdout)}
    assert set(states.values()) == {"done"}, states

    second = rpa(
        server, tmp_path, "renew", "run", "--clients", str(clients_file), "--today", "2026-05-12"
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing to do" in second.stdout
    assert [len(applications(portal, iec)) for iec in SCENARIOS] == [1, 0, 1, 1]


def test_after_the_window_de_activated_iecs_are_re_activated(
    server: ServerHandle, portal: httpx.Client, clients_file: Path, tmp_path: Path
) -> None:
    clock(portal, "2026-07-15T10:00:00")  # last updated in FY 2025-26: de-activated now
    assert portal.get("/__mock__/iecs/0710034521").json()["status"] == "deactivated"
    run = rpa(
        server, tmp_path, "renew", "run", "--clients", str(clients_file), "--today", "2026-07-15"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert portal.get("/__mock__/iecs/0710034521").json()["status"] == "active"
    assert len(applications(portal, "0710034521")) == 1


def test_a_job_nobody_answered_ends_needs_input_and_the_next_run_renews_it(
    server: ServerHandle, portal: httpx.Client, clients_file: Path, tmp_path: Path
) -> None:
    clock(portal, "2026-05-12T10:00:00")
    unattended = rpa(
        server,
        tmp_path,
        "renew",
        "run",
        "--clients",
        str(clients_file),
        "--today",
        "2026-05-12",
        RPA_OTP_PROVIDER="queue",
        RPA_CHALLENGE_TIMEOUT_S="2",
    )
    assert unattended.returncode == 1, unattended.stdout + unattended.stderr
    planned = rpa(
        server,
        tmp_path,
        "renew",
        "plan",
        "--clients",
        str(clients_file),
        "--today",
        "2026-05-12",
        "--json",
    )
    states = {row["iec"]: row["state"] for row in json.loads(planned.stdout)}
    assert states["BJKPF4410G"] == "needs-input"
    assert applications(portal, "BJKPF4410G") == []

    next_day = rpa(
        server, tmp_path, "renew", "run", "--clients", str(clients_file), "--today", "2026-05-13"
    )
    assert next_day.returncode == 0, next_day.stdout + next_day.stderr
    assert len(applications(portal, "BJKPF4410G")) == 1
    assert [len(applications(portal, iec)) for iec in SCENARIOS] == [1, 0, 1, 1]
