"""A worker's job waiting for an OTP is answered in the office console and completes.

The office runs ``rpa serve``; a third PC's worker (``RPA_CONSOLE_URL``, its credential from
``rpa workers add``) raises its job's captcha and eSign OTP there through the console's API;
an operator signs in in Chromium and answers both on the Challenges page, as a person would.
The answers come from the mock portal's test side (its newest captcha, its outbox).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from demo.portal import free_port
from tests.distributed.conftest import ROOT, Office

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OPERATOR = "asha"
PASSWORD = "a-long-operator-password-42"


def rpa(office: Office, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "rpa", *args],
        env=office.env("office"),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def worker_credential(office: Office, name: str) -> str:
    """``rpa workers add NAME`` prints the credential once, on a line of its own."""
    printed = rpa(office, "workers", "add", name)
    lines = [line.strip() for line in printed.splitlines() if line.strip()]
    return next(line for line in reversed(lines) if re.fullmatch(r"[A-Za-z0-9_-]{40,}", line))


def start_console(office: Office, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "rpa", "serve", "--port", str(port)],
        env=office.env("office"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the console did not start")


def newest_captcha(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        (answer,) = conn.execute(
            "SELECT answer FROM captchas ORDER BY created DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return str(answer)


def newest_otp(office: Office, mobile: str) -> str:
    messages = office.get("outbox", to=mobile)
    return str(messages[0]["otp"])


def test_a_workers_job_waiting_for_an_otp_is_answered_in_the_console_and_completes(
    office: Office, page: Page
) -> None:
    record = next(r for r in office.records if r.sign_with == "aadhaar")  # eSign asks an OTP
    rpa(office, "users", "add", OPERATOR, "--role", "operator", "--password-stdin", stdin=PASSWORD)
    credential = worker_credential(office, "pc-3")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    console = start_console(office, port)
    worker = None
    try:
        wait_until_up(url)
        office.add_pc("pc-3", [])
        log = office.folder / "pc-3.log"
        with log.open("ab") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "rpa", "worker", "--temporal", office.temporal.target],
                env=office.env("pc-3", RPA_CONSOLE_URL=url, RPA_WORKER_TOKEN=credential),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        batch = office.batch("--only", record.iec)

        page.goto(url + "/login")
        page.get_by_label("Username").fill(OPERATOR)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda at: "/login" not in at)
        page.goto(url + "/challenges")
        expect(page.get_by_role("heading", name="Challenges", level=1)).to_be_visible()

        answered: list[str] = []
        deadline = time.monotonic() + 240
        while "OTP" not in answered and time.monotonic() < deadline and batch.poll() is None:
            for what in ("Captcha", "OTP"):
                card = page.get_by_role("article", name=re.compile(f"IEC {record.iec}")).filter(
                    has=page.get_by_label(what, exact=True)
                )
                if card.count() == 0:
                    continue
                value = newest_captcha(office.db) if what == "Captcha" else None
                if value is None:
                    value = newest_otp(office, record.mobile)
                card.get_by_label(what, exact=True).fill(value)
                card.get_by_role("button", name="Submit").click()
                expect(page.get_by_role("status")).to_contain_text("Answer sent to the job")
                answered.append(what)
            time.sleep(1)
        if "OTP" not in answered:
            batch.kill()
            out, err = batch.communicate()
            pytest.fail(
                f"no OTP was raised in the console (answered: {answered}); batch: {out[-1500:]}"
                f" {err[-1500:]}; worker: {log.read_text()[-3000:]}"
            )
        out, err = batch.communicate(timeout=240)
        assert batch.returncode == 0, err[-3000:]
        assert len(office.portal.applications(record.iec)) == 1
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        console.terminate()
        console.wait(timeout=30)
