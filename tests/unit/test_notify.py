from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from rpa.clients.records import ClientRecord, parse_record
from rpa.config import Settings, load_settings
from rpa.errors import NotifyError
from rpa.journal import Journal
from rpa.masking import register_secret, registry
from rpa.notify import RunSummary, notify, render_text, send_email, send_webhook, summarise

SMTP_USER = "robot@consultancy.example"
SMTP_PASSWORD = "smtp-pass-7781"
OTP_WAIT = "nobody answered the otp in 600s: OTP sent to mobile ******3210"


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    registry.clear()
    yield
    registry.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(iec: str, firm: str) -> ClientRecord:
    return parse_record(
        {
            "iec": iec,
            "pan": "AABCB4821K",
            "firm_name": firm,
            "name_as_per_pan": firm.upper(),
            "dob": "12/08/2009",
            "email": "exports@example.com",
            "mobile": "9000010001",
            "portal_password": "env:DEMO_PORTAL_PASSWORD",
            "sign_with": "dsc",
            "dsc_token": "ePass2003",
            "dsc_pin": "env:DEMO_DSC_PIN",
        }
    )


RECORDS = [
    (2, client("1000000001", "Bharat Spices Exports")),
    (3, client("1000000002", "Konkan Cashew Traders")),
    (4, client("1000000003", "Deccan Textiles")),
    (5, client("1000000004", "Malabar Coir Works")),
    (6, client("1000000005", "Nilgiri Tea Company")),
]


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[tuple[Journal, str]]:
    journal = Journal(tmp_path / "journal.sqlite3")
    batch_id = journal.create_batch("renew", source="clients.xlsx")
    outcomes: list[tuple[str, str, dict[str, Any], str | None]] = [
        (
            "1000000001",
            "changed",
            {"ack_number": "UPD-2026-0001", "application_status": "Approved"},
            None,
        ),
        ("1000000002", "ok", {"already_done": True, "ack_number": "UPD-2026-0002"}, None),
        ("1000000003", "failed", {}, "the portal refused: PAN does not match the IEC"),
        ("1000000004", "needs-input", {}, OTP_WAIT),
        (
            "1000000005",
            "changed",
            {"ack_number": "UPD-2026-0005", "application_status": "In Progress"},
            None,
        ),
    ]
    for row, (iec, outcome, result, error) in enumerate(outcomes, start=2):
        job_id = journal.add_job("renew", client=iec, batch_id=batch_id, row=row)
        journal.job_started(job_id)
        journal.job_finished(job_id, outcome, result=result, error=error)
    journal.set_batch_status(batch_id, "finished")
    yield journal, batch_id
    journal.close()


def settings(**overrides: Any) -> Settings:
    return load_settings(overrides, env_file=None)


# -- the summary -----------------------------------------------------------------------------


def test_a_batch_is_summarised_per_client_from_the_journal(batch: tuple[Journal, str]) -> None:
    journal, batch_id = batch
    summary = summarise(journal, batch_id, RECORDS)
    assert summary.totals == {"changed": 2, "ok": 1, "failed": 1, "needs-input": 1}
    assert summary.done == [
        ("1000000001", "Bharat Spices Exports", "UPD-2026-0001"),
        ("1000000002", "Konkan Cashew Traders", "UPD-2026-0002"),
        ("1000000005", "Nilgiri Tea Company", "UPD-2026-0005"),
    ]
    assert summary.already_done == ["1000000002"]
    assert summary.in_progress == ["1000000005"]
    assert summary.failed == [
        ("1000000003", "Deccan Textiles", "the portal refused: PAN does not match the IEC")
    ]
    assert summary.needs_input == [("1000000004", "Malabar Coir Works", OTP_WAIT)]
    assert summary.status == "finished"
    assert summary.started is not None and summary.ended is not None


def test_the_text_puts_counts_first_and_names_every_client(batch: tuple[Journal, str]) -> None:
    journal, batch_id = batch
    text = render_text(summarise(journal, batch_id, RECORDS))
    assert "5 clients: 2 submitted, 1 already done, 1 failed, 1 waiting for input." in text
    assert "rpa otp give JOB CODE" in text
    assert "1000000004  Malabar Coir Works: " + OTP_WAIT in text
    assert "Bharat Spices Exports: submitted, acknowledgement UPD-2026-0001" in text
    assert "already updated this year" in text
    assert "with the Regional Authority" in text
    assert text.index("Waiting for input") < text.index("Failed") < text.index("Done")


def test_a_registered_secret_never_appears_in_the_text_or_the_webhook_body() -> None:
    register_secret("hunter2-pin-0042")
    summary = RunSummary(
        batch_id="b1",
        started=datetime(2026, 5, 1, 4, 0, tzinfo=UTC),
        totals={"failed": 1},
        failed=[("1000000003", "Deccan Textiles", "token PIN hunter2-pin-0042 refused")],
    )
    text = render_text(summary)
    assert "hunter2-pin-0042" not in text
    assert "token PIN ******** refused" in text
    received = serve_webhook(lambda url: send_webhook(summary, url))
    assert "hunter2-pin-0042" not in json.dumps(received.body)


