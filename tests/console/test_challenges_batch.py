"""A real batch with RPA_CHALLENGES=console against the mock portal, answered from real
Chromium: ``rpa batch`` (a subprocess, as an office runs it) renews two clients one after the
other and waits on the console for every captcha and OTP; an operator answers the
captchas and OTPs in the browser, one OTP wrongly: when the portal asks again the inbox says
the previous OTP was refused, and the client (whose record says ``otp_relay: email``)
answers through the link mailed to them, on a phone-sized page; the link the operator's
answer made useless is refused; both jobs complete. Every page the console served during
the run is scanned for the planted secrets, every OTP and every captcha answer typed.

The answers come from the mock portal's test side (its outbox; the newest captcha in its
database, one job at a time), as a person would read them off a phone and the image.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from challengekit import Mailbox, smtp_server
from consolekit import ConsoleServer, start_console
from playwright.sync_api import Browser, Page, expect

from demo.fictional import COLUMNS, client_rows
from demo.seeding import DEMO_SECRETS, PORTAL_NOW, build_seed
from mock_portal.app import create_app
from mock_portal.server import free_port, run_in_thread
from rpa.clients.file import load_clients

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 180_000
BATCH_ARGS = ("--playbook", "renew", "--output", "quiet")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("portal") / "portal.db"
    embridge_port = free_port()
    app = create_app(str(db), test_mode=True, embridge_url=f"http://127.0.0.1:{embridge_port}")
    handle = run_in_thread(app, "127.0.0.1", 0, embridge_port=embridge_port)
    yield handle.url, db
    handle.stop()


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, mail: tuple[Mailbox, int]
) -> Iterator[ConsoleServer]:
    server = start_console(
        tmp_path_factory.mktemp("batch-console"),
        smtp_host="127.0.0.1",
        smtp_port=mail[1],
        smtp_starttls=False,
    )
    yield server
    server.stop()


def _clients(path: Path) -> list[dict[str, str]]:
    rows = client_rows(2, label="Console Batch Exports")
    rows[0]["otp_relay"] = ""
    rows[1]["otp_relay"] = "email"  # the reverify client answers its own OTPs
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "otp_relay"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _newest_captcha(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        (answer,) = conn.execute(
            "SELECT answer FROM captchas ORDER BY created DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return str(answer)


def _newest_otp(portal_url: str, address: str) -> str:
    messages = httpx.get(portal_url + "/__mock__/outbox", params={"to": address}).json()
    return str(messages[0]["otp"])


def _card(page: Page, iec: str, what: str, has_text: str | None = None) -> object:
    card = page.get_by_role("article", name=re.compile(f"IEC {iec}")).filter(
        has=page.get_by_label(what, exact=True)
    )
    return card.filter(has_text=has_text) if has_text else card


def test_a_console_batch_is_answered_in_the_browser_and_through_a_relay_link(
    page: Page,
    browser: Browser,
    console: ConsoleServer,
    signed_in: object,
    portal: tuple[str, Path],
    mail: tuple[Mailbox, int],
    tmp_path: Path,
) -> None:
    portal_url, portal_db = portal
    mailbox, smtp_port = mail
    clients_csv = tmp_path / "clients.csv"
    rows = _clients(clients_csv)
    records = [record for _, record in load_clients(clients_csv).records]
    assert records[1].otp_relay == "email"
    seed = build_seed([(records[0], "due"), (records[1], "reverify")])
    httpx.post(portal_url + "/__mock__/reset").raise_for_status()
    httpx.post(portal_url + "/__mock__/seed", json=seed).raise_for_status()
    httpx.post(portal_url + "/__mock__/clock", json={"now": PORTAL_NOW}).raise_for_status()
    due, reverify = rows[0]["iec"], rows[1]["iec"]
    mobile, email = rows[1]["mobile"], rows[1]["email"]

    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env.update(DEMO_SECRETS)
    env.update(
        {
            "RPA_PORTAL_URL": portal_url + "/CP/",
            "RPA_DATA_DIR": str(console.settings.data_dir),
            "RPA_CHALLENGES": "console",
            "RPA_CONCURRENCY": "1",  # one job at a time: the newest captcha is its
            "RPA_CHALLENGE_TIMEOUT_S": "240",
            "RPA_SMTP_HOST": "127.0.0.1",
            "RPA_SMTP_PORT": str(smtp_port),
            "RPA_SMTP_STARTTLS": "false",
            "RPA_RELAY_URL": console.url,
        }
    )
    log = tmp_path / "batch.log"
    with log.open("wb") as out:
        batch = subprocess.Popen(
            [sys.executable, "-m", "rpa", "batch", str(clients_csv), *BATCH_ARGS],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        signed_in(page, "operator")  # type: ignore[operator]
        page.goto(console.url + "/challenges")

        def answer(card: object, what: str, value: str) -> None:
            console.secrets.add(value)
            expect(card).to_be_visible(timeout=WAIT_MS)  # type: ignore[arg-type]
            card.get_by_label(what, exact=True).fill(value)  # type: ignore[attr-defined]
            card.get_by_role("button", name="Submit").click()  # type: ignore[attr-defined]
            expect(page.get_by_role("status")).to_contain_text("Answer sent to the job")

        # the first client: its login's captcha
        first = _card(page, due, "Captcha")
        expect(first).to_be_visible(timeout=WAIT_MS)  # type: ignore[arg-type]
        answer(first, "Captcha", _newest_captcha(portal_db))
        # the second: its captcha, then the re-verification OTPs (mobile, then email)
        second = _card(page, reverify, "Captcha")
        expect(second).to_be_visible(timeout=WAIT_MS)  # type: ignore[arg-type]
        answer(second, "Captcha", _newest_captcha(portal_db))

        on_mobile = _card(page, reverify, "OTP", "(mobile)")
        expect(on_mobile).to_be_visible(timeout=WAIT_MS)  # type: ignore[arg-type]
        expect(on_mobile).to_contain_text("******" + mobile[-4:])  # type: ignore[arg-type]
        # the batch mailed the client a link for it at once (otp_relay: email)
        (useless_link,) = mailbox.wait_for(1)
        answer(on_mobile, "OTP", "000000")  # a wrong OTP
        on_email = _card(page, reverify, "OTP", "(email)")
        answer(on_email, "OTP", _newest_otp(portal_url, email))

        # the portal refuses the pair and asks again: the inbox says so
        again = _card(page, reverify, "OTP", "(mobile)").filter(
            has_text="The previous OTP was refused"
        )
        expect(again).to_be_visible(timeout=WAIT_MS)  # type: ignore[arg-type]
        links = mailbox.wait_for(3)  # mobile, email, the mobile again
        link = links[-1]
        assert link != useless_link

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        try:
            client = phone.new_page()
            gone = client.goto(useless_link)  # its OTP was answered by the operator
            assert gone is not None and gone.status == 410
            client.goto(link)
            expect(client.get_by_role("heading", level=1)).to_have_text(
                f"Enter the OTP sent to ******{mobile[-4:]} for {rows[1]['firm_name']}"
            )
            code = _newest_otp(portal_url, mobile)
            console.secrets.add(code)
            client.get_by_label("OTP").fill(code)
            client.get_by_role("button", name="Submit").click()
            expect(client.get_by_role("status")).to_contain_text("The OTP was passed on")
        finally:
            phone.close()
        answer(
            _card(page, reverify, "OTP", "(email)").filter(has_text="refused"),
            "OTP",
            _newest_otp(portal_url, email),
        )

        batch.wait(timeout=WAIT_MS / 1000)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.wait(timeout=30)
    output = log.read_text(errors="replace")
    assert batch.returncode == 0, output
    journal = sqlite3.connect(console.settings.journal_path)
    statuses = dict(journal.execute("SELECT client, status FROM jobs").fetchall())
    assert statuses == {due: "changed", reverify: "changed"}, output
    kinds = journal.execute(
        "SELECT kind, status, answered_by FROM challenges ORDER BY id"
    ).fetchall()
    assert ("otp", "refused", "omar") in kinds
    assert ("otp", "answered", "client (relay link)") in kinds
    # no answer typed anywhere in the journal; the log names no OTP either
    dump = "\n".join(journal.iterdump())
    for secret in console.secrets:
        assert secret not in dump and secret not in output
    page.goto(console.url + "/challenges")
    expect(page.get_by_role("region", name="Recently closed")).to_contain_text(
        "Refused by the portal"
    )
