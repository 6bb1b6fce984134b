"""A worker's job waiting for an OTP is answered in the office console and completes.

The console (``rpa serve``, package ``rpa.console``) is built on another branch; this test
runs once both are merged and is skipped until then. What it assumes of the console, in the
two helpers below so integration adapts one place: ``rpa serve --port N`` serves the API of
the contract (``POST/GET /api/v1/challenges``), ``RPA_CONSOLE_WORKER_TOKENS`` names the
workers' credentials it accepts, and staff answer a challenge with ``POST
/api/v1/challenges/{id}/answer`` ``{"answer": ...}`` after logging in.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from demo.portal import free_port
from tests.distributed.conftest import ROOT, Office

pytest.importorskip(
    "rpa.console",
    reason="needs the office console (rpa.console, `rpa serve`), built on another branch",
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CREDENTIAL = "pc-3-credential"


def start_console(office: Office, port: int) -> subprocess.Popen[bytes]:
    env = office.env("office", RPA_CONSOLE_WORKER_TOKENS=f"pc-3={CREDENTIAL}")
    return subprocess.Popen(
        [sys.executable, "-m", "rpa", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def answer_in_console(url: str, challenge: dict[str, Any], answer: str) -> None:
    response = httpx.post(
        f"{url}/api/v1/challenges/{challenge['id']}/answer", json={"answer": answer}, timeout=10
    )
    response.raise_for_status()


def phone_otp(office: Office, mobile: str) -> str:
    """The newest OTP the client's phone received (the mock portal's outbox)."""
    messages = office.get("outbox", to=mobile)
    found = re.search(r"\b(\d{6})\b", str(messages[0]))
    assert found, messages
    return found.group(1)


def test_a_workers_job_waiting_for_an_otp_is_answered_in_the_console_and_completes(
    office: Office,
) -> None:
    port = free_port()
    console = start_console(office, port)
    url = f"http://127.0.0.1:{port}"
    try:
        record = office.records[0]  # the Aadhaar signer: its eSign asks for an OTP
        office.add_pc("pc-3", [])
        env = office.env(
            "pc-3",
            RPA_CONSOLE_URL=url,
            RPA_WORKER_TOKEN=CREDENTIAL,
            RPA_OTP_PROVIDER="prompt",  # never asked: the console is
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "rpa", "worker", "--temporal", office.temporal.target],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        batch = office.batch("--only", record.iec)
        deadline = time.monotonic() + 180
        answered = False
        while batch.poll() is None and time.monotonic() < deadline:
            waiting = httpx.get(f"{url}/api/v1/challenges", timeout=10).json()
            for challenge in waiting if isinstance(waiting, list) else []:
                answer_in_console(url, challenge, phone_otp(office, record.mobile))
                answered = True
            time.sleep(1)
        assert answered
        assert batch.wait(timeout=60) == 0
        worker.terminate()
        worker.wait(timeout=60)
    finally:
        console.terminate()
        console.wait(timeout=30)
