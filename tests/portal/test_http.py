"""HTTP-level checks: CSRF, sessions, public pages, the test API's guard, persistence."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from mock_portal.app import create_app
from mock_portal.login_crypto import encrypt_password
from tests.portal.conftest import IEC, PASSWORD, USER, Portal, iec_record

LOGIN = "/CP/webHP?requestType=ApplicationRH&actionVal=loginModel&screenId=90000512"
SECURITY_CHECK = "/CP/j_spring_security_check"


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="_csrf" content="([0-9a-f-]{36})">', html)
    assert match, "no CSRF meta tag"
    return match.group(1)


def login_form(portal: Portal, client: httpx.Client) -> dict[str, str]:
    """The login modal's post, as its script sends it (the password encrypted)."""
    page = client.get(LOGIN).text
    captcha_id = re.search(r'data-captcha-id="([^"]+)"', page)
    salt = re.search(r'id="temp_key" value="([^"]+)"', page)
    assert captcha_id and salt
    csrf = csrf_of(page)
    return {
        "username": USER["email"],
        "password": encrypt_password(PASSWORD, csrf=csrf, salt=salt.group(1)),
        "captchaId": captcha_id.group(1),
        "txt_Captcha": portal.captcha_answer(captcha_id.group(1)),
        "_csrf": csrf,
    }


def test_pages_carry_the_csrf_meta_tags_and_a_jsessionid_cookie(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        response = client.get("/CP/")
        assert re.search(r'<meta name="_csrf" content="[0-9a-f-]{36}">', response.text)
        assert '<meta name="_csrf_header" content="X-CSRF-TOKEN">' in response.text
        assert "JSESSIONID" in client.cookies


def test_a_post_without_a_valid_csrf_token_is_refused(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        form = login_form(portal, client)
        token = form.pop("_csrf")
        assert client.post(SECURITY_CHECK, data=form).status_code == 403
        assert client.post(SECURITY_CHECK, data={**form, "_csrf": "0" * 36}).status_code == 403
        headers = {"X-CSRF-TOKEN": token, "X-Requested-With": "XMLHttpRequest"}
        response = client.post(SECURITY_CHECK, data=form, headers=headers)
        assert response.status_code == 200
        assert response.headers["X-Redirect"].endswith("actionVal=checkLogin")


def test_ajax_requests_get_a_fragment_and_navigations_the_whole_page(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        full = client.get(LOGIN).text
        fragment = client.get(LOGIN, headers={"X-Requested-With": "XMLHttpRequest"}).text
        assert 'id="mainSectionWrap"' in full and 'id="progressbar"' in full
        assert "mainSectionWrap" not in fragment and 'id="loginForm"' in fragment


def test_logged_in_pages_send_an_anonymous_visitor_to_the_login_page(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        response = client.get("/CP/web?requestType=ApplicationRH&actionVal=dashboard")
        assert response.status_code == 303
        assert response.headers["location"].endswith("actionVal=loginPage&msg=login")


def test_public_pages_are_served(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        assert client.get("/CP/index.jsp").status_code == 200
        assert "Link IEC" in client.get("/CP/?opt=iec-profile-management-help").text
        liec = client.get("/CP/?opt=LIEC").text
        assert "List of IECs due for de-activation" in liec
        assert IEC["iec"] in liec  # last updated 20/05/2025, before FY 2026-27 began
        assert client.get("/CP/?opt=no-such-page").status_code == 404


def test_seeding_returns_what_was_created_with_the_token_names(portal: Portal) -> None:
    created = portal.seed(iecs=[iec_record(iec="0312345678", pan="AAFFS1234K")])
    [item] = created["iecs"]
    assert item["iec"] == "0312345678"
    assert [t["token"] for t in item["tokens"]] == ["RAVI-EPASS", "ORG-TOKEN"]
    assert portal.iec("0312345678")["firm_name"] == "Kumar Exports"


def test_the_clock_can_be_set_and_keeps_moving(portal: Portal) -> None:
    now = portal.api.post("/__mock__/clock", json={"now": "2027-01-02T03:04:05"}).json()["now"]
    assert now.startswith("2027-01-02T03:04")


def test_the_test_api_is_not_found_without_test_mode(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "p.db"))
    with TestClient(app) as client:
        for method, path in [
            ("POST", "/__mock__/reset"),
            ("POST", "/__mock__/seed"),
            ("GET", "/__mock__/outbox"),
            ("GET", "/__mock__/captcha/x"),
            ("GET", "/__mock__/iecs/X"),
            ("GET", "/__mock__/applications"),
            ("POST", "/__mock__/clock"),
            ("POST", "/__mock__/faults"),
        ]:
            assert client.request(method, path).status_code == 404, path
        assert client.get("/CP/").status_code == 200


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    with TestClient(create_app(db, test_mode=True)) as client:
        client.post("/__mock__/seed", json={"users": [USER], "iecs": [iec_record()]})
    with TestClient(create_app(db, test_mode=True)) as client:
        assert client.get(f"/__mock__/iecs/{IEC['iec']}").json()["pan"] == IEC["pan"]


def test_a_tampered_embridge_envelope_is_a_client_error_not_a_server_error(
    portal: Portal,
) -> None:
    with httpx.Client(base_url=portal.url) as client:
        form = login_form(portal, client)
        token = form["_csrf"]
        headers = {"X-CSRF-TOKEN": token, "X-Requested-With": "XMLHttpRequest"}
        assert client.post(SECURITY_CHECK, data=form, headers=headers).status_code == 200
        token = csrf_of(client.get("/CP/web?requestType=ApplicationRH&actionVal=dashboard").text)
        response = client.post(
            "/CP/web?requestType=ApplicationRH&actionVal=decryptEmbridgeResponse",
            data={"responseData": "not-a-key-id.garbage"},
            headers={"X-CSRF-TOKEN": token, "X-Requested-With": "XMLHttpRequest"},
        )
        assert response.status_code == 400
        assert response.json()["status"] == 0
