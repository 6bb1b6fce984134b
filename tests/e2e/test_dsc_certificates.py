"""DSC signing when the client file names no certificate (most offices leave ``dsc_cert``
empty), tokens holding several certificates, late certificate lists, and refusals in the
emBridge dialog that are not about the PIN: the agent against the mock portal.

The client is the example proprietor AKVPR5521E (an individual DSC carrying the PAN hash),
without ``dsc_cert``; the seed's token is edited to hold other certificates too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rpa.clients.file import load_clients
from rpa.clients.records import ClientRecord
from rpa.outcomes import Outcome
from tests.e2e.conftest import Dgft

Clients = dict[str, ClientRecord]

PROPRIETOR = "AKVPR5521E"
OTHER_PAN = "AAAPR1111R"
PIN = "4321"  # a 4-digit token PIN, as most tokens have


@pytest.fixture
def record(clients: Clients) -> ClientRecord:
    """The proprietor, as a client file without a dsc_cert would give it."""
    return clients[PROPRIETOR].model_copy(update={"dsc_cert": None})


@pytest.fixture
def pin(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEMO_DSC_PIN", PIN)
    return PIN


def seed_token(dgft: Dgft, record: ClientRecord, *certs: dict[str, Any]) -> list[dict[str, Any]]:
    """Seed the client due for its update, its token holding ``certs`` (edits of the seed's
    own certificate, in this order); returns the seeded certificates."""
    body = dgft.seed_body([(record, "due")])
    [own] = body["iecs"][0]["dsc"]
    body["iecs"][0]["dsc"] = [{**own, "pin": PIN, **cert} for cert in certs]
    dgft.seed(body)
    return list(body["iecs"][0]["dsc"])


def signatures(dgft: Dgft, iec: str) -> dict[str, int]:
    """Per certificate (common name): how many signatures its key made."""
    answer = dgft.api.get("/__mock__/tokens", params={"iec": iec})
    answer.raise_for_status()
    return {c["cn"]: c["signatures"] for c in answer.json()}


def failure_code(result: object) -> str | None:
    failure = getattr(result, "failure", None)
    return failure.code if failure else None


def test_a_client_file_without_dsc_cert_signs_with_the_tokens_only_certificate(
    dgft: Dgft, clients: Clients, pin: str, tmp_path: Path
) -> None:
    example = clients[PROPRIETOR]
    csv = tmp_path / "clients.csv"
    csv.write_text(
        "iec,pan,firm_name,name_as_per_pan,dob,email,mobile,portal_password,sign_with,"
        "dsc_token,dsc_pin,nature_of_concern\n"
        f"{example.iec},{example.pan},{example.firm_name},{example.name_as_per_pan},"
        f"{example.dob:%d/%m/%Y},{example.email},{example.mobile},env:DEMO_PORTAL_PASSWORD,dsc,"
        f"{example.dsc_token},env:DEMO_DSC_PIN,Proprietorship\n"
    )
    [(_, record)] = load_clients(csv).records
    assert record.dsc_cert is None
    seed_token(dgft, record, {})

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    assert len(dgft.applications(record.iec)) == 1
    assert signatures(dgft, record.iec) == {record.name_as_per_pan: 1}


def test_without_dsc_cert_the_certificate_carrying_the_clients_pan_signs(
    dgft: Dgft, record: ClientRecord, pin: str
) -> None:
    # a namesake's certificate first: by name alone it would be the client's
    seed_token(
        dgft,
        record,
        {"cn": record.name_as_per_pan, "pan": OTHER_PAN},
        {"cn": "V S RATHORE"},
    )

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    [application] = dgft.applications(record.iec)
    assert application["signed_with"] == "dsc"
    assert signatures(dgft, record.iec) == {record.name_as_per_pan: 0, "V S RATHORE": 1}


def test_link_iec_without_dsc_cert_signs_with_the_certificate_carrying_the_clients_pan(
    dgft: Dgft, record: ClientRecord, pin: str
) -> None:
    body = dgft.seed_body([(record, "due")])
    [own] = body["iecs"][0]["dsc"]
    body["iecs"][0]["dsc"] = [
        {**own, "pin": PIN, "cn": "SUNITA RATHORE", "pan": OTHER_PAN},
        {**own, "pin": PIN},
    ]
    body["iecs"][0]["linked_user"] = None
    dgft.seed(body)

    result = dgft.run("link_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    assert dgft.iec(record.iec)["linked_user"] == record.portal_user
    assert signatures(dgft, record.iec) == {"SUNITA RATHORE": 0, record.name_as_per_pan: 1}


def test_two_certificates_neither_the_clients_fail_as_ambiguous_naming_both(
    dgft: Dgft, record: ClientRecord, pin: str
) -> None:
    seed_token(
        dgft,
        record,
        {"cn": "SUNITA RATHORE", "pan": OTHER_PAN},
        {"cn": "ACME TRADERS", "type": "organisation", "org": "Acme Traders", "pan": None},
    )

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.FAILED
    assert failure_code(result) == "DSC_CERT_AMBIGUOUS"
    assert result.failure is not None
    assert "'SUNITA RATHORE'" in result.failure.message
    assert "'ACME TRADERS'" in result.failure.message
    assert "PIN" not in result.failure.message
    assert dgft.applications(record.iec) == []
    assert set(signatures(dgft, record.iec).values()) == {0}


def test_a_dsc_cert_the_token_does_not_hold_fails_as_not_found_with_what_it_offers(
    dgft: Dgft, record: ClientRecord, pin: str
) -> None:
    seed_token(dgft, record, {})
    named = record.model_copy(update={"dsc_cert": "RAKESH MEHTA"})

    result = dgft.run("update_iec", named)

    assert result.outcome == Outcome.FAILED
    assert failure_code(result) == "DSC_CERT_NOT_FOUND"
    assert result.failure is not None
    assert "'RAKESH MEHTA'" in result.failure.message
    assert repr(record.name_as_per_pan) in result.failure.message
    assert dgft.applications(record.iec) == []


def test_a_certificate_list_that_comes_late_is_waited_for(
    dgft: Dgft, record: ClientRecord, pin: str
) -> None:
    seed_token(dgft, record, {"list_delay_ms": 2000})

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.CHANGED, result.failure
    assert signatures(dgft, record.iec) == {record.name_as_per_pan: 1}


def test_a_refusal_in_the_dialog_that_is_not_about_the_pin_is_dsc_refused_with_its_text(
    dgft: Dgft, record: ClientRecord, pin: str
) -> None:
    refusal = "The token's certificate store could not be opened"
    seed_token(dgft, record, {"sign_error": refusal})

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.FAILED
    assert failure_code(result) == "DSC_REFUSED"
    assert result.failure is not None
    assert refusal in result.failure.message
    assert "PIN" not in result.failure.message
    assert dgft.applications(record.iec) == []


def test_a_wrong_pin_is_still_dsc_wrong_pin(
    dgft: Dgft, record: ClientRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_token(dgft, record, {})
    monkeypatch.setenv("DEMO_DSC_PIN", "1234")  # the token's is 4321

    result = dgft.run("update_iec", record)

    assert result.outcome == Outcome.FAILED
    assert failure_code(result) == "DSC_WRONG_PIN"
    assert result.failure is not None
    assert "Incorrect PIN" in result.failure.message
    assert "2 attempt(s) left" in result.failure.message
    assert dgft.applications(record.iec) == []
