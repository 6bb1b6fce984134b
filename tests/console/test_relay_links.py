"""The OTP relay to the client, in real Chromium over a real console and a real SMTP server
(aiosmtpd): an operator sends the link, the client opens it on a phone-sized page that
shows nothing but the question, one field and one button, and answers once; a used, an
expired and an unknown link are refused; the journal keeps only the token's hash; the
relay-only app serves nothing else, and rate-limits an address that tries link after link.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from challengekit import Mailbox, seed_challenge, smtp_server
from consolekit import ConsoleServer, start_console
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr

from mock_portal.server import free_port, serve_in_thread
from rpa.challenges.inbox import Inbox
from rpa.challenges.relay import send_link
from rpa.console.app import create_app
from rpa.console.pages.relay import PER_ADDRESS
from rpa.journal.challenge_store import ChallengeStore, token_hash

CLIENT_EMAIL = "accounts@bluelotus.example"
CLIENT_MOBILE = "9876541234"


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, mail: tuple[Mailbox, int]
) -> Iterator[ConsoleServer]:
    _, port = mail
    server = start_console(
        tmp_path_factory.mktemp("relay-data"),
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        notify_email_from="office@consultancy.example",
    )
    server.settings = server.settings.model_copy(update={"relay_url": server.url})
    server.app.state.settings = server.settings
    yield server
    server.stop()


def _seed_otp(console: ConsoleServer, iec: str, **kw: object) -> tuple[str, int]:
    seeded = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="otp",
        iec=iec,
        firm="Blue Lotus Exports",
        destination="******1234",
        relay_to={"email": CLIENT_EMAIL, "mobile": CLIENT_MOBILE},
        **kw,  # type: ignore[arg-type]
    )
    return seeded.job_id, seeded.challenge_id


def test_the_client_answers_through_a_link_on_a_phone_once(
    page: Page,
    browser: Browser,
    console: ConsoleServer,
    signed_in: object,
    mail: tuple[Mailbox, int],
) -> None:
    mailbox, _ = mail
    before = len(mailbox.messages)
    job_id, _ = _seed_otp(console, "0598765432")
    signed_in(page, "operator")  # type: ignore[operator]
    page.goto(console.url + "/challenges")
    card = page.get_by_role("article", name=re.compile("IEC 0598765432"))
    card.get_by_role("button", name="Send link to client").click()
    expect(page.get_by_role("status")).to_contain_text("Link sent to the client")
    (link,) = mailbox.wait_for(before + 1)[before:]
    message = mailbox.messages[before]
    assert message["To"] == CLIENT_EMAIL
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes
    dump = "\n".join(sqlite3.connect(console.settings.journal_path).iterdump())
    assert token not in dump and token_hash(token) in dump
    expect(page.get_by_role("article", name=re.compile("IEC 0598765432"))).to_contain_text(
        "link sent to the client"
    )

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        client = phone.new_page()
        client.goto(link)
        expect(client.get_by_role("heading", level=1)).to_have_text(
            "Enter the OTP sent to ******1234 for Blue Lotus Exports"
        )
        assert client.get_by_role("textbox").count() == 1
        assert client.get_by_role("button").count() == 1
        assert client.get_by_role("link").count() == 0  # no nav, no job
        assert "0598765432" not in client.content() and job_id not in client.content()
        console.secrets.add("731842")
        client.get_by_label("OTP").fill("731842")
        client.get_by_role("button", name="Submit").click()
        expect(client.get_by_role("status")).to_contain_text("The OTP was passed on")
        assert Inbox(console.settings.data_dir / "inbox").take(job_id, "otp") == "731842"

        again = client.goto(link)
        assert again is not None and again.status == 410
        expect(client.get_by_role("heading", level=1)).to_have_text("This link is no longer valid")
    finally:
        phone.close()
    page.goto(console.url + "/challenges")
    expect(page.get_by_role("region", name="Recently closed")).to_contain_text(
        "Answered by client (relay link)"
    )


def test_a_link_expires_with_its_otp_and_is_refused_then(
    console: ConsoleServer, mail: tuple[Mailbox, int]
) -> None:
    mailbox, _ = mail
    before = len(mailbox.messages)
    job_id, challenge_id = _seed_otp(console, "0511112222")
    store = ChallengeStore(console.journal)
    challenge = store.challenge(challenge_id)
    assert challenge is not None
    send_link(console.settings, store, challenge, by="test")
    (link,) = mailbox.wait_for(before + 1)[before:]
    with sqlite3.connect(console.settings.journal_path) as db:
        (expires,) = db.execute(
            "SELECT expires_at FROM relay_tokens WHERE challenge_id = ?", (challenge_id,)
        ).fetchone()
        assert expires == challenge.expires_at  # the link lives as long as the OTP's wait
        db.execute("UPDATE relay_tokens SET expires_at = 0 WHERE challenge_id = ?", (challenge_id,))
    with httpx.Client(timeout=10) as http:
        shown = http.get(link)
        posted = http.post(link, data={"otp": "123456"})
    assert shown.status_code == 410 and posted.status_code == 410
    assert Inbox(console.settings.data_dir / "inbox").take(job_id, "otp") is None


def test_an_unknown_link_is_refused_like_a_used_one(console: ConsoleServer) -> None:
    with httpx.Client(base_url=console.url, timeout=10) as http:
        made_up = http.get("/r/" + "A" * 43)
        posted = http.post("/r/" + "A" * 43, data={"otp": "123456"})
    assert made_up.status_code == 410 and posted.status_code == 410
    assert "no longer valid" in made_up.text


def test_the_relay_listener_serves_only_the_relay_and_limits_each_address(
    console: ConsoleServer,
) -> None:
    app = create_app(console.settings, relay_only=True)
    port = free_port()
    server, thread = serve_in_thread(app, "127.0.0.1", port, "relay")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for path in ("/challenges", "/login", "/batches", "/api/v1/challenges/1"):
                assert http.get(path).status_code == 404, path
            statuses = [http.get(f"/r/{'B' * 40}{i:03d}").status_code for i in range(PER_ADDRESS)]
            assert set(statuses) == {410}
            assert http.get("/r/" + "C" * 43).status_code == 429
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_client_who_wants_sms_gets_the_link_through_the_gateway_webhook(
    console: ConsoleServer,
) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    received: list[dict[str, object]] = []

    async def gateway(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"queued": True})

    port = free_port()
    server, thread = serve_in_thread(
        Starlette(routes=[Route("/sms", gateway, methods=["POST"])]), "127.0.0.1", port, "sms"
    )
    try:
        settings = console.settings.model_copy(
            update={"relay_webhook_url": SecretStr(f"http://127.0.0.1:{port}/sms")}
        )
        _, challenge_id = _seed_otp(console, "0533334444")
        store = ChallengeStore(console.journal)
        with console.journal._write() as db:
            db.execute("UPDATE challenges SET relay_mode = 'sms' WHERE id = ?", (challenge_id,))
        challenge = store.challenge(challenge_id)
        assert challenge is not None
        sent = send_link(settings, store, challenge, by="the batch")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert sent.via == "webhook" and sent.to == "******1234"
    (payload,) = received
    assert payload["to"] == CLIENT_MOBILE and payload["iec"] == "0533334444"
    link = str(payload["url"])
    assert link.startswith(console.url + "/r/") and link in str(payload["text"])
    assert "******1234 for Blue Lotus Exports" in str(payload["text"])
    assert store.relay_link(link.rsplit("/", 1)[1]) is not None


def test_a_link_nobody_can_send_is_said_on_the_page(console: ConsoleServer) -> None:
    _, challenge_id = _seed_otp(console, "0544445555")
    with console.journal._write() as db:
        db.execute("UPDATE challenges SET relay_to = '{}' WHERE id = ?", (challenge_id,))
    client, csrf = console.http("operator")
    with client:
        sent = client.post(f"/challenges/{challenge_id}/relay", data={"csrf_token": csrf})
        assert sent.headers["location"] == "/challenges?error=relay-setup"
        assert "could not be sent" in client.get(sent.headers["location"]).text
    viewer, csrf = console.http("viewer")
    with viewer:
        refused = viewer.post(f"/challenges/{challenge_id}/relay", data={"csrf_token": csrf})
    assert refused.status_code == 403
