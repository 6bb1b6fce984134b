"""The simulated emBridge over HTTP, and embridge.js driving it in a real Chromium."""

from __future__ import annotations

import base64
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

import mock_portal
from mock_portal import dsc
from mock_portal.embridge import (
    MESSAGES,
    EmbridgeServer,
    EnvelopeError,
    decrypt_response,
    encrypt_request,
    encrypt_response,
    handle_portal_action,
    run_embridge_in_thread,
)

IEC = "0305012345"
PAN = "ABCPK1234F"
FUTURE = "2036-03-31"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMBRIDGE_JS = Path(mock_portal.__file__).parent / "static" / "embridge.js"


def _spec(token: str, **extra: Any) -> dict[str, Any]:
    return {
        "token": token,
        "type": "individual",
        "cn": "RAVI KUMAR",
        "pan": PAN,
        "pin": "1234",
        "valid_to": FUTURE,
        **extra,
    }


def _seed(path: Path, specs: list[dict[str, Any]]) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        dsc.ensure_schema(conn)
        created = dsc.create_tokens(conn, iec=IEC, specs=specs)
    finally:
        conn.close()
    return {c["token"]: c["key_id"] for c in created}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("embridge") / "portal.sqlite3"
    keys = _seed(
        path,
        [
            _spec("ePass2003-RAVI"),
            _spec("ProxKey-ACME", type="organisation", org="ACME EXPORTS PVT LTD", pin="4321"),
            _spec("old-token", valid_to="2020-03-31"),
            _spec("pulled-out", connected=False),
            _spec("countdown"),
            _spec("lock-me"),
            _spec("browser-token", cn="RAVI KUMAR (browser)"),
        ],
    )
    return path, keys


