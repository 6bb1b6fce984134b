"""Update IEC: the application form saved section by section (PORTAL.md section 6), the
declaration with Place and Date, uploads inside their sections, PIN codes filling state and
district, the bank accounts linked to the PAN, signing, the annual window (de-activation and
re-activation), and the printed e-IEC."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.portal.conftest import ACK_RE, IEC, USER, Portal, iec_record

SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GENERAL = "General Information"
PERSONS = "Proprietor/Partner/Director Details"
BRANCHES = "Branch Details"
BANK = "Bank Details"
OTHER = "Other Details"
DECLARATION = "Declaration"
#: the sections after General Information, in order
AFTER_GENERAL = (PERSONS, BRANCHES, BANK, OTHER, DECLARATION)


def linked(portal: Portal, **overrides: object) -> None:
    portal.seed(iecs=[iec_record(linked_user=USER["email"], **overrides)])


def pdf(name: str, content: bytes = SMALL_PDF, mime: str = "application/pdf") -> dict[str, object]:
    return {"name": name, "mimeType": mime, "buffer": content}


def start_fresh(page: Page, portal: Portal, *, login: bool = True) -> None:
    if login:
        portal.login(page)
    page.get_by_role("button", name="Update/Modify IEC").click()
    page.get_by_role("button", name="Start Fresh Application").click()


def current_section(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def save_and_next(page: Page, expected_next: str) -> None:
    page.get_by_role("button", name="Save and Next").click()
    current_section(page, expected_next)


def walk_to(page: Page, last: str, *, start: str = GENERAL) -> None:
    """Save and Next from ``start`` through the sections until ``last`` is open."""
    order = (GENERAL, *AFTER_GENERAL)
    for title in order[order.index(start) + 1 : order.index(last) + 1]:
        save_and_next(page, title)


def declare(page: Page, *, place: str = "Pune") -> None:
    page.get_by_label("I hereby declare").check()
    page.get_by_label("Place", exact=True).fill(place)


def sign_and_submit(page: Page, method: str) -> None:
    label = "Digital Signature Certificate (DSC)" if method == "dsc" else "Aadhaar eSign"
    page.get_by_label(label).check()
    page.get_by_role("button", name="Sign and Submit").click()


def esign(page: Page, portal: Portal) -> None:
    page.get_by_label("Aadhaar Number / VID").fill(IEC["aadhaar"]["number"])  # type: ignore[index]
    page.get_by_label("I hereby state").check()
    page.get_by_role("button", name="Get OTP").click()
    page.get_by_label("Enter OTP").fill(portal.otp("9876500001"))
    page.get_by_role("button", name="Verify").click()


def upload(page: Page, label: str, file: dict[str, object]) -> None:
    page.get_by_label(label, exact=True).set_input_files(file)  # type: ignore[arg-type]
    page.get_by_role("button", name=f"Upload {label}").click()


def dsc_update(page: Page, portal: Portal) -> str:
    sign_and_submit(page, "dsc")
    portal.dsc_sign(page, "RAVI-EPASS", "1234")
    expect(page.locator("#ackNumber")).to_be_visible()
    return page.locator("#ackNumber").inner_text()


def no_change_update_with_dsc(page: Page, portal: Portal, *, login: bool = True) -> str:
    """The annual update with nothing to change, as PORTAL.md section 6 has it: every
    section opened and saved, then the declaration (Place, Date) and the signature."""
    start_fresh(page, portal, login=login)
    current_section(page, GENERAL)
    walk_to(page, DECLARATION)
    expect(page.locator("#noChanges")).to_be_visible()
    declare(page)
    return dsc_update(page, portal)


def set_options(portal: Portal, **options: object) -> None:
    portal.api.post("/__mock__/options", json=options).raise_for_status()


# --- the annual update, section by section ------------------------------------------------


def test_the_annual_update_with_no_change_saves_every_section_and_is_signed_with_a_dsc(
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


def test_the_first_save_gives_the_application_its_number_and_draft_id_kept_to_the_end(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    current_section(page, GENERAL)
    expect(page.locator("#applicationNumber")).to_have_count(0)
    expect(page.locator("#draftId")).to_have_count(0)

    save_and_next(page, PERSONS)
    expect(page.get_by_role("status")).to_have_text("General Information saved successfully.")
    number = page.locator("#applicationNumber").input_value()
    draft_id = page.locator("#draftId").input_value()
    assert ACK_RE.match(number), number
    assert re.fullmatch(r"\d{14}", draft_id), draft_id
    expect(page.get_by_text(f"Application Number: {number}")).to_be_visible()

    walk_to(page, DECLARATION, start=PERSONS)
    assert page.locator("#applicationNumber").input_value() == number
    assert page.locator("#draftId").input_value() == draft_id
    # a saved section can be opened again from its tab, by name
    page.get_by_role("link", name=BANK, exact=True).click()
    current_section(page, BANK)
    walk_to(page, DECLARATION, start=BANK)
    declare(page)
    assert dsc_update(page, portal) == number


def test_a_section_cannot_be_skipped_before_the_ones_before_it_are_saved(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    current_section(page, GENERAL)
    expect(page.get_by_role("link", name=BANK, exact=True)).to_have_count(0)
    page.goto(
        portal.url + "/CP/web?requestType=ApplicationRH&actionVal=updateSection"
        "&section=bankInformation"
    )
    current_section(page, GENERAL)


def test_the_declaration_needs_the_check_box_a_place_and_a_date(page: Page, portal: Portal) -> None:
    linked(portal)
    start_fresh(page, portal)
    walk_to(page, DECLARATION)
    date = page.get_by_label("Date", exact=True)
    expect(date).to_have_value("10/05/2026")  # prefilled with the portal's date
    place = page.get_by_label("Place", exact=True)
    expect(place).to_have_value("")
    sign_button = page.get_by_role("button", name="Sign and Submit")
    page.get_by_label("Digital Signature Certificate (DSC)").check()

    sign_button.click()
    expect(page.get_by_role("alert")).to_have_text(
        "Please accept the declaration before submitting."
    )
    page.get_by_label("I hereby declare").check()
    sign_button.click()
    expect(page.get_by_role("alert")).to_have_text("Place is required.")
    page.get_by_label("I hereby declare").check()
    place.fill("Pune")
    date.fill("")
    page.get_by_label("Digital Signature Certificate (DSC)").check()
    sign_button.click()
    expect(page.get_by_role("alert")).to_have_text("Date is required.")
    expect(place).to_have_value("Pune")  # what was typed is kept
    page.get_by_label("I hereby declare").check()
    date.fill("31/02/2026")
    page.get_by_label("Digital Signature Certificate (DSC)").check()
    sign_button.click()
    expect(page.get_by_role("alert")).to_have_text("Please enter a valid Date.")
    assert portal.applications(IEC["iec"]) == []

    page.get_by_label("I hereby declare").check()
    date.fill("11/05/2026")  # a date chosen by the person
    ack = dsc_update(page, portal)
    assert ACK_RE.match(ack)


# --- PIN codes, uploads, persons, branches -------------------------------------------------


def test_the_pin_code_fills_state_and_district_and_an_unknown_pin_is_refused(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    state, district = page.get_by_label("State", exact=True), page.get_by_label("District")
    expect(state).to_have_value("Maharashtra")
    expect(district).to_have_value("Pune")
    expect(state).not_to_be_editable()

    pin = page.get_by_label("PIN Code")
    pin.fill("396195")
    expect(state).to_have_value("Gujarat")
    expect(district).to_have_value("Valsad")

    pin.fill("999999")
    expect(page.get_by_role("alert")).to_have_text("Please enter a valid PIN Code.")
    expect(state).to_have_value("")
    page.get_by_role("button", name="Save and Next").click()
    # the page's own alert already says so: wait for the portal's answer to the save
    expect(page.get_by_role("progressbar")).to_be_hidden()
    expect(page.get_by_role("alert")).to_have_text("Please enter a valid PIN Code.")
    current_section(page, GENERAL)

    page.get_by_label("PIN Code").fill("411004")
    expect(page.get_by_label("District")).to_have_value("Pune")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_the_address_proof_is_uploaded_inside_the_general_section_as_a_small_pdf(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    page.get_by_label("Address Line 1").fill("44 FC Road")
    page.get_by_label("PIN Code").fill("41100")
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_have_text("Please enter a valid PIN Code.")
    current_section(page, GENERAL)
    page.get_by_label("PIN Code").fill("411004")
    expect(page.get_by_label("State", exact=True)).to_have_value("Maharashtra")
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Address Proof is required because the address has changed."
    )

    upload(page, "Address Proof", pdf("bill.pdf", b"just text, not a PDF"))
    expect(page.get_by_role("alert")).to_contain_text("Only PDF files are allowed")
    upload(page, "Address Proof", pdf("bill.png", mime="image/png"))
    expect(page.get_by_role("alert")).to_contain_text("Only PDF files are allowed")
    upload(page, "Address Proof", pdf("scan.pdf", SMALL_PDF + b"0" * (5 * 1024 * 1024)))
    expect(page.get_by_role("alert")).to_contain_text("File size must not exceed 5 MB")
    upload(page, "Address Proof", pdf("bill.pdf"))
    expect(page.get_by_role("status")).to_have_text("Address Proof uploaded successfully.")
    expect(page.get_by_text("Uploaded: bill.pdf")).to_be_visible()
    expect(page.get_by_label("Address Line 1")).to_have_value("44 FC Road")  # not re-rendered

    save_and_next(page, PERSONS)
    walk_to(page, DECLARATION, start=PERSONS)
    expect(page.get_by_role("table", name="Changes")).to_contain_text("44 FC Road")
    declare(page)
    sign_and_submit(page, "aadhaar")
    esign(page, portal)
    expect(page.locator("#ackNumber")).to_have_text(ACK_RE)
    record = portal.iec(IEC["iec"])
    assert record["address"]["line1"] == "44 FC Road"
    assert (record["address"]["pin"], record["address"]["district"]) == ("411004", "Pune")
    [app] = portal.applications(IEC["iec"])
    assert app["signed_with"] == "aadhaar"
    assert app["changes"]["address.line1"] == {"from": "12 MG Road", "to": "44 FC Road"}


def test_a_director_is_added_with_din_name_as_per_pan_pan_and_date_of_birth(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    save_and_next(page, PERSONS)
    page.get_by_label("Designation").select_option("Director")
    page.get_by_label("Name as per PAN").fill("Sunita Kumar")
    page.get_by_label("PAN", exact=True).fill("ABCPK5678Q")
    page.get_by_label("Date of Birth").fill("02/03/1985")
    add = page.get_by_role("button", name="Add", exact=True)
    add.click()
    expect(page.get_by_role("alert")).to_have_text("DIN is required for a Director.")
    page.get_by_label("Designation").select_option("Director")
    page.get_by_label("DIN", exact=True).fill("123")
    page.get_by_label("Name as per PAN").fill("Sunita Kumar")
    page.get_by_label("PAN", exact=True).fill("ABCPK5678Q")
    page.get_by_label("Date of Birth").fill("02/03/1985")
    add.click()
    expect(page.get_by_role("alert")).to_have_text("Please enter a valid 8 digit DIN.")
    page.get_by_label("Designation").select_option("Director")
    page.get_by_label("DIN", exact=True).fill("01234567")
    page.get_by_label("Name as per PAN").fill("Sunita Kumar")
    page.get_by_label("PAN", exact=True).fill("ABCPK5678Q")
    page.get_by_label("Date of Birth").fill("02/03/1985")
    add.click()
    row = page.get_by_role("row", name="Sunita Kumar")
    expect(row).to_contain_text("01234567")
    expect(row).to_contain_text("02/03/1985")

    walk_to(page, DECLARATION, start=PERSONS)
    declare(page)
    dsc_update(page, portal)
    expect(page.locator("#applicationStatus")).to_have_text("In Progress")  # Regional Authority
    [app] = portal.applications(IEC["iec"])
    added = app["changes"]["directors"]["to"][-1]
    assert added == {
        "name": "Sunita Kumar",
        "pan": "ABCPK5678Q",
        "designation": "Director",
        "dob": "1985-03-02",
        "din": "01234567",
    }


def test_a_branch_takes_its_state_and_district_from_its_pin_code(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    walk_to(page, BRANCHES)
    page.get_by_label("Branch Address Line 1").fill("Survey No 212 GIDC Estate")
    page.get_by_label("Branch City").fill("Vapi")
    page.get_by_label("Branch PIN Code").fill("396195")
    expect(page.get_by_label("Branch State")).to_have_value("Gujarat")
    expect(page.get_by_label("Branch District")).to_have_value("Valsad")
    page.get_by_role("button", name="Add Branch").click()
    expect(page.get_by_role("table", name="Branches")).to_contain_text("Vapi, Gujarat - 396195")
    walk_to(page, DECLARATION, start=BRANCHES)
    declare(page)
    dsc_update(page, portal)
    branches = portal.iec(IEC["iec"])["branches"]
    assert branches[-1]["state"] == "Gujarat"
    assert branches[-1]["district"] == "Valsad"


# --- bank accounts ----------------------------------------------------------------------


def add_account(page: Page, number: str, *, ifsc: str = "HDFC0000123") -> None:
    page.get_by_label("Account Holder Name").fill("Kumar Exports")
    page.get_by_label("Bank Account Number").fill(number)
    page.get_by_label("IFSC Code").fill(ifsc)
    page.get_by_label("Bank Name").fill("HDFC Bank")
    page.get_by_label("Bank Branch Address").fill("FC Road, Pune")
    page.get_by_role("button", name="Add Bank Account").click()


def test_a_failed_bank_verification_marks_the_application_deficient(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    start_fresh(page, portal)
    walk_to(page, BANK)
    accounts = page.get_by_role("table", name="Bank Accounts")
    expect(accounts).to_contain_text("123456789012")  # the account the portal knows
    add_account(page, "5010020003000", ifsc="SBIN123")
    expect(page.get_by_role("alert")).to_contain_text("IFSC Code")
    add_account(page, "5010020003000")
    expect(accounts).to_contain_text("5010020003000")
    page.get_by_role("button", name="Remove bank account 123456789012").click()
    expect(accounts).not_to_contain_text("123456789012")
    page.get_by_role("button", name="Save and Next").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Cancelled Cheque / Bank Certificate is required because the bank account has changed."
    )
    upload(page, "Cancelled Cheque / Bank Certificate", pdf("cheque.pdf"))
    expect(page.get_by_text("Uploaded: cheque.pdf")).to_be_visible()
    save_and_next(page, OTHER)
    save_and_next(page, DECLARATION)
    declare(page)
    dsc_update(page, portal)
    expect(page.locator("#bankVerificationStatus")).to_have_text("Failed")
    expect(page.locator("#applicationStatus")).to_have_text("Deficient")
    assert portal.iec(IEC["iec"])["bank"]["account_number"] == "123456789012"


def test_an_account_linked_to_the_pan_left_undeclared_sends_the_application_deficient(
    page: Page, portal: Portal
) -> None:
    linked(portal, npci_accounts=["987650001234"])
    ack = no_change_update_with_dsc(page, portal)
    expect(page.locator("#bankVerificationStatus")).to_have_text("Failed")
    expect(page.locator("#applicationStatus")).to_have_text("Deficient")
    expect(page.get_by_role("row", name="Remarks")).to_contain_text("987650001234")
    [app] = portal.applications(IEC["iec"])
    assert (app["ack"], app["status"], app["bank_status"]) == (ack, "Deficient", "Failed")
    assert portal.iec(IEC["iec"])["last_updated"] == "2025-05-20"  # not updated


def test_declaring_every_account_linked_to_the_pan_gets_the_update_approved(
    page: Page, portal: Portal
) -> None:
    linked(portal, npci_accounts=["987650001234"])
    start_fresh(page, portal)
    walk_to(page, BANK)
    add_account(page, "987650001234")
    expect(page.get_by_role("status")).to_have_text("Bank account 987650001234 added.")
    upload(page, "Cancelled Cheque / Bank Certificate", pdf("cheque.pdf"))
    expect(page.get_by_role("status")).to_contain_text("uploaded successfully")
    walk_to(page, DECLARATION, start=BANK)
    declare(page)
    dsc_update(page, portal)
    expect(page.locator("#bankVerificationStatus")).to_have_text("Success")
    expect(page.locator("#applicationStatus")).to_have_text("Approved")
    banks = portal.iec(IEC["iec"])["banks"]
    assert [b["account_number"] for b in banks] == ["123456789012", "987650001234"]
    assert banks[1]["branch"] == "FC Road, Pune"


def test_an_iec_seeded_with_several_accounts_lists_them_all(page: Page, portal: Portal) -> None:
    second = {
        "account_holder": "Kumar Exports",
        "account_number": "555500001111",
        "ifsc": "ICIC0000456",
        "bank_name": "ICICI Bank",
        "branch": "Camp, Pune",
    }
    linked(portal, banks=[IEC["bank"], second])
    start_fresh(page, portal)
    walk_to(page, BANK)
    accounts = page.get_by_role("table", name="Bank Accounts")
    expect(accounts).to_contain_text("123456789012")
    expect(accounts).to_contain_text("555500001111")
    walk_to(page, DECLARATION, start=BANK)
    expect(page.locator("#noChanges")).to_be_visible()


# --- the one-click "no change" (unconfirmed: only behind a mock option) ---------------------


def test_there_is_no_one_click_no_change_button_by_default(page: Page, portal: Portal) -> None:
    linked(portal)
    start_fresh(page, portal)
    current_section(page, GENERAL)
    expect(page.get_by_role("button", name="No change in IEC details – confirm")).to_have_count(0)


def test_the_one_click_no_change_button_is_there_with_the_mock_option(
    page: Page, portal: Portal
) -> None:
    linked(portal)
    set_options(portal, no_change_button=True)
    start_fresh(page, portal)
    page.get_by_role("button", name="No change in IEC details – confirm").click()
    current_section(page, DECLARATION)
    expect(page.locator("#noChanges")).to_be_visible()
    expect(page.locator("#applicationNumber")).to_have_value(ACK_RE)
    declare(page)
    dsc_update(page, portal)
    expect(page.locator("#applicationStatus")).to_have_text("Approved")
    [app] = portal.applications(IEC["iec"])
    assert app["changes"] == {}


# --- one application a year, contacts, the annual window, the e-IEC ------------------------


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
    current_section(page, GENERAL)
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
    expect(page.get_by_role("table", name="Bank Accounts")).to_contain_text("123456789012")
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
