"""Refused logins are counted per user; five in a row lock the account (an invented rule,
docs/mock-portal.md), which then refuses even the right password until a reset."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.portal.conftest import PASSWORD, USER, Portal

REFUSED = "Invalid Username or Password."
LOCKED = "Your account has been locked"


def popup(page: Page) -> Locator:
    """The portal's answer in a bootbox pop-up (a dialog without a name of its own)."""
    return page.locator(".bootbox.modal .modal-body")


def try_login(page: Page, portal: Portal, password: str, *, captcha: str | None = None) -> None:
    """Submit the login modal once and wait for the portal's answer: a pop-up, or the
    dashboard."""
    dialog = portal.open_login(page)
    dialog.get_by_label("Username").fill(USER["email"])
    dialog.get_by_label("Password").fill(password)
    dialog.get_by_label("Captcha").fill(captcha or portal.solve_captcha(page))
    dialog.get_by_role("button", name="Login", exact=True).click()
    expect(popup(page).or_(page.get_by_role("link", name="Logout"))).to_be_visible()


def logins_of(portal: Portal, email: str = USER["email"]) -> dict[str, Any]:
    response = portal.api.get(f"/__mock__/users/{email}")
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def test_the_test_api_tells_a_users_refused_logins_and_whether_it_is_locked(
    portal: Portal,
) -> None:
    assert logins_of(portal) == {
        "email": USER["email"],
        "failed_logins": 0,
        "locked": False,
        "must_change_password": False,
    }
    assert portal.api.get("/__mock__/users/nobody@example.in").status_code == 404


def test_each_wrong_password_is_counted_and_the_fifth_locks_the_account(
    page: Page, portal: Portal
) -> None:
    for refused in range(1, 5):
        try_login(page, portal, "not-it")
        expect(popup(page)).to_contain_text(REFUSED)
        assert logins_of(portal)["failed_logins"] == refused
        assert logins_of(portal)["locked"] is False

    try_login(page, portal, "not-it")

    expect(popup(page)).to_contain_text(LOCKED)
    assert logins_of(portal)["failed_logins"] == 5
    assert logins_of(portal)["locked"] is True


def test_a_locked_account_refuses_even_the_right_password(page: Page, portal: Portal) -> None:
    portal.seed(users=[{**USER, "locked": True}])
    assert logins_of(portal)["locked"] is True

    try_login(page, portal, PASSWORD)

    expect(popup(page)).to_contain_text(LOCKED)
    expect(page.get_by_role("link", name="Logout")).to_have_count(0)
    assert logins_of(portal)["failed_logins"] == 6  # the refusal of a locked account counts


def test_a_good_login_starts_the_count_of_refused_logins_again(page: Page, portal: Portal) -> None:
    for _ in range(4):
        try_login(page, portal, "not-it")
    assert logins_of(portal)["failed_logins"] == 4

    portal.login(page)

    after = logins_of(portal)
    assert (after["failed_logins"], after["locked"]) == (0, False)


def test_a_wrong_captcha_is_not_a_refused_login(page: Page, portal: Portal) -> None:
    try_login(page, portal, "not-it", captcha="WRONG1")

    expect(popup(page)).to_contain_text("Please enter correct captcha.")
    assert logins_of(portal)["failed_logins"] == 0


def test_a_password_reset_unlocks_the_account(page: Page, portal: Portal) -> None:
    portal.seed(users=[{**USER, "failed_logins": 7}])
    assert logins_of(portal)["locked"] is True
    portal.open_login(page).get_by_role("link", name="Forgot Password").click()
    page.get_by_label("Username").fill(USER["email"])
    page.get_by_role("button", name="Send OTP").click()
    page.get_by_label("OTP", exact=True).fill(portal.otp(USER["email"]))
    page.get_by_label("New Password").fill("Fr3sh-Start")
    page.get_by_label("Confirm Password").fill("Fr3sh-Start")
    page.get_by_role("button", name="Reset Password").click()
    expect(page.locator("#successMessage")).to_contain_text("Password reset successfully")

    assert logins_of(portal)["failed_logins"] == 0
    portal.login(page, USER["email"], "Fr3sh-Start")
