from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rpa.challenges.inbox import Inbox, Waiting
from rpa.cli import app
from rpa.journal import Journal

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


def test_an_answer_is_taken_once_and_then_gone(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox")
    inbox.post("j1", "otp", " 123456\n")
    slot = tmp_path / "inbox" / "j1.otp"
    assert stat.S_IMODE(slot.stat().st_mode) == 0o600
    assert inbox.take("j1", "otp") == "123456"
    assert inbox.take("j1", "otp") is None
    assert list((tmp_path / "inbox").iterdir()) == []


def test_a_waiting_job_gets_an_answer_given_while_it_waits(
    tmp_path: Path, run_async: RunAsync
) -> None:
    inbox = Inbox(tmp_path / "inbox")

    async def scenario() -> str | None:
        waiting = asyncio.ensure_future(inbox.wait("j1", "otp", timeout_s=5, poll_s=0.02))
        await asyncio.sleep(0.1)
        inbox.post("j1", "otp", "654321")
        return await waiting

    assert run_async(scenario()) == "654321"


def test_waiting_with_nobody_answering_gives_none(tmp_path: Path, run_async: RunAsync) -> None:
    inbox = Inbox(tmp_path / "inbox")
    assert run_async(inbox.wait("j1", "captcha", timeout_s=0.1, poll_s=0.02)) is None


def test_a_slot_name_cannot_escape_the_inbox_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Inbox(tmp_path).post("../../etc/passwd", "otp", "1")
    with pytest.raises(ValueError):
        Inbox(tmp_path).post("j1", "password", "1")


def test_otp_give_delivers_to_a_waiting_job_and_refuses_others(tmp_path: Path) -> None:
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    job = journal.add_job("update_iec", client="AAACB1234F")
    idle = journal.add_job("update_iec", client="1198002743")
    journal.job_started(job)
    journal.add_challenge(job, "otp", "OTP sent to mobile ******3210")
    runner = CliRunner()
    with Inbox(data / "inbox").waiting(Waiting(job_id=job, kind="otp", provider="queue")):
        listed = runner.invoke(app, ["--data-dir", str(data), "challenges"])
        assert listed.exit_code == 0 and "******3210" in listed.output
        given = runner.invoke(
            app, ["--data-dir", str(data), "otp", "give", job, "-"], input="112233\n"
        )
    assert given.exit_code == 0, given.output
    assert Inbox(data / "inbox").take(job, "otp") == "112233"
    refused = runner.invoke(app, ["--data-dir", str(data), "otp", "give", idle, "999999"])
    assert refused.exit_code == 1
    assert "not running" in refused.output
