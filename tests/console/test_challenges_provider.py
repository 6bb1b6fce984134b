"""The console provider on its own (no browser): RPA_CHALLENGES wires it for both kinds
(a flag still names one kind's provider); it describes the journal's challenge (IEC, firm,
masked destination, expiry), takes the answer from the inbox, expires a challenge nobody
answered, marks the previous answer refused when the portal asks again, and says so in the
log when no console serves the data dir."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from rpa.agent import build_providers
from rpa.challenges.base import OtpRequest
from rpa.challenges.console import ConsoleChallenges
from rpa.challenges.inbox import Inbox
from rpa.challenges.providers import PromptCaptcha, QueueProvider
from rpa.config import Settings, load_settings
from rpa.errors import NeedsInputError
from rpa.journal import Journal
from rpa.journal.challenge_store import ChallengeStore, write_heartbeat

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
LABEL = "0512345678 (Sunrise Spices Pvt Ltd)"


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return load_settings({"data_dir": tmp_path / "data", **values}, env_file=None)


@pytest.fixture
def logged() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="WARNING")
    yield lines
    logger.remove(sink)


def test_rpa_challenges_console_sends_both_kinds_to_the_console(tmp_path: Path) -> None:
    both = build_providers(_settings(tmp_path, challenges="console"))
    assert isinstance(both.otp, ConsoleChallenges) and both.otp is both.captcha
    flagged = build_providers(_settings(tmp_path, challenges="console"), otp_provider="queue")
    assert isinstance(flagged.otp, QueueProvider)
    assert isinstance(flagged.captcha, ConsoleChallenges)
    otp_only = build_providers(_settings(tmp_path, otp_provider="console"))
    assert isinstance(otp_only.otp, ConsoleChallenges)
    assert isinstance(otp_only.captcha, PromptCaptcha)  # prompt stays the default
    with pytest.raises(Exception, match="console, prompt or queue"):
        _settings(tmp_path, challenges="email")


def _job(settings: Settings) -> tuple[Journal, str]:
    journal = Journal(settings.journal_path)
    job_id = journal.add_job("renew", client="0512345678")
    journal.job_started(job_id)
    journal.add_timeline(job_id, "run-started")
    return journal, job_id


def _request(job_id: str, timeout_s: float = 30) -> OtpRequest:
    return OtpRequest(
        job_id=job_id,
        client=LABEL,
        prompt="OTP sent to mobile ******1234",
        timeout_s=timeout_s,
        channel="mobile",
        destination="******1234",
        address="9876541234",
    )


async def _ask_and_answer(
    provider: ConsoleChallenges, journal: Journal, job_id: str, answer: str | None
) -> tuple[str | BaseException, dict[str, Any]]:
    """Ask (as the otp step does, after ChallengeWaiting made the row); answer from the
    inbox as the console does once the row is described."""
    journal.add_challenge(job_id, "otp", "OTP sent to mobile ******1234")
    asked = asyncio.ensure_future(provider.get_otp(_request(job_id, 30 if answer else 0.5)))
    store = ChallengeStore(journal)
    described: dict[str, Any] = {}
    for _ in range(100):
        await asyncio.sleep(0.05)
        waiting = [c for c in store.waiting() if c.job_id == job_id]
        if waiting and waiting[0].provider == "console":
            described = waiting[0].__dict__
            if answer is not None:
                assert store.answered(waiting[0].id, "omar")
                provider.inbox.post(job_id, "otp", answer)
            break
    try:
        return await asked, described
    except NeedsInputError as exc:
        return exc, described


def test_the_provider_describes_the_challenge_and_takes_the_answer_from_the_inbox(
    tmp_path: Path, run_async: RunAsync
) -> None:
    settings = _settings(tmp_path)
    journal, job_id = _job(settings)
    provider = ConsoleChallenges(settings)
    answer, described = run_async(_ask_and_answer(provider, journal, job_id, "604917"))
    assert answer == "604917"
    assert described["client"] == "0512345678"
    assert described["firm"] == "Sunrise Spices Pvt Ltd"
    assert described["destination"] == "******1234"
    assert described["relay_to"] == {"mobile": "9876541234"}
    assert time.time() < described["expires_at"] <= time.time() + 31
    assert not (settings.data_dir / "inbox" / f"{job_id}.otp").exists()  # taken, deleted
    assert not Inbox(settings.data_dir / "inbox").waiting_for(job_id)  # no waiting record


def test_a_challenge_nobody_answers_expires_and_the_job_needs_input(
    tmp_path: Path, run_async: RunAsync
) -> None:
    settings = _settings(tmp_path)
    journal, job_id = _job(settings)
    outcome, _ = run_async(_ask_and_answer(ConsoleChallenges(settings), journal, job_id, None))
    assert isinstance(outcome, NeedsInputError) and outcome.code == "OTP_TIMEOUT"
    (closed,) = ChallengeStore(journal).recent()
    assert closed.status == "expired"


def test_the_portal_asking_again_marks_the_previous_otp_refused(
    tmp_path: Path, run_async: RunAsync
) -> None:
    settings = _settings(tmp_path)
    journal, job_id = _job(settings)
    provider = ConsoleChallenges(settings)
    first, described = run_async(_ask_and_answer(provider, journal, job_id, "111111"))
    assert first == "111111" and described["note"] is None
    second, described = run_async(_ask_and_answer(provider, journal, job_id, "222222"))
    assert second == "222222"
    assert described["note"] == "The previous OTP was refused by the portal"
    statuses = [c.status for c in reversed(ChallengeStore(journal).recent())]
    assert statuses == ["refused", "answered"]


def test_without_a_console_the_provider_says_so_and_with_one_it_does_not(
    tmp_path: Path, run_async: RunAsync, logged: list[str]
) -> None:
    settings = _settings(tmp_path)
    journal, job_id = _job(settings)
    run_async(_ask_and_answer(ConsoleChallenges(settings), journal, job_id, "604917"))
    assert any("no console serves" in line and "rpa serve" in line for line in logged)
    logged.clear()
    write_heartbeat(settings.data_dir, "http://127.0.0.1:8750")
    run_async(_ask_and_answer(ConsoleChallenges(settings), journal, job_id, "604917"))
    assert not any("no console serves" in line for line in logged)
