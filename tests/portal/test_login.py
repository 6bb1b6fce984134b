"""Registration, password change and reset, session timeout, the announcement (the login
modal itself: test_login_modal.py; refused logins and the lock: test_login_lockout.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.portal.conftest import USER, Portal


def test_registration_sends_otps_and_a_temporary_password_that_must_be_changed(
    page: Page, portal: Portal
) -> None:
    page.goto(portal.url + "/CP/")
    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Register User As").select_option("Importer/Exporter")
    page.get_by_label("First Name").fill("Asha")
    page.get_by_label("Last Name").fill("Verma")
    page.get_by_label("Email ID").fill("asha@example.in")
    page.get_by_label("Mobile Number").fill("9811122233")
    page.get_by_label("Pin code").fill("110001")
    page.get_by_label("District").fill("New Delhi")
    page.get_by_label("State").select_option("Delhi")
    page.get_by_label("City").fill("New Delhi")
    page.get_by_label("Captcha").fill(portal.solve_captcha(page, "regcaptchaImage"))
    page.get_by_label("I agree to the Terms and Conditions").check()
    page.get_by_role("button", name="Send OTP").click()
    page.get_by_label("Mobile OTP").fill(portal.otp("9811122233"))
    page.get_by_label("Email OTP").fill(
        "000000" if portal.otp("asha@example.in") != "000000" else "111111"
    )
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid Email OTP")
    page.get_by_label("Mobile OTP").fill(portal.otp("9811122233"))
    page.get_by_label("Email OTP").fill(portal.otp("asha@example.in"))
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.locator("#successMessage")).to_have_text("Registration is Successful")

    mail = portal.outbox("asha@example.in")[0]
    temporary = re.search(r"temporary password is (\S+)", mail["text"])
    assert temporary is not None
    page.get_by_role("link", name="Login", exact=True).last.click()
    login = page.get_by_role("dialog", name="Login")
    login.get_by_label("Username").fill("asha@example.in")
    login.get_by_label("Password").fill(temporary.group(1))
    login.get_by_label("Captcha").fill(portal.solve_captcha(page))
    login.get_by_role("button", name="Login", exact=True).click()
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    page.get_by_label("Old Password").fill(temporary.group(1))
    page.get_by_label("New Password").fill("N3w-Passw0rd")
    page.get_by_label("Confirm Password").fill("N3w-Passw0rd")
    page.get_by_role("button", name="Change Password").click()
    expect(page.locator("#successMessage")).to_contain_text("Password changed successfully")
    portal.login(page, "asha@example.in", "N3w-Passw0rd")
    expect(page.get_by_role("button", name="Link IEC")).to_be_visible()
    expect(page.get_by_role("button", name="Apply IEC")).to_be_visible()


def test_forgot_password_resets_it_with_an_otp(page: Page, portal: Portal) -> None:
    portal.open_login(page).get_by_role("link", name="Forgot Password").click()
    page.get_by_label("Username").fill(USER["email"])
    page.get_by_role("button", name="Send OTP").click()
    page.get_by_label("OTP", exact=True).fill(portal.otp(USER["email"]))
    page.get_by_label("New Password").fill("Fr3sh-Start")
    page.get_by_label("Confirm Password").fill("Fr3sh-Start")
    page.get_by_role("button", name="Reset Password").click()
    expect(page.locator("#successMessage")).to_contain_text("Password reset successfully")
    portal.login(page, USER["email"], "Fr3sh-Start")


def test_an_idle_session_times_out_to_the_login_page_with_a_message(
    page: Page, portal: Portal
) -> None:
    portal.faults(session_ttl_s=1)
    portal.login(page)
    page.wait_for_timeout(1600)
    page.get_by_role("button", name="Link IEC").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your session has timed out. Please login again."
    )
    expect(page.get_by_role("dialog", name="Login").get_by_label("Username")).to_be_visible()


def test_a_busy_session_still_ends_at_its_maximum_age(page: Page, portal: Portal) -> None:
    portal.faults(session_max_age_s=1)
    portal.login(page)
    page.wait_for_timeout(600)
    page.reload()  # activity does not keep the session past its age
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Link IEC").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your session has timed out. Please login again."
    )


def test_the_test_api_times_out_a_logged_in_session_on_demand(page: Page, portal: Portal) -> None:
    portal.login(page)
    expired = portal.api.post("/__mock__/sessions/expire", json={"email": USER["email"]})
    assert expired.json() == {"expired": 1}
    page.get_by_role("button", name="Link IEC").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your session has timed out. Please login again."
    )
    other = portal.api.post("/__mock__/sessions/expire", json={"email": "nobody@example.com"})
    assert other.json() == {"expired": 0}


def test_the_announcement_modal_must_be_closed_before_the_page_is_usable(
    page: Page, portal: Portal
) -> None:
    portal.faults(seed=1, announcement_rate=1.0)
    portal.login(page)
    modal = page.get_by_role("dialog", name="Announcement")
    expect(modal).to_be_visible()
    try:
        page.get_by_role("button", name="Link IEC").click(timeout=500)
        raise AssertionError("the page was usable under the announcement")
    except Exception as exc:  # Playwright's TimeoutError: something intercepts the click
        assert "Timeout" in type(exc).__name__ or "intercepts" in str(exc)
    modal.get_by_role("button", name="Close").click()
    expect(modal).to_be_hidden()
    page.get_by_role("button", name="Link IEC").click()
    expect(page.get_by_label("IEC Number")).to_be_visible()


def test_the_accessibility_bar_is_present(page: Page, portal: Portal) -> None:
    page.goto(portal.url + "/CP/index.jsp")
    for selector in ("#fontIncrease", "#fontDecrease", "#fontOrig", "#langSelect"):
        expect(page.locator(selector)).to_be_visible()
    page.locator("#fontIncrease").click()
    assert page.evaluate("document.documentElement.style.fontSize") == "17px"
