"""The portal's refusal of a login ends the job at the first attempt: a wrong password is
``LOGIN_BAD_CREDENTIALS``, a locked account ``LOGIN_ACCOUNT_LOCKED``, both business errors,
never retried and never followed by a re-login (on the real portal repeated wrong passwords
lock the account). The mock's test API counts the login attempts it refused.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from rpa.challenges.base import CaptchaRequest
from rpa.clients.records import ClientRecord
from rpa.clients.secrets import SecretRef
from rpa.engine import JobResult
from rpa.errors import FailureKind
from rpa.outcomes import Outcome
from tests.e2e.conftest import Dgft

Clients = dict[str, ClientRecord]

DSC_NO_CHANGES = "AAJFG2290M"
WRONG_PASSWORD = "Not#ThePassw0rd"


@pytest.fixture
def wrong_password(monkeypatch: pytest.MonkeyPatch) -> SecretRef:
    monkeypatch.setenv("WRONG_PORTAL_PASSWORD", WRONG_PASSWORD)
    return SecretRef.parse("env:WRONG_PORTAL_PASSWORD")


def with_password(record: ClientRecord, password: SecretRef) -> ClientRecord:
    return record.model_copy(update={"portal_password": password})


def logins(dgft: Dgft, record: ClientRecord) -> dict[str, Any]:
    """The portal's count of refused logins in a row for the client's user, and its lock."""
    response = dgft.api.get(f"/__mock__/users/{record.portal_user}")
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def seed_user(dgft: Dgft, record: ClientRecord, **user: Any) -> None:
    body = dgft.seed_body([(record, "due")])
    body["users"][0].update(user)
    dgft.seed(body)


def assert_refused(result: JobResult, code: str) -> None:
    assert result.outcome == Outcome.FAILED
    assert result.failure is not None
    assert (result.failure.code, result.failure.kind) == (code, FailureKind.BUSINESS), (
        result.failure
    )
    assert WRONG_PASSWORD not in result.failure.message


@pytest.mark.parametrize("playbook", ["update_iec", "renew"])
def test_a_wrong_password_fails_with_login_bad_credentials_after_one_login(
    dgft: Dgft, clients: Clients, wrong_password: SecretRef, playbook: str
) -> None:
    record = clients[DSC_NO_CHANGES]
    dgft.seed([(record, "due")])

    result = dgft.run(playbook, with_password(record, wrong_password))

    assert_refused(result, "LOGIN_BAD_CREDENTIALS")
    assert logins(dgft, record)["failed_logins"] == 1
    assert dgft.applications(record.iec) == []


@pytest.mark.parametrize("playbook", ["update_iec", "renew"])
def test_a_locked_account_fails_with_login_account_locked_after_one_login(
    dgft: Dgft, clients: Clients, playbook: str
) -> None:
    record = clients[DSC_NO_CHANGES]
    seed_user(dgft, record, locked=True)
    before = logins(dgft, record)["failed_logins"]

    result = dgft.run(playbook, record)  # the right password: the lock refuses it all the same

    assert_refused(result, "LOGIN_ACCOUNT_LOCKED")
    assert logins(dgft, record)["failed_logins"] == before + 1
    assert dgft.applications(record.iec) == []


def test_the_wrong_password_that_locks_the_account_fails_with_login_account_locked(
    dgft: Dgft, clients: Clients, wrong_password: SecretRef
) -> None:
    record = clients[DSC_NO_CHANGES]
    seed_user(dgft, record, failed_logins=4)

    result = dgft.run("update_iec", with_password(record, wrong_password))

    assert_refused(result, "LOGIN_ACCOUNT_LOCKED")
    after = logins(dgft, record)
    assert (after["failed_logins"], after["locked"]) == (5, True)


def test_a_good_login_after_refused_ones_goes_on_and_clears_the_count(
    dgft: Dgft, clients: Clients
) -> None:
    record = clients[DSC_NO_CHANGES]
    seed_user(dgft, record, failed_logins=3)

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    assert logins(dgft, record)["failed_logins"] == 0


class BlankCaptcha:
    """Answers every captcha with nothing: the portal refuses the login form with a message
    the login playbook does not name ("Please enter the Captcha.")."""

    def __init__(self) -> None:
        self.calls = 0

    async def solve(self, request: CaptchaRequest) -> str:
        self.calls += 1
        return ""


def test_a_refusal_the_login_does_not_name_fails_at_once_without_logging_in_again(
    dgft: Dgft, clients: Clients
) -> None:
    # The real portal's wording is not known: whatever it says on the login form, the
    # login is not tried again (as a re-login after an "ended session" would).
    record = clients[DSC_NO_CHANGES]
    dgft.seed([(record, "due")])
    captcha = BlankCaptcha()
    agent = dgft.agent
    dgft.use_agent(
        dataclasses.replace(agent, providers=dataclasses.replace(agent.providers, captcha=captcha))
    )

    result = dgft.run("update_iec", record)

    assert_refused(result, "LOGIN_FAILED")
    assert result.failure is not None
    assert "refused the login" in result.failure.message
    assert captcha.calls == 1  # one login form sent
