"""Where an OTP went, as a person is shown it: whose phone, whose inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rpa.challenges.base import Providers, SignRequest, mask_destination
from rpa.challenges.testing import ScriptedChallenges, ScriptedSigner
from tests.unit.engine.fakes import FakeRunner


@pytest.fixture
def runner(tmp_path: Path, run_async: Any) -> FakeRunner:
    return FakeRunner(tmp_path, run_async)


def test_a_mobile_number_keeps_its_last_four_digits() -> None:
    assert mask_destination("9876541234") == "******1234"
    assert mask_destination(" 9876541234 ") == "******1234"


def test_an_email_keeps_the_first_letter_of_the_mailbox_and_the_whole_domain() -> None:
    assert mask_destination("rahul@example.in") == "r****@example.in"
    assert mask_destination("accounts.team@firm.co.in") == "a************@firm.co.in"


def test_a_one_letter_mailbox_shows_none_of_it() -> None:
    assert mask_destination("r@example.in") == "*@example.in"


def test_a_short_number_is_masked_whole() -> None:
    assert mask_destination("1234") == "****"


def test_an_otp_asked_for_an_email_address_names_the_inbox_masked(runner: FakeRunner) -> None:
    scripted = ScriptedChallenges(otps=["482913"])

    async def ask_for_otp(page: Any, request: SignRequest) -> None:
        await request.ask_otp("email", "eSign OTP", "rahul@example.in")

    providers = Providers(otp=scripted).with_signer("aadhaar", ScriptedSigner(action=ask_for_otp))
    run = runner.run("steps:\n  - sign: {method: aadhaar}\n", providers=providers)
    assert run.outcome == "ok", run.result.failure
    (request,) = scripted.otp_requests
    assert request.destination == "r****@example.in"
    assert request.address == "rahul@example.in"  # the full address is only for a lookup
