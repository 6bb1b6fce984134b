"""The login as PORTAL.md §6 describes the real portal's: a modal loaded into
``#mainSectionWrap`` by the header's Login link, the captcha pre-checked (``checkCaptcha``),
the password AES-encrypted in the page, the post to ``/CP/j_spring_security_check``, the
landing through ``checkLogin``, and every refusal in a bootbox pop-up that OK closes."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
from playwright.sync_api import Locator, Page, Request, expect

from mock_portal import wording
from mock_portal.login_crypto import decrypt_password
from tests.portal.conftest import PASSWORD, USER, Portal

LOGIN_MODEL = "actionVal=loginModel&screenId=90000512"
SECURITY_CHECK = "/CP/j_spring_security_check"


def popup(page: Page, text: str) -> Locator:
    """The bootbox pop-up (a dialog with no name of its own) saying ``text``."""
    return page.get_by_role("dialog").filter(has_text=text)


def fill_login(dialog: Locator, portal: Portal, password: str, captcha: str | None = None) -> None:
    dialog.get_by_label("Username").fill(USER["email"])
    dialog.get_by_label("Password").fill(password)
    answer = captcha or portal.solve_captcha(dialog.page)
    dialog.get_by_label("Captcha").fill(answer)


def record_requests(page: Page) -> list[Request]:
    requests: list[Request] = []

    def record(request: Request) -> None:
        requests.append(request)

    page.on("request", record)
    return requests


def failed_logins(portal: Portal) -> int:
    return int(portal.api.get(f"/__mock__/users/{USER['email']}").json()["failed_logins"])


def test_the_login_link_on_the_landing_page_opens_the_login_modal_in_the_main_section(
    page: Page, portal: Portal
) -> None:
    page.goto(portal.url + "/CP/")
    with page.expect_response(lambda r: LOGIN_MODEL in r.url) as answer:
        page.get_by_role("banner").get_by_role("link", name="Login", exact=True).click()

    assert answer.value.request.headers.get("x-requested-with") == "XMLHttpRequest"
    dialog = page.locator("#mainSectionWrap").get_by_role("dialog", name="Login")
    expect(dialog).to_be_visible()
    expect(page).to_have_url(portal.url + "/CP/webHP?requestType=ApplicationRH&" + LOGIN_MODEL)
    expect(dialog.get_by_label("Username")).to_have_attribute("name", "username")
    expect(dialog.get_by_label("Password")).to_have_attribute("name", "password")
    expect(dialog.get_by_label("Captcha")).to_have_attribute("name", "txt_Captcha")
    expect(dialog.get_by_placeholder("Enter Captcha")).to_be_visible()
    image = dialog.get_by_role("img", name="Captcha")
    expect(image).to_have_attribute("id", "captcha")
    src = image.get_attribute("src") or ""
    assert src.startswith("/CP/SimpleCaptcha?")
    png = page.request.get(portal.url + src)
    assert png.headers["content-type"] == "image/png" and png.body().startswith(b"\x89PNG")
    assert dialog.locator("#temp_key").input_value()


def test_the_captcha_can_be_regenerated(page: Page, portal: Portal) -> None:
    dialog = portal.open_login(page)
    image = dialog.get_by_role("img", name="Captcha")
    old_id = image.get_attribute("data-captcha-id") or ""

    dialog.get_by_role("button", name="Regenerate Captcha").click()

    expect(image).not_to_have_attribute("data-captcha-id", old_id)
    new_id = image.get_attribute("data-captcha-id")
    assert image.get_attribute("src") == f"/CP/SimpleCaptcha?id={new_id}"
    assert dialog.locator("input[name=captchaId]").input_value() == new_id


def test_a_wrong_captcha_is_refused_by_the_pre_check_in_a_pop_up_that_ok_closes(
    page: Page, portal: Portal
) -> None:
    dialog = portal.open_login(page)
    image = dialog.get_by_role("img", name="Captcha")
    first_id = image.get_attribute("data-captcha-id") or ""
    fill_login(dialog, portal, PASSWORD, captcha="WRONG1")
    requests = record_requests(page)

    dialog.get_by_role("button", name="Login", exact=True).click()

    refusal = popup(page, "Please enter correct captcha.")
    expect(refusal).to_be_visible()
    expect(refusal.locator(".modal-body")).to_contain_text("Please enter correct captcha.")
    assert [r.url for r in requests if "actionVal=checkCaptcha" in r.url]
    assert not [r.url for r in requests if SECURITY_CHECK in r.url]
    expect(image).not_to_have_attribute("data-captcha-id", first_id)  # a captcha is used once
    refusal.get_by_role("button", name="OK").click()
    expect(page.locator(".bootbox")).to_have_count(0)
    expect(dialog.get_by_label("Username")).to_have_value(USER["email"])

    dialog.get_by_label("Captcha").fill(portal.solve_captcha(page))
    dialog.get_by_role("button", name="Login", exact=True).click()
    expect(page.locator(".d-breadcrumb")).to_contain_text("My Dashboard")


def test_a_pop_up_is_a_modal_the_page_cannot_be_used_under(page: Page, portal: Portal) -> None:
    dialog = portal.open_login(page)
    fill_login(dialog, portal, PASSWORD, captcha="WRONG1")
    dialog.get_by_role("button", name="Login", exact=True).click()
    refusal = popup(page, "Please enter correct captcha.")
    expect(refusal).to_be_visible()
    expect(refusal.get_by_role("button", name="OK")).to_be_focused()

    try:
        dialog.get_by_role("button", name="Login", exact=True).click(timeout=500)
        raise AssertionError("the login form was usable under the pop-up")
    except Exception as exc:  # Playwright's TimeoutError: the pop-up intercepts the click
        assert "Timeout" in type(exc).__name__ or "intercepts" in str(exc)
    page.keyboard.press("Escape")
    expect(refusal).to_have_count(0)


def test_the_password_is_sent_encrypted_never_in_clear_text(page: Page, portal: Portal) -> None:
    dialog = portal.open_login(page)
    fill_login(dialog, portal, PASSWORD)
    csrf = page.locator('meta[name="_csrf"]').get_attribute("content") or ""
    salt = dialog.locator("#temp_key").input_value()

    with page.expect_request(lambda r: SECURITY_CHECK in r.url) as posted:
        dialog.get_by_role("button", name="Login", exact=True).click()

    request = posted.value
    body = request.post_data or ""
    assert request.method == "POST"
    assert PASSWORD not in body and "Passw0rd%21" not in body
    form = {key: values[0] for key, values in parse_qs(body).items()}
    assert form["username"] == USER["email"]
    assert form["password"] != PASSWORD
    assert decrypt_password(form["password"], csrf=csrf, salt=salt) == PASSWORD
    expect(page.locator(".d-breadcrumb")).to_contain_text("My Dashboard")


def test_a_page_that_cannot_encrypt_sends_no_password_and_says_why(
    page: Page, portal: Portal
) -> None:
    # WebCrypto exists only in a secure context (HTTPS, or the loopback address)
    page.add_init_script(
        "Object.defineProperty(Crypto.prototype, 'subtle', {get() { return undefined; }})"
    )
    dialog = portal.open_login(page)
    fill_login(dialog, portal, PASSWORD)
    requests = record_requests(page)

    dialog.get_by_role("button", name="Login", exact=True).click()

    expect(popup(page, wording.LOGIN_NEEDS_SECURE_CONTEXT)).to_be_visible()
    assert not [r.url for r in requests if SECURITY_CHECK in r.url]


def test_the_portal_refuses_a_password_sent_in_clear_text(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        page = client.get("/CP/webHP?requestType=ApplicationRH&" + LOGIN_MODEL).text
        csrf = page.split('<meta name="_csrf" content="', 1)[1].split('"', 1)[0]
        captcha_id = page.split('data-captcha-id="', 1)[1].split('"', 1)[0]
        headers = {"X-CSRF-TOKEN": csrf, "X-Requested-With": "XMLHttpRequest"}
        answer = client.post(
            SECURITY_CHECK,
            data={
                "username": USER["email"],
                "password": PASSWORD,
                "captchaId": captcha_id,
                "txt_Captcha": portal.captcha_answer(captcha_id),
            },
            headers=headers,
        )

    assert "X-Redirect" not in answer.headers
    assert answer.json()["message"] == wording.LOGIN_NOT_ENCRYPTED
    assert failed_logins(portal) == 0  # not a refused password


def test_a_right_login_lands_on_the_dashboard_through_check_login(
    page: Page, portal: Portal
) -> None:
    dialog = portal.open_login(page)
    fill_login(dialog, portal, PASSWORD)
    requests = record_requests(page)

    dialog.get_by_role("button", name="Login", exact=True).click()

    expect(page.locator(".d-breadcrumb")).to_contain_text("My Dashboard")
    expect(page).to_have_url(portal.url + "/CP/web?requestType=ApplicationRH&actionVal=dashboard")
    urls = [r.url for r in requests if r.is_navigation_request()]
    assert urls[0].endswith("/CP/web?requestType=ApplicationRH&actionVal=checkLogin"), urls
    expect(page.get_by_role("link", name="Logout")).to_be_visible()


def test_a_first_login_lands_on_the_password_change_through_check_login(
    page: Page, portal: Portal
) -> None:
    portal.seed(users=[{**USER, "must_change_password": True}])
    dialog = portal.open_login(page)
    fill_login(dialog, portal, PASSWORD)

    dialog.get_by_role("button", name="Login", exact=True).click()

    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    expect(page).to_have_url(
        portal.url + "/CP/web?requestType=ApplicationRH&actionVal=changePassword"
    )


def test_a_wrong_password_pops_up_invalid_username_or_password(page: Page, portal: Portal) -> None:
    dialog = portal.open_login(page)
    first_id = dialog.get_by_role("img", name="Captcha").get_attribute("data-captcha-id") or ""
    fill_login(dialog, portal, "not-it")

    dialog.get_by_role("button", name="Login", exact=True).click()

    refusal = popup(page, wording.LOGIN_FAILED)
    expect(refusal).to_be_visible()
    assert failed_logins(portal) == 1
    expect(dialog.get_by_label("Password")).to_have_value("")
    expect(dialog.get_by_role("img", name="Captcha")).not_to_have_attribute(
        "data-captcha-id", first_id
    )
    refusal.get_by_role("button", name="OK").click()
    expect(refusal).to_have_count(0)
    expect(page.get_by_role("link", name="Logout")).to_have_count(0)


def test_a_locked_account_pops_up_that_it_is_locked(page: Page, portal: Portal) -> None:
    portal.seed(users=[{**USER, "locked": True}])
    dialog = portal.open_login(page)
    fill_login(dialog, portal, PASSWORD)

    dialog.get_by_role("button", name="Login", exact=True).click()

    refusal = popup(page, "Your account has been locked")
    expect(refusal).to_be_visible()
    expect(refusal.locator(".modal-body")).to_contain_text(wording.ACCOUNT_LOCKED)
    refusal.get_by_role("button", name="OK").click()
    expect(refusal).to_have_count(0)


def test_a_blank_captcha_pops_up_that_it_is_required(page: Page, portal: Portal) -> None:
    dialog = portal.open_login(page)
    dialog.get_by_label("Username").fill(USER["email"])
    dialog.get_by_label("Password").fill(PASSWORD)

    dialog.get_by_role("button", name="Login", exact=True).click()

    expect(popup(page, wording.CAPTCHA_REQUIRED)).to_be_visible()


def test_the_old_login_page_opens_the_landing_with_the_login_modal(
    page: Page, portal: Portal
) -> None:
    page.goto(portal.url + "/CP/webHP?requestType=ApplicationRH&actionVal=loginPage&msg=logout")

    expect(page).to_have_url(
        portal.url + "/CP/webHP?requestType=ApplicationRH&" + LOGIN_MODEL + "&msg=logout"
    )
    dialog = page.get_by_role("dialog", name="Login")
    expect(dialog.get_by_role("status")).to_have_text(wording.LOGGED_OUT)
    expect(page.get_by_role("heading", name="Welcome to the DGFT portal")).to_be_attached()
