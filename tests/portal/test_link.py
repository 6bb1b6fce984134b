"""Link IEC by DSC (emBridge) and by Aadhaar eSign, and each refusal."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.portal.conftest import IEC, OTHER_USER, USER, Portal, iec_record


def open_link_iec(page: Page, portal: Portal, iec: str = IEC["iec"]) -> None:
    portal.login(page)
    page.get_by_role("button", name="Link IEC").click()
    page.get_by_label("IEC Number").fill(iec)
    page.get_by_role("button", name="Validate").click()


def fill_pan_details(
    page: Page, pan: str = IEC["pan"], name: str = "Ravi Kumar", dob: str = "17/05/1980"
) -> None:
    page.get_by_role("button", name="E-sign with Aadhaar").click()
    page.get_by_label("PAN", exact=True).fill(pan)
    page.get_by_label("Name as per PAN").fill(name)
    page.get_by_label("Date of Birth").fill(dob)
    page.get_by_role("button", name="Proceed to eSign").click()


def esign(
    page: Page, portal: Portal, aadhaar: str = "234523452345", mobile: str = "9876500001"
) -> None:
    page.get_by_label("Aadhaar Number / VID").fill(aadhaar)
    page.get_by_label("I hereby state").check()
    page.get_by_role("button", name="Get OTP").click()
    page.get_by_label("Enter OTP").fill(portal.otp(mobile))
    page.get_by_role("button", name="Verify").click()


def test_an_iec_is_linked_with_a_dsc_through_embridge(page: Page, portal: Portal) -> None:
    open_link_iec(page, portal)
    expect(page.get_by_role("button", name="E-sign with Aadhaar")).to_be_visible()
    page.get_by_role("button", name="Validate with DSC").click()
    portal.dsc_sign(page, "RAVI-EPASS", "1234")
    expect(page.locator("#successMessage")).to_contain_text("has been linked to your profile")
    expect(page.locator("#iecNumber")).to_have_text(IEC["iec"])
    expect(page.get_by_role("button", name="Update/Modify IEC")).to_be_visible()
    expect(page.get_by_role("button", name="Print e-IEC")).to_be_visible()
    assert portal.iec(IEC["iec"])["linked_user"] == USER["email"]
    [app] = portal.applications(IEC["iec"])
    assert (app["kind"], app["signed_with"]) == ("link", "dsc")


def test_a_wrong_pin_is_shown_in_the_dsc_dialog(page: Page, portal: Portal) -> None:
    open_link_iec(page, portal)
    page.get_by_role("button", name="Validate with DSC").click()
    portal.dsc_sign(page, "RAVI-EPASS", "9999")
    expect(page.get_by_role("dialog").get_by_role("alert")).to_be_visible()
    assert portal.iec(IEC["iec"])["linked_user"] is None


def test_an_organisation_dsc_is_refused_for_a_proprietorship(page: Page, portal: Portal) -> None:
    open_link_iec(page, portal)
    page.get_by_role("button", name="Validate with DSC").click()
    portal.dsc_sign(page, "ORG-TOKEN", "5678")
    expect(page.locator(".alert-danger").first).to_contain_text(
        "An organisation DSC cannot be used for a Proprietorship firm."
    )
    assert portal.iec(IEC["iec"])["linked_user"] is None


def test_embridge_down_shows_that_the_service_is_not_running(page: Page, portal: Portal) -> None:
    portal.faults(embridge_down=True)
    open_link_iec(page, portal)
    page.get_by_role("button", name="Validate with DSC").click()
    expect(page.locator("#signError")).to_have_text("emBridge service is not running")
    expect(page.locator("#signError")).to_have_class("alert alert-danger sign-error")


def test_an_iec_is_linked_with_aadhaar_esign(page: Page, portal: Portal) -> None:
    open_link_iec(page, portal)
    fill_pan_details(page)
    expect(page).to_have_url(re.compile(r"/esign/auth\?txn="))
    esign(page, portal)
    expect(page.locator("#successMessage")).to_contain_text("has been linked to your profile")
    [app] = portal.applications(IEC["iec"])
    assert (app["kind"], app["signed_with"]) == ("link", "aadhaar")


def test_an_iec_linked_to_another_user_is_refused(page: Page, portal: Portal) -> None:
    portal.seed(
        users=[OTHER_USER],
        iecs=[
            iec_record(
                iec="0312345678",
                pan="AAFFS1234K",
                linked_user=OTHER_USER["email"],
                dsc=[],
                aadhaar=None,
            )
        ],
    )
    open_link_iec(page, portal, "0312345678")
    expect(page.get_by_role("alert")).to_have_text("IEC already linked to another user.")


def test_only_one_iec_can_be_linked_to_a_user(page: Page, portal: Portal) -> None:
    portal.seed(
        iecs=[
            iec_record(
                iec="0312345678", pan="AAFFS1234K", linked_user=USER["email"], dsc=[], aadhaar=None
            )
        ]
    )
    portal.login(page)
    page.get_by_role("button", name="Services").click()
    page.get_by_role("button", name="My Dashboard").click()
    page.get_by_role("link", name="Link your profile to IEC").click()
    expect(page.get_by_role("alert")).to_contain_text("Only one IEC can be linked")


def test_an_unknown_iec_is_refused(page: Page, portal: Portal) -> None:
    open_link_iec(page, portal, "0999999999")
    expect(page.get_by_role("alert")).to_contain_text("IEC Number is not valid")


def test_pan_name_and_date_of_birth_mismatches_are_refused(page: Page, portal: Portal) -> None:
    open_link_iec(page, portal)
    fill_pan_details(page, name="Ravi Kumaar")
    expect(page.get_by_role("alert")).to_contain_text("Name as per PAN does not match")
    page.get_by_label("Name as per PAN").fill("Ravi Kumar")
    page.get_by_label("Date of Birth").fill("18/05/1980")
    page.get_by_role("button", name="Proceed to eSign").click()
    expect(page.get_by_role("alert")).to_contain_text("Date of Birth does not match")
    page.get_by_label("PAN", exact=True).fill("ZZZPZ9999Z")
    page.get_by_label("Name as per PAN").fill("Somebody Else")
    page.get_by_role("button", name="Proceed to eSign").click()
    expect(page.get_by_role("alert")).to_contain_text("PAN does not match with the PAN of the IEC")


def test_an_aadhaar_whose_name_does_not_match_the_pan_is_refused(
    page: Page, portal: Portal
) -> None:
    portal.seed(
        iecs=[
            iec_record(
                iec="0312345678",
                pan="AAFFS1234K",
                dsc=[],
                aadhaar={
                    "number": "345634563456",
                    "name": "R Kumar",
                    "yob": 1980,
                    "mobile": "9876500009",
                },
            )
        ]
    )
    open_link_iec(page, portal)
    fill_pan_details(page)
    esign(page, portal, aadhaar="345634563456", mobile="9876500009")
    expect(page.get_by_role("alert")).to_have_text(
        "Name/Year of Birth as per Aadhaar does not match with the PAN details."
    )
    assert portal.iec(IEC["iec"])["linked_user"] is None


def test_an_aadhaar_without_a_mobile_gets_error_112(page: Page, portal: Portal) -> None:
    portal.seed(
        iecs=[
            iec_record(
                iec="0312345678",
                pan="AAFFS1234K",
                dsc=[],
                aadhaar={
                    "number": "456745674567",
                    "name": "Ravi Kumar",
                    "yob": 1980,
                    "mobile": None,
                },
            )
        ]
    )
    open_link_iec(page, portal)
    fill_pan_details(page)
    page.get_by_label("Aadhaar Number / VID").fill("456745674567")
    page.get_by_label("I hereby state").check()
    page.get_by_role("button", name="Get OTP").click()
    expect(page.get_by_role("alert")).to_contain_text("Error 112")


def test_a_wrong_or_expired_esign_otp_is_refused_and_can_be_resent(
    page: Page, portal: Portal
) -> None:
    open_link_iec(page, portal)
    fill_pan_details(page)
    page.get_by_label("Aadhaar Number / VID").fill("9123912391239123")  # the VID
    page.get_by_role("button", name="Get OTP").click()
    expect(page.get_by_role("alert")).to_contain_text("consent")
    page.get_by_label("I hereby state").check()
    page.get_by_role("button", name="Get OTP").click()
    right = portal.otp("9876500001")
    page.get_by_label("Enter OTP").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid OTP. Please enter the correct OTP.")
    portal.clock("2026-05-10T10:30:00")
    page.get_by_label("Enter OTP").fill(right)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("OTP has expired")
    page.get_by_role("button", name="Resend OTP").click()
    page.get_by_label("Enter OTP").fill(portal.otp("9876500001"))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#successMessage")).to_contain_text("has been linked to your profile")
