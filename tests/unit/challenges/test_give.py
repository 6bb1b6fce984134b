"""``rpa otp give`` / ``rpa captcha give`` reach a job only where a queue provider waits for it,
and otherwise say what the job is waiting on, and exit 1."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from rpa.challenges.base import CaptchaRequest, OtpRequest, Question
from rpa.challenges.inbox import Inbox, Waiting
from rpa.challenges.providers import PromptCaptcha, PromptOtp, QueueProvider, TerminalPrompt
from rpa.cli import app
from rpa.journal import Journal

CLIENT = "0123456789 (Acme Exports)"


@dataclass
class Data:
    folder: Path
    journal: Journal

    @property
    def inbox(self) -> Inbox:
        return Inbox(self.folder / "inbox")

    def running_job(self) -> str:
        job = self.journal.add_job("update_iec", client="0123456789")
        self.journal.job_started(job)
        return job

    def give(self, kind: str, job: str, answer: str = "482913") -> Result:
        return CliRunner().invoke(app, ["--data-dir", str(self.folder), kind, "give", job, answer])


def said(result: Result) -> str:
    """What the command printed, with the terminal's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Data]:
    folder = tmp_path / "data"
    journal = Journal(folder / "journal.sqlite3")
    yield Data(folder, journal)
    journal.close()


def otp_request(job: str) -> OtpRequest:
    return OtpRequest(
        job_id=job,
        client=CLIENT,
        prompt="OTP sent to mobile ******1234",
        timeout_s=10,
        channel="mobile",
    )


def captcha_request(job: str) -> CaptchaRequest:
    return CaptchaRequest(
        job_id=job, client=CLIENT, prompt="Type the captcha", timeout_s=10, image=b""
    )


def in_a_thread(coro: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``coro`` as a job's process would, beside the CLI; its result lands in the dict."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def wait_until(condition: Callable[[], bool], timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class BlockedTerminal:
    """A person at the job's terminal who has not answered yet."""

    def __init__(self) -> None:
        self.answer = threading.Event()

    def interactive(self) -> bool:
        return True

    def ask(self, question: Question) -> str:
        self.answer.wait(10)
        return "typed at the terminal"

    def withdraw(self, question: Question) -> None: ...


def test_an_otp_given_to_a_job_waiting_on_the_queue_provider_reaches_it(data: Data) -> None:
    job = data.running_job()
    provider = QueueProvider(data.inbox, poll_s=0.01)
    thread, outcome = in_a_thread(provider.get_otp(otp_request(job)))
    wait_until(lambda: bool(data.inbox.waiting_for(job)))
    given = data.give("otp", job, "482913")
    thread.join(5)
    assert given.exit_code == 0, given.output
    assert f"given to job {job}" in said(given)
    assert outcome == {"value": "482913"}
    assert data.inbox.waiting_for(job) == []  # it waits no more


def test_a_captcha_given_to_a_job_waiting_on_the_queue_provider_reaches_it(data: Data) -> None:
    job = data.running_job()
    provider = QueueProvider(data.inbox, poll_s=0.01)
    thread, outcome = in_a_thread(provider.solve(captcha_request(job)))
    wait_until(lambda: bool(data.inbox.waiting_for(job)))
    given = data.give("captcha", job, "x7Kq2")
    thread.join(5)
    assert given.exit_code == 0, given.output
    assert outcome == {"value": "x7Kq2"}


@pytest.mark.parametrize("kind", ["otp", "captcha"])
def test_giving_to_a_job_prompting_at_a_terminal_says_so_and_delivers_nothing(
    data: Data, kind: str
) -> None:
    job = data.running_job()
    data.journal.add_challenge(job, kind, "asked at the terminal")
    person = BlockedTerminal()
    terminal = TerminalPrompt(person, inbox=data.inbox)
    asking = (
        PromptOtp(terminal).get_otp(otp_request(job))
        if kind == "otp"
        else PromptCaptcha(terminal).solve(captcha_request(job))
    )
    thread, outcome = in_a_thread(asking)
    try:
        wait_until(lambda: bool(data.inbox.waiting_for(job)))
        given = data.give(kind, job)
        assert given.exit_code == 1, given.output
        assert "prompt provider" in said(given)
        assert "at the terminal where the job runs" in said(given)
        assert "given to job" not in said(given)
        assert data.inbox.take(job, kind) is None
    finally:
        person.answer.set()
        thread.join(5)
    assert outcome == {"value": "typed at the terminal"}


def test_giving_to_a_job_that_waits_on_nothing_says_so(data: Data) -> None:
    job = data.running_job()
    given = data.give("otp", job)
    assert given.exit_code == 1, given.output
    assert f"job {job} is not waiting for an OTP: it waits on nothing" in said(given)
    assert data.inbox.take(job, "otp") is None


def test_a_challenge_row_left_in_the_journal_is_not_a_job_waiting(data: Data) -> None:
    job = data.running_job()
    data.journal.add_challenge(job, "otp", "OTP sent to mobile ******1234")
    given = data.give("otp", job)
    assert given.exit_code == 1, given.output
    assert "waits on nothing" in said(given)


def test_giving_an_otp_to_a_job_waiting_for_a_captcha_names_what_it_waits_for(
    data: Data,
) -> None:
    job = data.running_job()
    with data.inbox.waiting(Waiting(job_id=job, kind="captcha", provider="queue")):
        given = data.give("otp", job)
    assert given.exit_code == 1, given.output
    assert "waiting for a captcha, not an OTP" in said(given)
    assert f"rpa captcha give {job}" in said(given)


def test_giving_to_an_unknown_job_says_there_is_none(data: Data) -> None:
    given = data.give("otp", "j20260101-00000000")
    assert given.exit_code == 1, given.output
    assert "there is no job j20260101-00000000" in said(given)


def test_giving_when_there_is_no_journal_yet_says_there_is_no_such_job(tmp_path: Path) -> None:
    given = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path / "empty"), "captcha", "give", "j1", "abc"]
    )
    assert given.exit_code == 1, given.output
    assert "there is no job j1" in said(given)


