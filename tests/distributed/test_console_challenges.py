"""The worker's OTP and captcha providers against the console's API contract, served by a
tiny fake console in a thread (the real console is another package: see
test_console_otp_across_pcs.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rpa.challenges.base import CaptchaRequest, OtpRequest, mask_destination
from rpa.distributed.console import ConsoleChallenges, split_label
from rpa.errors import NeedsInputError

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
CREDENTIAL = "worker-pc-2-credential"


@dataclass
class FakeConsole:
    """Answers ``POST /api/v1/challenges`` and ``GET /api/v1/challenges/{id}``: waiting for
    ``polls_before`` reads, then ``final`` (``answered`` with ``answer``, or ``expired``)."""

    url: str = ""
    raised: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    reads: int = 0
    polls_before: int = 2
    final: str = "answered"
    answer: str = "482913"


@pytest.fixture
def console() -> Iterator[FakeConsole]:
    fake = FakeConsole()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _allowed(self) -> bool:
            fake.headers.append(self.headers.get("Authorization", ""))
            if self.headers.get("Authorization") != f"Bearer {CREDENTIAL}":
                self._reply(401, {"error": "unknown worker"})
                return False
            return True

        def do_POST(self) -> None:
            if not self._allowed():
                return
            length = int(self.headers.get("Content-Length", "0"))
            fake.raised.append(json.loads(self.rfile.read(length)))
            self._reply(201, {"id": "c-1"})

        def do_GET(self) -> None:
            if not self._allowed():
                return
            assert self.path == "/api/v1/challenges/c-1"
            fake.reads += 1
            if fake.reads <= fake.polls_before:
                self._reply(200, {"state": "waiting"})
            elif fake.final == "answered":
                self._reply(200, {"state": "answered", "answer": fake.answer})
            else:
                self._reply(200, {"state": fake.final})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def otp_request() -> OtpRequest:
    return OtpRequest(
        job_id="j-remote-1",
        client="0312345678 (Acme Exports)",
        prompt="Mobile OTP",
        timeout_s=30,
        channel="mobile",
        destination=mask_destination("9876541234"),
        address="9876541234",
    )


def test_a_workers_otp_is_raised_in_the_office_console_and_its_answer_comes_back(
    console: FakeConsole, run_async: RunAsync
) -> None:
    asker = ConsoleChallenges(console.url, CREDENTIAL, poll_s=0.05)
    assert run_async(asker.get_otp(otp_request())) == "482913"
    (raised,) = console.raised
    assert raised["job_id"] == "j-remote-1"
    assert raised["kind"] == "otp"
    assert (raised["client"], raised["firm"]) == ("0312345678", "Acme Exports")
    assert raised["destination"] == "******1234"  # masked: never the full number
    assert "9876541234" not in json.dumps(raised)
    assert raised["timeout_s"] == 30
    assert set(console.headers) == {f"Bearer {CREDENTIAL}"}
    assert console.reads == 3  # it waited while the challenge was waiting


def test_a_captcha_goes_to_the_console_as_a_base64_image(
    console: FakeConsole, run_async: RunAsync
) -> None:
    console.answer = "K7PQ2"
    asker = ConsoleChallenges(console.url, CREDENTIAL, poll_s=0.05)
    request = CaptchaRequest(
        job_id="j-remote-2",
        client="0312345678 (Acme)",
        prompt="Captcha",
        timeout_s=30,
        image=b"\x89PNG fake",
    )
    assert run_async(asker.solve(request)) == "K7PQ2"
    assert console.raised[0]["kind"] == "captcha"
    assert console.raised[0]["image_base64"] == "iVBORyBmYWtl"


def test_a_challenge_the_console_lets_expire_ends_the_job_needing_input(
    console: FakeConsole, run_async: RunAsync
) -> None:
    console.final = "expired"
    asker = ConsoleChallenges(console.url, CREDENTIAL, poll_s=0.05)
    with pytest.raises(NeedsInputError, match="office console"):
        run_async(asker.get_otp(otp_request()))


def test_a_worker_the_console_does_not_know_is_refused_and_the_job_needs_input(
    console: FakeConsole, run_async: RunAsync
) -> None:
    asker = ConsoleChallenges(console.url, "someone-else", poll_s=0.05)
    with pytest.raises(NeedsInputError) as refused:
        run_async(asker.get_otp(otp_request()))
    assert refused.value.code == "CONSOLE_REFUSED"
    assert console.raised == []


def test_a_client_label_gives_the_iec_and_the_firm() -> None:
    assert split_label("0312345678 (Acme (India) Exports)") == (
        "0312345678",
        "Acme (India) Exports",
    )
    assert split_label("0312345678") == ("0312345678", None)
    assert split_label(None) == (None, None)
