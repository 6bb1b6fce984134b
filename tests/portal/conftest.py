"""The mock portal (test mode) and its emBridge, started once per session in threads on free
ports with a temporary database; every test starts from a reset and a minimal seed.

Tests use the pages as a person would; the test API (``portal.api``) only reads OTPs and
captcha answers, sets the clock and faults, seeds, and asserts state.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from mock_portal.app import create_app
from mock_portal.server import ServerHandle, free_port, run_in_thread

#: Inside the annual window of FY 2026-27.
IN_WINDOW = "2026-05-10T10:00:00"
PASSWORD = "Passw0rd!"

USER = {
    "email": "ravi@example.in",
    "password": PASSWORD,
    "mobile": "9876543210",
    "name": "Ravi Kumar",
}
OTHER_USER = {
    "email": "meena@example.in",
    "password": PASSWORD,
    "mobile": "9876543211",
    "name": "Meena Shah",
}

IEC = {
    "iec": "ABCPK1234F",
    "pan": "ABCPK1234F",
    "firm_name": "Kumar Exports",
    "name_as_per_pan": "Ravi Kumar",
    "dob": "1980-05-17",
    "nature_of_concern": "Proprietorship",
    "address": {
        "line1": "12 MG Road",
        "line2": "Camp",
        "city": "Pune",
        "state": "Maharashtra",
        "pin": "411001",
    },
    "email": "accounts@kumarexports.in",
    "mobile": "9876500001",
    "status": "active",
    "last_updated": "2025-05-20",
    "contacts_verified_on": "2025-09-01",
    "linked_user": None,
    "directors": [{"name": "Ravi Kumar", "pan": "ABCPK1234F", "designation": "Proprietor"}],
    "bank": {
        "account_holder": "Kumar Exports",
        "account_number": "123456789012",
        "ifsc": "SBIN0001234",
        "bank_name": "State Bank of India",
    },
    "branches": [
        {
            "code": "001",
            "line1": "Plot 4 MIDC",
            "line2": "",
            "city": "Nashik",
            "state": "Maharashtra",
            "pin": "422010",
        }
    ],
    "dsc": [
        {
            "token": "RAVI-EPASS",
            "type": "individual",
            "cn": "RAVI KUMAR",
            "pan": "ABCPK1234F",
            "pin": "1234",
            "valid_to": "2030-12-31",
        },
        {
            "token": "ORG-TOKEN",
            "type": "organisation",
            "cn": "KUMAR EXPORTS",
            "org": "Kumar Exports",
            "pin": "5678",
            "valid_to": "2030-12-31",
        },
    ],
    "aadhaar": {
        "number": "234523452345",
        "vid": "9123912391239123",
        "name": "Ravi Kumar",
        "yob": 1980,
        "mobile": "9876500001",
    },
}


def iec_record(**overrides: Any) -> dict[str, Any]:
    record = copy.deepcopy(IEC)
    record.update(overrides)
    return record


@dataclass
class Portal:
    """The running mock portal, and the test API as small helpers."""

    url: str
    api: httpx.Client

    def page_url(self, path: str) -> str:
        return self.url + path

    def reset(self) -> None:
        self.api.post("/__mock__/reset").raise_for_status()

    def seed(
        self, users: list[dict[str, Any]] | None = None, iecs: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        r = self.api.post("/__mock__/seed", json={"users": users or [], "iecs": iecs or []})
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    def clock(self, now: str | None) -> None:
        self.api.post("/__mock__/clock", json={"now": now}).raise_for_status()

    def faults(self, **faults: Any) -> None:
        self.api.post("/__mock__/faults", json=faults).raise_for_status()

    def outbox(self, to: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api.get("/__mock__/outbox", params={"to": to}).json()
        return result

    def otp(self, to: str, *, wait_s: float = 10) -> str:
        """The newest OTP sent to ``to``; waits for one (the page's request may still be
        on its way when a test asks)."""
        deadline = time.monotonic() + wait_s
        while not (messages := [m for m in self.outbox(to) if m["otp"]]):
            assert time.monotonic() < deadline, f"no OTP sent to {to}"
            time.sleep(0.1)
        return str(messages[0]["otp"])

    def captcha_answer(self, captcha_id: str) -> str:
        return str(self.api.get(f"/__mock__/captcha/{captcha_id}").json()["answer"])

    def iec(self, iec: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.get(f"/__mock__/iecs/{iec}").json()
        return result

    def applications(self, iec: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api.get(
            "/__mock__/applications", params={"iec": iec}
        ).json()
        return result

    # --- page helpers, used as a person would ---

    def solve_captcha(self, page: Page, image_id: str = "captcha") -> str:
        """The answer to the captcha shown by the image ``#image_id`` (the login modal's
        ``img#captcha`` by default), which carries the captcha's id."""
        captcha_id = page.locator(f"#{image_id}").get_attribute("data-captcha-id")
        assert captcha_id
        return self.captcha_answer(captcha_id)

    def open_login(self, page: Page) -> Locator:
        """The landing page, then the header's Login link: the login modal."""
        page.goto(self.url + "/CP/")
        page.get_by_role("banner").get_by_role("link", name="Login", exact=True).click()
        dialog = page.get_by_role("dialog", name="Login")
        expect(dialog).to_be_visible()
        return dialog

    def login(self, page: Page, email: str = USER["email"], password: str = PASSWORD) -> None:
        dialog = self.open_login(page)
        dialog.get_by_label("Username").fill(email)
        dialog.get_by_label("Password").fill(password)
        dialog.get_by_label("Captcha").fill(self.solve_captcha(page))
        dialog.get_by_role("button", name="Login", exact=True).click()
        expect(page.locator(".d-breadcrumb")).to_contain_text("My Dashboard")

    def dsc_sign(self, page: Page, token: str, pin: str) -> None:
        """Go through the emBridge dialog drawn by embridge.js."""
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Select Device").select_option(label=token)
        certificate = dialog.get_by_label("Select Certificate")
        expect(certificate).to_be_enabled()
        expect(certificate.locator("option")).not_to_have_count(1)
        certificate.select_option(index=1)
        dialog.get_by_label("PIN").fill(pin)
        dialog.get_by_role("button", name="Sign", exact=True).click()


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    db = str(tmp_path_factory.mktemp("portal") / "portal.db")
    embridge_port = free_port()
    app = create_app(db, test_mode=True, embridge_url=f"http://127.0.0.1:{embridge_port}")
    handle = run_in_thread(app, "127.0.0.1", 0, embridge_port=embridge_port)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def api_client(portal_server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def portal(portal_server: ServerHandle, api_client: httpx.Client) -> Portal:
    """A reset portal with the clock inside the annual window, one user (no IEC linked) and
    one unlinked IEC (tokens RAVI-EPASS pin 1234, ORG-TOKEN pin 5678; Aadhaar with mobile)."""
    p = Portal(portal_server.url, api_client)
    p.reset()
    p.clock(IN_WINDOW)
    p.seed(users=[USER], iecs=[iec_record()])
    return p


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(10_000)
    return page


def flash(page: Page) -> str:
    return page.locator("#successMessage").inner_text()


ACK_RE = re.compile(r"^IEC/(UPD|LNK)/\d{4}/\d{6}$")