@pytest.fixture(scope="module")
def embridge(db: tuple[Path, dict[str, str]]) -> Iterator[EmbridgeServer]:
    server = run_embridge_in_thread(str(db[0]))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def keys(db: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return db[1]


def call(url: str, operation: str, plain: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST one encrypted request; returns (HTTP status, decrypted body or the error body)."""
    response = httpx.post(f"{url}/DSC/{operation}", json=encrypt_request(plain), timeout=10)
    body = response.json()
    if body.get("status") == 1:
        return response.status_code, decrypt_response(body["responseData"])
    return response.status_code, body


def sign_request(token: str, key_id: str, pin: str, data: str = "hello") -> dict[str, Any]:
    return {
        "appID": "1234567890",
        "keyStorePassphrase": pin,
        "keyStoreDisplayName": token,
        "keyId": key_id,
        "dataToSign": data,
        "dataType": "TEXT",
        "timeStamp": 0,
    }


# --- HTTP ------------------------------------------------------------------------------------


def test_version_answers_status_1_with_a_version(embridge) -> None:
    body = httpx.get(f"{embridge.url}/DSC/Version").json()
    assert body["status"] == 1 and body["version"]


def test_list_token_lists_the_connected_tokens_only(embridge) -> None:
    status, body = call(
        embridge.url, "ListToken", {"AppID": "1", "tokenStatus": "CONNECTED", "tokenType": "ALL"}
    )
    names = [t["keyStoreDisplayName"] for t in body["tokens"]]
    assert status == 200 and "ePass2003-RAVI" in names and "pulled-out" not in names


def test_list_token_with_no_token_connected_asks_to_connect_one(tmp_path) -> None:
    path = tmp_path / "empty.sqlite3"
    _seed(path, [_spec("pulled-out", connected=False)])
    with run_embridge_in_thread(str(path)) as server:
        status, body = call(server.url, "ListToken", {"AppID": "1", "tokenStatus": "CONNECTED"})
    assert status == 200
    assert body == {"status": 0, "errorMessage": MESSAGES["not_connected"]}
    assert body["errorMessage"] == "DSC Token is not connected with System, please connect token"


def test_list_certificate_describes_the_certificate_on_the_token(embridge, keys) -> None:
    empty_filter = {"commonName": "", "issuerName": "", "serialNumber": "", "isNotExpired": ""}
    plain = {"appID": "1", "keyStoreDisplayName": "ePass2003-RAVI", "certFilter": empty_filter}
    _, body = call(embridge.url, "ListCertificate", plain)
    [cert] = body["Certificates"]
    assert cert["KeyId"] == keys["ePass2003-RAVI"]
    assert cert["CommonName"] == "RAVI KUMAR"
    assert cert["IssuerName"] == "Mock eMudhra Sub CA"
    assert cert["ValidTo"] == "31/03/2036 23:59:59"
    assert cert["SerialNumber"] and cert["IsExpired"] is False


@pytest.mark.parametrize(
    ("token", "cert_filter", "count"),
    [
        ("ePass2003-RAVI", {"commonName": "ravi kumar"}, 1),
        ("ePass2003-RAVI", {"commonName": "SOMEONE ELSE"}, 0),
        ("ePass2003-RAVI", {"issuerName": "Another CA"}, 0),
        ("old-token", {"isNotExpired": ""}, 1),
        ("old-token", {"isNotExpired": "true"}, 0),
    ],
)
def test_list_certificate_applies_the_certificate_filter(embridge, token, cert_filter, count):
    plain = {"appID": "1", "keyStoreDisplayName": token, "certFilter": cert_filter}
    _, body = call(embridge.url, "ListCertificate", plain)
    assert len(body["Certificates"]) == count


@pytest.mark.parametrize("token", ["pulled-out", "no-such-token"])
def test_list_certificate_of_a_token_not_inserted_is_refused(embridge, token) -> None:
    _, body = call(embridge.url, "ListCertificate", {"appID": "1", "keyStoreDisplayName": token})
    assert body == {"status": 0, "errorMessage": "Your DSC is not inserted"}


def test_pkcs_sign_returns_a_signature_that_verifies_against_its_certificate(
    embridge, keys
) -> None:
    plain = sign_request("ePass2003-RAVI", keys["ePass2003-RAVI"], "1234", "IEC|0305012345|x")
    _, body = call(embridge.url, "PKCSSign", plain)
    assert body["Status"] == "Success"
    assert dsc.verify_signature(body["SiginedCertificate"], "IEC|0305012345|x", body["SignedText"])
    assert not dsc.verify_signature(body["SiginedCertificate"], "IEC|other", body["SignedText"])


def test_pkcs_sign_with_base64_data_signs_the_decoded_bytes(embridge, keys) -> None:
    plain = sign_request("ProxKey-ACME", keys["ProxKey-ACME"], "4321", "AAEC")
    _, body = call(embridge.url, "PKCSSign", {**plain, "dataType": "BASE64"})
    assert dsc.verify_signature(body["SiginedCertificate"], b"\x00\x01\x02", body["SignedText"])


def test_pkcs_bulk_sign_signs_the_decoded_file(embridge, keys) -> None:
    pdf = b"%PDF-1.4 mock"
    plain = {
        "appID": "1",
        "keyStorePassphrase": "1234",
        "keyStoreDisplayName": "ePass2003-RAVI",
        "keyId": keys["ePass2003-RAVI"],
        "PDFName": "ack.pdf",
        "PdfFileBase64": base64.b64encode(pdf).decode(),
    }
    _, body = call(embridge.url, "PKCSBulkSign", plain)
    [item] = body["bulkSignItems"]
    assert item["Id"] == "ack.pdf" and item["status"] == 1
    assert dsc.verify_signature(body["SiginedCertificate"], pdf, item["signedData"])


def test_pkcs_sign_with_an_unknown_key_id_is_refused(embridge) -> None:
    _, body = call(embridge.url, "PKCSSign", sign_request("ePass2003-RAVI", "ABCDEF", "1234"))
    assert body == {"status": 0, "errorMessage": MESSAGES["cert_not_found"]}


def test_a_wrong_pin_is_refused_with_the_attempts_left_and_a_right_one_resets_them(
    embridge, keys
) -> None:
    key_id = keys["countdown"]
    for left in (2, 1):
        _, body = call(embridge.url, "PKCSSign", sign_request("countdown", key_id, "0000"))
        assert body["status"] == 0
        assert body["errorMessage"].startswith("Incorrect PIN")
        assert f"{left} attempt(s) left" in body["errorMessage"]
    _, body = call(embridge.url, "PKCSSign", sign_request("countdown", key_id, "1234"))
    assert body["Status"] == "Success"
    _, body = call(embridge.url, "PKCSSign", sign_request("countdown", key_id, "0000"))
    assert "2 attempt(s) left" in body["errorMessage"]


def test_three_wrong_pins_lock_the_token_even_against_the_right_pin(embridge, keys, db) -> None:
    key_id = keys["lock-me"]
    answers = [
        call(embridge.url, "PKCSSign", sign_request("lock-me", key_id, pin))[1]["errorMessage"]
        for pin in ("1111", "2222", "3333", "1234")
    ]
    assert answers[0].startswith("Incorrect PIN")
    assert answers[2] == answers[3] == MESSAGES["locked"]
    conn = sqlite3.connect(db[0])
    try:
        dsc.unlock_token(conn, "lock-me")
    finally:
        conn.close()
    _, body = call(embridge.url, "PKCSSign", sign_request("lock-me", key_id, "1234"))
    assert body["Status"] == "Success"


def test_an_empty_pin_is_refused_without_counting_against_the_token(embridge, keys) -> None:
    _, body = call(
        embridge.url, "PKCSSign", sign_request("ePass2003-RAVI", keys["ePass2003-RAVI"], "")
    )
    assert body == {"status": 0, "errorMessage": MESSAGES["pin_required"]}


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[1, 2]",
        b'{"encryptedRequest": "abc"}',
        b'{"encryptedRequest": "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "encryptionKeyID": "ABCDEF12"}',
        b'{"encryptedRequest": "AAAA", "encryptionKeyID": "../../etc"}',
    ],
)
def test_a_malformed_envelope_is_refused_with_http_400(embridge, content) -> None:
    response = httpx.post(f"{embridge.url}/DSC/ListToken", content=content)
    assert response.status_code == 400
    assert response.json() == {"status": 0, "errorMessage": "Invalid request"}


def test_an_envelope_sealed_under_another_key_id_is_refused(embridge) -> None:
    envelope = encrypt_request({"AppID": "1"})
    envelope["encryptionKeyID"] = "0123456789ABCDEF"
    response = httpx.post(f"{embridge.url}/DSC/ListToken", json=envelope)
    assert response.status_code == 400


def test_a_plain_body_missing_a_field_is_refused_with_http_400(embridge) -> None:
    status, body = call(embridge.url, "PKCSSign", {"appID": "1"})
    assert status == 400 and body["errorMessage"].startswith("Invalid request")


def test_an_unknown_operation_is_404(embridge) -> None:
    response = httpx.post(f"{embridge.url}/DSC/FormatToken", json=encrypt_request({}))
    assert response.status_code == 404 and response.json()["status"] == 0


def test_cors_preflight_allows_a_page_on_any_origin(embridge) -> None:
    response = httpx.options(
        f"{embridge.url}/DSC/ListToken",
        headers={
            "Origin": "http://127.0.0.1:9",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "http://127.0.0.1:9")
    get = httpx.get(f"{embridge.url}/DSC/Version", headers={"Origin": "http://x.test"})
    assert get.headers["access-control-allow-origin"] == "*"


# --- the portal's half of the envelope ----------------------------------------------------------


def test_handle_portal_action_encrypts_requests_and_decrypts_responses() -> None:
    envelope = handle_portal_action("encryptEmbridgeRequest", {"plain": '{"AppID": "7"}'})
    assert envelope is not None and set(envelope) == {"encryptedRequest", "encryptionKeyID"}
    response_data = encrypt_response(envelope["encryptionKeyID"], {"tokens": []})
    assert handle_portal_action("decryptEmbridgeResponse", {"responseData": response_data}) == {
        "tokens": []
    }
    assert handle_portal_action("checkLogin", {}) is None


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("encryptEmbridgeRequest", {"plain": "not json"}),
        ("encryptEmbridgeRequest", {"plain": "[1]"}),
        ("decryptEmbridgeResponse", {"responseData": "garbage"}),
        ("decryptEmbridgeResponse", {"responseData": "ABCDEF12.AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
    ],
)
def test_handle_portal_action_rejects_bad_input_with_envelope_error(action, form) -> None:
    with pytest.raises(EnvelopeError):
        handle_portal_action(action, form)


# --- embridge.js in a real browser ---------------------------------------------------------------

CSRF = "6f1c3a52-6d0e-4d55-9c5e-1b2f0a9e7d41"
PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Link IEC</title>
<meta name="_csrf" content="{CSRF}"><meta name="_csrf_header" content="X-CSRF-TOKEN">
<script src="/CP/static/embridge.js"></script></head>
<body><main><h1>Link IEC</h1><button type="button">Sign and Submit</button></main></body></html>"""


def _portal_app() -> Starlette:
    """The least of the portal: a page with embridge.js and the /CP/web envelope actions."""

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def script(request: Request) -> Response:
        return FileResponse(EMBRIDGE_JS, media_type="text/javascript")

    async def web(request: Request) -> Response:
        if request.headers.get("X-CSRF-TOKEN") != CSRF or (
            request.headers.get("X-Requested-With") != "XMLHttpRequest"
        ):
            return JSONResponse({"error": "csrf"}, status_code=403)
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        try:
            answer = handle_portal_action(request.query_params.get("actionVal", ""), fields)
        except EnvelopeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if answer is None:
            return JSONResponse({"error": "unknown action"}, status_code=404)
        return JSONResponse(answer)

    return Starlette(
        routes=[
            Route("/CP/sign", page),
            Route("/CP/static/embridge.js", script),
            Route("/CP/web", web, methods=["POST"]),
        ]
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def portal_url() -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(_portal_app(), port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium(playwright: Any, browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    """A Chromium of our own, from pytest-playwright's Playwright and launch arguments
    (falling back to the system Chromium when no executable is configured)."""
    args = dict(browser_type_launch_args)
    if "executable_path" not in args and "channel" not in args and Path(CHROMIUM).exists():
        args["executable_path"] = CHROMIUM
    args.setdefault("args", CHROMIUM_ARGS)
    browser = playwright.chromium.launch(**args)
    yield browser
    browser.close()


@pytest.fixture
def signing_page(chromium: Any, portal_url: str) -> Iterator[Any]:
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{portal_url}/CP/sign")
    yield page
    context.close()


START_SIGNING = """(opts) => {
    window.__outcome = null;
    window.DGFT_DSC.sign(opts).then(
        (r) => { window.__outcome = {ok: r}; },
        (e) => { window.__outcome = {error: e.message}; });
}"""


def _start(page: Any, embridge_url: str, data: str = "") -> None:
    page.evaluate(
        START_SIGNING,
        {
            "dataToSign": data,
            "embridgeUrl": embridge_url,
            "csrfToken": CSRF,
            "csrfHeader": "X-CSRF-TOKEN",
            "actionUrl": "/CP/web?requestType=ApplicationRH",
        },
    )


def _outcome(page: Any) -> dict[str, Any]:
    page.wait_for_function("window.__outcome !== null")
    outcome: dict[str, Any] = page.evaluate("window.__outcome")
    return outcome


@pytest.mark.browser
def test_a_user_signs_with_device_certificate_and_pin_in_the_dialog(
    signing_page, embridge, keys
) -> None:
    from playwright.sync_api import expect

    page = signing_page
    _start(page, embridge.url, "to be cancelled")
    dialog = page.get_by_role("dialog", name="Sign with DSC")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Sign and Submit")).to_have_count(0)  # page is inert
    dialog.get_by_role("button", name="Cancel").click()
    assert _outcome(page) == {"error": "Signing cancelled"}
    expect(dialog).to_have_count(0)

    data = "LINK-IEC|0305012345|2026-11-22"
    _start(page, embridge.url, data)
    dialog.get_by_label("Select Device").select_option("browser-token")
    dialog.get_by_label("Select Certificate").select_option(label="RAVI KUMAR (browser)")
    dialog.get_by_label("PIN").fill("9999")
    dialog.get_by_role("button", name="Sign", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("Incorrect PIN")
    expect(dialog).to_be_visible()
    assert page.evaluate("window.__outcome") is None  # still pending: the user may retry

    dialog.get_by_label("PIN").fill("1234")
    dialog.get_by_role("button", name="Sign", exact=True).click()
    outcome = _outcome(page)
    expect(dialog).to_have_count(0)
    signed = outcome["ok"]
    assert dsc.verify_signature(signed["certificate"], data, signed["signedText"])
    assert dsc.load_certificate(signed["certificate"]).serial_number


@pytest.mark.browser
def test_signing_rejects_with_emBridge_service_is_not_running_when_it_is_down(
    signing_page,
) -> None:
    _start(signing_page, f"http://127.0.0.1:{_free_port()}")
    assert _outcome(signing_page) == {"error": "emBridge service is not running"}
    assert signing_page.get_by_role("dialog").count() == 0


@pytest.mark.browser
def test_signing_rejects_with_the_connect_token_message_when_no_token_is_connected(
    signing_page, tmp_path
) -> None:
    path = tmp_path / "no-token.sqlite3"
    _seed(path, [_spec("pulled-out", connected=False)])
    with run_embridge_in_thread(str(path)) as server:
        _start(signing_page, server.url)
        outcome = _outcome(signing_page)
    assert outcome == {"error": "DSC Token is not connected with System, please connect token"}
    assert signing_page.get_by_role("dialog").count() == 0