# -- email -----------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def test_the_summary_is_emailed_with_its_counts_and_names(
    batch: tuple[Journal, str], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    journal, batch_id = batch
    config = settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        notify_email_from="dgft-rpa@consultancy.example",
        notify_email_to="ops@consultancy.example; partner@consultancy.example",
    )
    send_email(summarise(journal, batch_id, RECORDS), config)

    (message,) = inbox.messages
    assert inbox.recipients == [["ops@consultancy.example", "partner@consultancy.example"]]
    subject = message["Subject"]
    assert "2 submitted" in subject and "1 failed" in subject and batch_id in subject
    assert message["From"] == "dgft-rpa@consultancy.example"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert "5 clients: 2 submitted, 1 already done, 1 failed, 1 waiting for input." in body
    for _, record in RECORDS:
        assert record.firm_name in body
    assert SMTP_PASSWORD not in body


def test_a_wrong_smtp_password_is_a_notify_error_without_the_password(
    batch: tuple[Journal, str], smtp_server: tuple[Inbox, int]
) -> None:
    _, port = smtp_server
    journal, batch_id = batch
    config = settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_user=SMTP_USER,
        smtp_password="not-the-password",
        notify_email_to="ops@consultancy.example",
    )
    with pytest.raises(NotifyError) as caught:
        send_email(summarise(journal, batch_id, RECORDS), config)
    assert caught.value.channel == "email"
    assert "not-the-password" not in str(caught.value)


def test_notify_sends_by_every_configured_channel_and_says_so(
    batch: tuple[Journal, str], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    journal, batch_id = batch
    summary = summarise(journal, batch_id, RECORDS)

    def both(url: str) -> list[str]:
        config = settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            notify_email_to="ops@consultancy.example",
            notify_webhook_url=url,
        )
        return notify(summary, config)

    received = serve_webhook(both)
    assert received.returned == ["email to ops@consultancy.example", "webhook to http://127.0.0.1"]
    assert len(inbox.messages) == 1
    assert received.body["batch_id"] == batch_id


def test_a_failing_channel_does_not_stop_notify(batch: tuple[Journal, str]) -> None:
    journal, batch_id = batch
    closed = free_port()
    config = settings(
        smtp_host="127.0.0.1",
        smtp_port=closed,
        smtp_starttls=False,
        notify_email_to="ops@consultancy.example",
        notify_webhook_url=f"http://127.0.0.1:{closed}/hooks/T0KEN",
    )
    assert notify(summarise(journal, batch_id, RECORDS), config) == []
    assert notify(summarise(journal, batch_id, RECORDS), settings()) == []


# -- webhook ---------------------------------------------------------------------------------


class Received:
    def __init__(self) -> None:
        self.body: dict[str, Any] = {}
        self.headers: dict[str, str] = {}
        self.path = ""
        self.returned: Any = None


def serve_webhook(call: Any, *, status: int = 200) -> Received:
    """Run a local HTTP server, call ``call(url)`` and return what the server received."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["content-length"])
            received.body = json.loads(self.rfile.read(length))
            received.headers = dict(self.headers)
            received.path = self.path
            self.send_response(status)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/renewal"
        received.returned = call(url)
    finally:
        server.shutdown()
        server.server_close()
    return received


def test_the_webhook_receives_the_summary_as_json(batch: tuple[Journal, str]) -> None:
    journal, batch_id = batch
    summary = summarise(journal, batch_id, RECORDS)
    received = serve_webhook(lambda url: send_webhook(summary, url))
    assert received.returned is True
    assert received.path == "/hooks/renewal"
    assert received.headers["content-type"] == "application/json"
    body = received.body
    assert body["batch_id"] == batch_id
    assert body["totals"] == {"changed": 2, "ok": 1, "failed": 1, "needs-input": 1}
    assert body["done"][0] == {
        "iec": "1000000001",
        "firm_name": "Bharat Spices Exports",
        "ack_number": "UPD-2026-0001",
        "already_done": False,
        "in_progress": False,
    }
    assert body["needs_input"] == [
        {"iec": "1000000004", "firm_name": "Malabar Coir Works", "what": OTP_WAIT}
    ]
    assert body["text"].startswith("Annual IEC update on the DGFT portal")


def test_a_webhook_that_answers_an_error_is_reported_as_not_sent() -> None:
    summary = RunSummary(batch_id="b1")
    received = serve_webhook(lambda url: send_webhook(summary, url), status=500)
    assert received.returned is False


def test_a_webhook_to_a_closed_port_does_not_raise() -> None:
    summary = RunSummary(batch_id="b1")
    assert send_webhook(summary, f"http://127.0.0.1:{free_port()}/hook", timeout=2) is False
    assert send_webhook(summary, "not a url") is False