def test_giving_to_a_finished_job_says_it_is_not_running(data: Data) -> None:
    job = data.running_job()
    data.journal.job_finished(job, "needs-input", duration_s=1.0)
    given = data.give("otp", job)
    assert given.exit_code == 1, given.output
    assert f"job {job} is not running (it ended needs-input)" in said(given)


def test_giving_to_a_job_whose_process_died_while_waiting_says_it_is_not_running(
    data: Data,
) -> None:
    job = data.running_job()
    dead = _a_finished_pid()
    record = Waiting(
        job_id=job, kind="otp", provider="queue", holder=f"{socket.gethostname()}:{dead}"
    )
    with data.inbox.waiting(record):
        given = data.give("otp", job)
    assert given.exit_code == 1, given.output
    assert "is not running: the process that ran it" in said(given)
    assert data.inbox.take(job, "otp") is None


def _a_finished_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_the_list_of_waiting_challenges_says_where_each_is_answered(data: Data) -> None:
    queued, prompted = data.running_job(), data.running_job()
    data.journal.add_challenge(queued, "otp", "OTP sent to mobile ******1234")
    data.journal.add_challenge(prompted, "captcha", "Type the captcha")
    with (
        data.inbox.waiting(Waiting(job_id=queued, kind="otp", provider="queue")),
        data.inbox.waiting(Waiting(job_id=prompted, kind="captcha", provider="prompt")),
    ):
        listed = CliRunner().invoke(
            app, ["--data-dir", str(data.folder), "challenges"], env={"COLUMNS": "250"}
        )
    assert listed.exit_code == 0, listed.output
    assert f"rpa otp give {queued}" in said(listed)
    assert "answer it at the terminal where the job runs" in said(listed)
