"""Update IEC: annual no-change confirmation, modifications with documents, signing, the
annual window (de-activation and re-activation), and the printed e-IEC."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.portal.conftest import ACK_RE, IEC, USER, Portal, iec_record

SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def linked(portal: Portal, **overrides: object) -> None:
    portal.seed(iecs=[iec_record(linked_user=USER["email"], **overrides)])


def start_fresh(page: Page, portal: Portal, *, login: bool = True) -> None:
    if login:
        portal.login(page)
    page.get_by_role("button", name="Update/Modify IEC").click()
    page.get_by_role("button", name="Start Fresh Application").click()


def current_section(page: Page, key: str) -> None:
    expect(page.locator("#updateTabs li.current")).to_have_attribute("data-section", key)


def save_and_next(page: Page, expected_next: str) -> None:
    page.get_by_role("button", name="Save and Next").click()
    current_section(page, expected_next)


def sign_and_submit(page: Page, method: str) -> None:
    page.get_by_label("I hereby declare").check()
    label = "Digital Signature Certificate (DSC)" if method == "dsc" else "Aadhaar eSign"
    page.get_by_label(label).check()
    page.get_by_role("button", name="Sign and Submit").click()


def esign(page: Page, portal: Portal) -> None:
    page.get_by_label("Aadhaar Number / VID").fill(IEC["aadhaar"]["number"])  # type: ignore[index]
    page.get_by_label("I hereby state").check()
    page.get_by_role("button", name="Get OTP").click()
    page.get_by_label("Enter OTP").fill(portal.otp("9876500001"))
    page.get_by_role("button", name="Verify").click()


def no_change_update_with_dsc(page: Page, portal: Portal, *, login: bool = True) -> str:
    start_fresh(page, portal, login=login)
    current_section(page, "general")
    page.get_by_role("button", name="No change in IEC details – confirm").click()
    current_section(page, "preview")
    expect(page.locator("#noChanges")).to_be_visible()
    sign_and_submit(page, "dsc")
    portal.dsc_sign(page, "RAVI-EPASS", "1234")
    expect(page.locator("#ackNumber")).to_be_visible()
    return page.locator("#ackNumber").inner_text()


def test_the_annual_update_with_no_change_is_confirmed_and_signed_with_a_dsc(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    ack = no_change_update_with_dsc(page, portal)
    assert ACK_RE.match(ack)
    expect(page.locator("#successMessage")).to_have_text(
        "Your application has been submitted successfully."
    )
    expect(page.locator("#bankVerificationStatus")).to_have_text("Success")
    expect(page.locator("#applicationStatus")).to_have_text("Approved")
    record = portal.iec(IEC["iec"])
    assert (record["last_updated"], record["status"]) == ("2026-05-10", "active")
    [app] = portal.applications(IEC["iec"])
    assert (app["ack"], app["kind"], app["signed_with"], app["changes"]) == (
        ack,
        "update",
        "dsc",
        {},
    )


def test_second_update_in_the_same_year_is_refused(page: Page, portal: Portal) -> None:
    linked(portal)
    no_change_update_with_dsc(page, portal)
    page.get_by_role("link", name="Go to Dashboard").click()
    page.get_by_role("button", name="Services").click()
    page.get_by_role("link", name="Update IEC").click()
    page.get_by_role("button", name="Start Fresh Application").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "An application for this IEC is already submitted."
    )
    assert len(portal.applications(IEC["iec"])) == 1


def test_an_iec_already_updated_this_financial_year_is_refused_a_new_update(
    page: Page, portal: Portal
) -> None:
    linked(portal, last_updated="2026-04-20")  # the clock is at 10 May 2026: FY 2026-27
    start_fresh(page, portal)
    expect(page.get_by_role("alert")).to_contain_text(
        "An application for this IEC is already submitted."
    )
    assert portal.applications(IEC["iec"]) == []


def test_an_address_change_needs_a_pdf_proof_and_is_signed_with_aadhaar(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    page.get_by_label("Address Line 1").fill("44 FC Road")
    page.get_by_label("PIN Code").fill("41100")
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_have_text("Please enter a valid PIN Code.")
    current_section(page, "general")
    page.get_by_label("PIN Code").fill("411004")
    save_and_next(page, "persons")
    save_and_next(page, "branches")
    save_and_next(page, "bank")
    save_and_next(page, "other")
    save_and_next(page, "documents")

    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_contain_text("Address Proof is required")
    proof = page.get_by_label("Address Proof")
    proof.set_input_files(
        {"name": "bill.pdf", "mimeType": "application/pdf", "buffer": b"just text, not a PDF"}
    )
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_contain_text("Only PDF files are allowed")
    proof.set_input_files({"name": "bill.png", "mimeType": "image/png", "buffer": SMALL_PDF})
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_contain_text("Only PDF files are allowed")
    big = SMALL_PDF + b"0" * (5 * 1024 * 1024)
    proof.set_input_files({"name": "scan.pdf", "mimeType": "application/pdf", "buffer": big})
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_contain_text("File size must not exceed 5 MB")
    proof.set_input_files({"name": "bill.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF})
    save_and_next(page, "preview")
    expect(page.locator("#changesTable")).to_contain_text("44 FC Road")

    sign_and_submit(page, "aadhaar")
    esign(page, portal)
    expect(page.locator("#ackNumber")).to_have_text(ACK_RE)
    record = portal.iec(IEC["iec"])
    assert record["address"]["line1"] == "44 FC Road"
    assert record["address"]["pin"] == "411004"
    [app] = portal.applications(IEC["iec"])
    assert app["signed_with"] == "aadhaar"
    assert app["changes"]["address.line1"] == {"from": "12 MG Road", "to": "44 FC Road"}


def test_a_failed_bank_verification_marks_the_application_deficient(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    save_and_next(page, "persons")
    save_and_next(page, "branches")
    save_and_next(page, "bank")
    page.get_by_label("IFSC Code").fill("SBIN123")
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_contain_text("IFSC Code")
    page.get_by_label("IFSC Code").fill("HDFC0000123")
    page.get_by_label("Bank Account Number").fill("5010020003000")
    save_and_next(page, "other")
    save_and_next(page, "documents")
    page.get_by_label("Cancelled Cheque / Bank Certificate").set_input_files(
        {"name": "cheque.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    )
    save_and_next(page, "preview")
    sign_and_submit(page, "dsc")
    portal.dsc_sign(page, "RAVI-EPASS", "1234")
    expect(page.locator("#bankVerificationStatus")).to_have_text("Failed")
    expect(page.locator("#applicationStatus")).to_have_text("Deficient")
    assert portal.iec(IEC["iec"])["bank"]["account_number"] == "123456789012"


def test_contacts_verified_more_than_a_year_ago_are_reverified_with_otps(
    page: Page, portal: Portal
) -> None:
    linked(portal, contacts_verified_on="2025-01-15")
    start_fresh(page, portal)
    expect(page.locator("#reverifyInfo")).to_contain_text("15/01/2025")
    page.get_by_role("button", name="Send OTP").click()
    # the codes are in the outbox once the page has answered (the fields show)
    expect(page.get_by_label("Mobile OTP")).to_be_visible()
    page.get_by_label("Mobile OTP").fill(portal.otp(IEC["mobile"]))  # type: ignore[arg-type]
    page.get_by_label("Email OTP").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid Email OTP")
    page.get_by_role("button", name="Resend OTP").click()
    expect(page.get_by_text("Invalid Email OTP")).to_be_hidden()  # the resend answered
    page.get_by_label("Mobile OTP").fill(portal.otp(IEC["mobile"]))  # type: ignore[arg-type]
    page.get_by_label("Email OTP").fill(portal.otp(IEC["email"]))  # type: ignore[arg-type]
    page.get_by_role("button", name="Verify").click()
    current_section(page, "general")
    assert portal.iec(IEC["iec"])["contacts_verified_on"] == "2026-05-10"


def test_an_iec_not_updated_in_the_window_is_deactivated_and_an_update_reactivates_it(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    portal.clock("2026-06-30T18:00:00")
    assert portal.iec(IEC["iec"])["status"] == "active"
    portal.clock("2026-07-01T10:00:00")
    assert portal.iec(IEC["iec"])["status"] == "deactivated"
    page.goto(portal.url + "/CP/?opt=LIEC")
    expect(page.locator("#liecTable")).to_contain_text(IEC["iec"])  # type: ignore[arg-type]
    portal.login(page)
    expect(page.locator("#iecStatus")).to_have_text("De-activated")
    expect(page.locator("#deactivatedWarning")).to_be_visible()
    no_change_update_with_dsc(page, portal, login=False)
    expect(page.locator("#ackIecStatus")).to_have_text("Active")
    record = portal.iec(IEC["iec"])
    assert (record["status"], record["last_updated"]) == ("active", "2026-07-01")


def test_the_e_iec_is_printed_as_a_pdf_of_the_record(page: Page, portal: Portal) -> None:
    linked(portal)
    portal.login(page)
    page.get_by_role("button", name="View IEC Details").click()
    expect(page.locator("#linkedUser")).to_have_text(USER["email"])
    expect(page.locator("#iecStatus")).to_have_text("Active")
    with page.expect_download() as info:
        page.get_by_role("button", name="Print e-IEC").click()
    download = info.value
    assert download.suggested_filename == f"e-IEC_{IEC['iec']}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(download.path()).pages)
    for expected in (
        IEC["iec"],
        IEC["pan"],
        "Kumar Exports",
        "Proprietorship",
        "Nashik",
        "12 MG Road",
        "20/05/2025",
        "Active",
        "This is a system generated, digitally signed e-IEC",
    ):
        assert expected in re.sub(r"\s+", " ", text), expected
