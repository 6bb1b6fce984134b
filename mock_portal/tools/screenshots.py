"""Take a screenshot of each main page of the mock portal into docs/screenshots/.

    .venv/bin/python -m mock_portal.tools.screenshots [--out docs/screenshots] [--only login]

Starts the portal (test mode, temporary database, demo seed) and emBridge in threads, then
walks the journeys in Chromium (``/usr/bin/chromium`` when present, else Playwright's own;
override with ``--chromium PATH``) as a person would.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml
from playwright.sync_api import Page, expect, sync_playwright

from mock_portal.app import create_app
from mock_portal.server import free_port, run_in_thread

SEED = Path(__file__).resolve().parent.parent / "seeds" / "demo.yaml"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Tour:
    def __init__(self, page: Page, url: str, api: httpx.Client, out: Path) -> None:
        self.page, self.url, self.api, self.out = page, url, api, out

    def shot(self, name: str) -> None:
        self.page.wait_for_timeout(150)
        self.page.screenshot(path=str(self.out / f"{name}.png"), full_page=True)
        print(f"  {name}.png")

    def otp(self, to: str) -> str:
        messages = self.api.get("/__mock__/outbox", params={"to": to}).json()
        return str(next(m["otp"] for m in messages if m["otp"]))

    def captcha(self, image_id: str = "captcha") -> str:
        cid = self.page.locator(f"#{image_id}").get_attribute("data-captcha-id")
        return str(self.api.get(f"/__mock__/captcha/{cid}").json()["answer"])

    def login(self, email: str, shoot: bool = False) -> None:
        page = self.page
        page.goto(self.url + "/CP/")
        page.get_by_role("banner").get_by_role("link", name="Login", exact=True).click()
        dialog = page.get_by_role("dialog", name="Login")
        dialog.get_by_label("Username").fill(email)
        dialog.get_by_label("Password").fill("Passw0rd!")
        if shoot:
            self.shot("02-login")
            dialog.get_by_label("Captcha").fill("WRONG1")
            dialog.get_by_role("button", name="Login", exact=True).click()
            popup = page.get_by_role("dialog").filter(has_text="Please enter correct captcha")
            expect(popup).to_be_visible()
            self.shot("02-login-captcha-refused")
            popup.get_by_role("button", name="OK").click()
        dialog.get_by_label("Captcha").fill(self.captcha())
        dialog.get_by_role("button", name="Login", exact=True).click()
        expect(page.locator(".d-breadcrumb")).to_contain_text("My Dashboard")

    def session_timed_out(self) -> None:
        """A logged-in session ended by the portal: the next page is the login."""
        self.api.post("/__mock__/sessions/expire", json={})
        self.page.goto(self.url + "/CP/web?requestType=ApplicationRH&actionVal=dashboard")
        expect(self.page.get_by_role("alert")).to_contain_text("Your session has timed out")
        self.shot("25-session-timed-out")

    def run_login(self) -> None:
        """Only the login's screenshots."""
        self.login("ravi@example.in", shoot=True)
        self.session_timed_out()

    def dsc(self, token: str, pin: str, shoot: str = "") -> None:
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_label("Select Device").select_option(label=token)
        expect(dialog.get_by_label("Select Certificate").locator("option")).not_to_have_count(1)
        dialog.get_by_label("Select Certificate").select_option(index=1)
        dialog.get_by_label("PIN").fill(pin)
        if shoot:
            self.shot(shoot)
        dialog.get_by_role("button", name="Sign", exact=True).click()

    def save_and_next(self, saved: str) -> None:
        self.page.get_by_role("button", name="Save and Next").click()
        expect(self.page.get_by_role("status")).to_have_text(f"{saved} saved successfully.")

    def update_screens(self) -> None:
        """Update IEC, as ravi (his IEC linked): the form saved section by section, the
        uploads inside their sections, the declaration, the DSC and the acknowledgement."""
        page = self.page
        self.shot("13-update-landing")
        page.get_by_role("button", name="Start Fresh Application").click()
        page.get_by_label("Address Line 1").fill("44 FC Road")
        page.get_by_label("PIN Code").fill("411004")
        expect(page.get_by_label("District")).to_have_value("Pune")
        page.get_by_label("Address Proof", exact=True).set_input_files(
            {"name": "bill.txt", "mimeType": "text/plain", "buffer": b"not a pdf"}
        )
        page.get_by_role("button", name="Upload Address Proof").click()
        expect(page.get_by_role("alert")).to_contain_text("Only PDF files are allowed")
        self.shot("16-update-upload-refused")
        page.get_by_label("Address Proof", exact=True).set_input_files(
            {"name": "bill.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name="Upload Address Proof").click()
        expect(page.get_by_text("Uploaded: bill.pdf")).to_be_visible()
        self.shot("14-update-general")
        self.save_and_next("General Information")
        page.get_by_label("Designation").select_option("Partner")
        page.get_by_label("Name as per PAN").fill("Sunita Kumar")
        self.shot("15-update-persons")
        page.get_by_label("Name as per PAN").fill("")
        self.save_and_next("Proprietor/Partner/Director Details")
        self.save_and_next("Branch Details")
        page.get_by_label("Account Holder Name").fill("Kumar Exports")
        page.get_by_label("Bank Account Number").fill("50200012345678")
        page.get_by_label("IFSC Code").fill("HDFC0000123")
        page.get_by_label("Bank Name").fill("HDFC Bank")
        page.get_by_label("Bank Branch Address").fill("FC Road, Pune")
        page.get_by_role("button", name="Add Bank Account").click()
        expect(page.get_by_role("status")).to_contain_text("added")
        page.get_by_label("Cancelled Cheque / Bank Certificate", exact=True).set_input_files(
            {"name": "cheque.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name="Upload Cancelled Cheque / Bank Certificate").click()
        expect(page.get_by_text("Uploaded: cheque.pdf")).to_be_visible()
        self.shot("15-update-bank")
        self.save_and_next("Bank Details")
        self.save_and_next("Other Details")
        page.get_by_label("I hereby declare").check()
        page.get_by_label("Place", exact=True).fill("Pune")
        page.get_by_label("Digital Signature Certificate (DSC)").check()
        self.shot("17-update-declaration")
        page.get_by_role("button", name="Sign and Submit").click()
        self.dsc("RAVI-EPASS", "1234", shoot="18-dsc-dialog")
        expect(page.locator("#ackNumber")).to_be_visible()
        self.shot("19-acknowledgement")

    def meena_signs_without_embridge(self) -> None:
        """meena's annual update, every section saved as it is, while emBridge is down."""
        page = self.page
        for saved in (
            "General Information",
            "Proprietor/Partner/Director Details",
            "Branch Details",
            "Bank Details",
            "Other Details",
        ):
            self.save_and_next(saved)
        page.get_by_label("I hereby declare").check()
        page.get_by_label("Place", exact=True).fill("Ahmedabad")
        page.get_by_label("Digital Signature Certificate (DSC)").check()
        page.get_by_role("button", name="Sign and Submit").click()
        expect(page.locator("#signError")).to_be_visible()
        self.shot("22-embridge-not-running")

    def run_update(self, seed: dict[str, Any]) -> None:
        """Only Update IEC's screenshots (13-19, 21, 22)."""
        page = self.page
        ravi = next(i for i in seed["iecs"] if i["iec"] == "ABCPK1234F")
        body = {"iecs": [{**ravi, "linked_user": "ravi@example.in"}]}
        self.api.post("/__mock__/seed", json=_jsonable(body)).raise_for_status()
        self.login("ravi@example.in")
        page.get_by_role("button", name="Services").click()
        page.get_by_role("link", name="Update IEC").click()
        self.update_screens()
        page.goto(self.url + "/CP/web?requestType=ApplicationRH&actionVal=logout")
        self.api.post("/__mock__/faults", json={"embridge_down": True})
        self.login("meena@example.in")
        page.get_by_role("button", name="Update/Modify IEC").click()
        page.get_by_role("button", name="Start Fresh Application").click()
        self.shot("21-verify-contacts")
        page.get_by_role("button", name="Send OTP").click()
        page.get_by_label("Mobile OTP").fill(self.otp("9876500002"))
        page.get_by_label("Email OTP").fill(self.otp("shahtrading@example.in"))
        page.get_by_role("button", name="Verify").click()
        self.meena_signs_without_embridge()
        self.api.post("/__mock__/faults", json={})

    def run(self) -> None:
        page = self.page
        page.goto(self.url + "/CP/")
        self.shot("01-landing")
        page.goto(self.url + "/CP/?opt=LIEC")
        self.shot("03-liec")
        page.goto(self.url + "/CP/webHP?requestType=ApplicationRH&actionVal=registration")
        self.shot("04-register")
        self.login("ravi@example.in", shoot=True)
        self.shot("05-dashboard-no-iec")

        page.get_by_role("button", name="Link IEC").click()
        page.get_by_label("IEC Number").fill("ABCPK1234F")
        page.get_by_role("button", name="Validate").click()
        self.shot("06-link-iec-validated")
        page.get_by_role("button", name="E-sign with Aadhaar").click()
        page.get_by_label("PAN", exact=True).fill("ABCPK1234F")
        page.get_by_label("Name as per PAN").fill("Ravi Kumar")
        page.get_by_label("Date of Birth").fill("17/05/1980")
        self.shot("07-link-iec-aadhaar")
        page.get_by_role("button", name="Proceed to eSign").click()
        page.get_by_label("Aadhaar Number / VID").fill("234523452345")
        page.get_by_label("I hereby state").check()
        self.shot("08-esign-aadhaar")
        page.get_by_role("button", name="Get OTP").click()
        page.get_by_label("Enter OTP").fill(self.otp("9876500001"))
        self.shot("09-esign-otp")
        page.get_by_role("button", name="Verify").click()
        expect(page.locator("#iecNumber")).to_be_visible()
        self.shot("10-dashboard-linked")

        page.get_by_role("button", name="View IEC Details").click()
        expect(page.locator("#linkedUser")).to_be_visible()
        self.shot("11-view-iec-details")
        page.get_by_role("button", name="Services").click()
        self.shot("12-services-menu")
        page.get_by_role("link", name="Update IEC").click()
        self.update_screens()

        self.api.post("/__mock__/faults", json={"embridge_down": True})
        page.goto(self.url + "/CP/web?requestType=ApplicationRH&actionVal=logout")
        self.login("meena@example.in")
        self.api.post("/__mock__/faults", json={"seed": 1, "announcement_rate": 1.0})
        page.goto(self.url + "/CP/web?requestType=ApplicationRH&actionVal=logout")
        self.login("meena@example.in")
        self.shot("20-announcement")
        page.get_by_role("button", name="Close").click()
        self.api.post("/__mock__/faults", json={"embridge_down": True})
        page.get_by_role("button", name="Update/Modify IEC").click()
        page.get_by_role("button", name="Start Fresh Application").click()
        self.shot("21-verify-contacts")
        page.get_by_role("button", name="Send OTP").click()
        page.get_by_label("Mobile OTP").fill(self.otp("9876500002"))
        page.get_by_label("Email OTP").fill(self.otp("shahtrading@example.in"))
        page.get_by_role("button", name="Verify").click()
        self.meena_signs_without_embridge()

        self.api.post("/__mock__/faults", json={"seed": 1, "error_rate": 1.0})
        page.goto(self.url + "/CP/")
        self.shot("23-server-busy")
        self.api.post("/__mock__/faults", json={"maintenance": True})
        page.goto(self.url + "/CP/")
        self.shot("24-maintenance")
        self.api.post("/__mock__/faults", json={})
        self.session_timed_out()  # meena's, still logged in


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--chromium", default=os.environ.get("MOCK_PORTAL_CHROMIUM"))
    parser.add_argument("--only", choices=["login", "update"], help="take only these screenshots")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = args.chromium or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    with tempfile.TemporaryDirectory() as tmp:
        embridge_port = free_port()
        app = create_app(
            str(Path(tmp) / "portal.db"),
            test_mode=True,
            embridge_url=f"http://127.0.0.1:{embridge_port}",
        )
        handle = run_in_thread(app, "127.0.0.1", 0, embridge_port=embridge_port)
        try:
            with httpx.Client(base_url=handle.url) as api, sync_playwright() as pw:
                seed: dict[str, Any] = yaml.safe_load(SEED.read_text(encoding="utf-8"))
                api.post("/__mock__/seed", json=_jsonable(seed)).raise_for_status()
                api.post("/__mock__/clock", json={"now": "2026-05-10T10:00:00"})
                browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                page.set_default_timeout(10_000)
                tour = Tour(page, handle.url, api, out)
                if args.only == "login":
                    tour.run_login()
                elif args.only == "update":
                    tour.run_update(seed)
                else:
                    tour.run()
                browser.close()
        finally:
            handle.stop()
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


if __name__ == "__main__":
    raise SystemExit(main())
