"""The soft DSC tokens and the portal's DSC acceptance rules (mock_portal.dsc)."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mock_portal import dsc

IEC = "0305012345"
PAN = "AAACA1234F"  # the firm's PAN on DGFT's record
NAME_AS_PER_PAN = "ACME EXPORTS PRIVATE LIMITED"
PROPRIETOR_PAN = "ABCPK1234F"
FUTURE = "2036-03-31"


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    dsc.ensure_schema(connection)
    yield connection
    connection.close()


def make_cert(conn: sqlite3.Connection, **spec: Any) -> str:
    spec = {"token": "t", "cn": "RAVI KUMAR", "pin": "1234", "valid_to": FUTURE, **spec}
    dsc.create_tokens(conn, iec=IEC, specs=[spec])
    [(_, cert_pem)] = dsc.token_certificates(conn, spec["token"])
    return cert_pem


def rules(cert_pem: str, *, nature: str = "Private Limited", pan: str = PAN, **kw: Any) -> Any:
    return dsc.check_token_rules(
        cert_pem,
        iec=kw.get("iec", IEC),
        pan=pan,
        name_as_per_pan=kw.get("name", NAME_AS_PER_PAN),
        nature_of_concern=nature,
        now=kw.get("now", datetime.now(UTC)),
    )


def test_create_tokens_returns_one_summary_per_spec_with_the_subject_key_id(conn) -> None:
    created = dsc.create_tokens(
        conn,
        iec=IEC,
        specs=[
            {
                "token": "a",
                "type": "individual",
                "cn": "RAVI KUMAR",
                "pan": PROPRIETOR_PAN,
                "pin": "1",
                "valid_to": FUTURE,
            },
            {
                "token": "b",
                "type": "organisation",
                "cn": "RAVI KUMAR",
                "org": NAME_AS_PER_PAN,
                "pin": "2",
                "valid_to": FUTURE,
                "connected": False,
            },
        ],
    )
    assert [(c["token"], c["type"], c["cn"]) for c in created] == [
        ("a", "individual", "RAVI KUMAR"),
        ("b", "organisation", "RAVI KUMAR"),
    ]
    assert all(len(c["key_id"]) == 40 for c in created)
    assert dsc.connected_tokens(conn) == ["a"]


def test_an_individual_certificate_carries_personal_and_the_pan_hash(conn) -> None:
    cert = dsc.load_certificate(make_cert(conn, type="individual", pan=PROPRIETOR_PAN))
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Personal"
    serial = subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
    assert serial == dsc.pan_hash(PROPRIETOR_PAN)
    assert cert.issuer.rfc4514_string().startswith("CN=Mock eMudhra Sub CA")
    assert dsc.certificate_class(cert) == 3


def test_an_iec_certificate_carries_the_iec_in_the_iec_attribute(conn) -> None:
    cert = dsc.load_certificate(make_cert(conn, type="iec", org=NAME_AS_PER_PAN, **{"class": 2}))
    assert cert.subject.get_attributes_for_oid(dsc.IEC_ATTRIBUTE)[0].value == IEC
    assert dsc.certificate_class(cert) == 2


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ({"type": "robot"}, "token type"),
        ({"type": "individual"}, "PAN"),
        ({"type": "organisation"}, "org"),
        ({"type": "individual", "pan": PAN, "pin": ""}, "PIN"),
        ({"type": "individual", "pan": PAN, "class": 4}, "class"),
    ],
)
def test_create_tokens_rejects_incomplete_specs(conn, spec, complaint) -> None:
    with pytest.raises(ValueError, match=complaint):
        make_cert(conn, **spec)


def test_the_mock_ca_is_the_same_in_every_process() -> None:
    dsc._CA_CACHE.clear()
    first = dsc.ca_certificate_pem()
    dsc._CA_CACHE.clear()
    assert dsc.ca_certificate_pem() == first


def test_a_token_signs_only_with_its_pin_and_the_signature_verifies(conn) -> None:
    [token] = dsc.create_tokens(
        conn,
        iec=IEC,
        specs=[
            {
                "token": "t",
                "type": "individual",
                "cn": "X",
                "pan": PAN,
                "pin": "0000",
                "valid_to": FUTURE,
            }
        ],
    )
    with pytest.raises(dsc.TokenError) as wrong:
        dsc.sign_with_token(conn, "t", key_id=token["key_id"], pin="9999", data=b"x")
    assert (wrong.value.code, wrong.value.attempts_left) == ("wrong_pin", 2)
    signature, cert = dsc.sign_with_token(conn, "t", key_id=token["key_id"], pin="0000", data=b"x")
    assert dsc.verify_signature(cert, "x", signature)
    assert dsc.verify_signature(cert, b"x", signature)
    assert not dsc.verify_signature(cert, "y", signature)
    assert not dsc.verify_signature(cert, "x", "not base64!")
    assert not dsc.verify_signature("garbage", "x", signature)


def _self_signed(cn: str = dsc.CA_NAME) -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_a_signature_from_a_certificate_outside_the_mock_ca_does_not_verify() -> None:
    key, cert = _self_signed()
    signature = base64.b64encode(key.sign(b"x", ec.ECDSA(hashes.SHA256()))).decode()
    assert not dsc.verify_signature(cert, "x", signature)
    assert rules(cert) == dsc.MESSAGES["untrusted"]


# --- check_token_rules -----------------------------------------------------------------------


def test_an_individual_token_with_the_iec_pan_is_accepted_for_any_firm(conn) -> None:
    cert = make_cert(conn, type="individual", pan=PROPRIETOR_PAN)
    assert rules(cert, pan=PROPRIETOR_PAN, nature="Proprietorship", name="RAVI KUMAR") is None
    assert rules(cert, pan=PROPRIETOR_PAN, nature="Partnership") is None


def test_an_individual_token_with_another_pan_is_refused(conn) -> None:
    cert = make_cert(conn, type="individual", pan=PROPRIETOR_PAN)
    assert rules(cert, pan="ZZZPZ9999Z") == dsc.MESSAGES["pan_mismatch"]


def test_an_individual_token_whose_o_is_a_company_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = dsc.issue_certificate(
        key.public_key(),
        cn="RAVI KUMAR",
        org="SOME OTHER COMPANY LTD",
        pan=PROPRIETOR_PAN,
        iec=None,
        cls=3,
        valid_to=date(2036, 3, 31),
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    assert rules(pem, pan=PROPRIETOR_PAN, nature="Proprietorship") == dsc.MESSAGES["individual_org"]


def test_an_organisation_token_matching_the_name_as_per_pan_is_accepted(conn) -> None:
    cert = make_cert(conn, type="organisation", org="Acme  Exports private LIMITED")
    assert rules(cert) is None


def test_an_organisation_token_with_another_name_is_refused(conn) -> None:
    cert = make_cert(conn, type="organisation", org="ACME IMPORTS PRIVATE LIMITED")
    assert rules(cert) == dsc.MESSAGES["org_name_mismatch"]


def test_an_organisation_token_is_refused_for_a_proprietorship(conn) -> None:
    cert = make_cert(conn, type="organisation", org="RAVI KUMAR")
    refusal = rules(cert, pan=PROPRIETOR_PAN, name="RAVI KUMAR", nature="Proprietorship")
    assert refusal == dsc.MESSAGES["org_for_proprietorship"]


def test_an_iec_token_is_accepted_when_its_iec_matches_and_refused_otherwise(conn) -> None:
    assert rules(make_cert(conn, type="iec")) is None
    assert rules(make_cert(conn, type="iec"), nature="Proprietorship") is None
    other = make_cert(conn, token="u", type="iec", iec="0399999999")
    assert rules(other) == dsc.MESSAGES["iec_mismatch"]


def test_a_class_1_token_is_refused_and_class_2_accepted(conn) -> None:
    class1 = make_cert(conn, type="organisation", org=NAME_AS_PER_PAN, **{"class": 1})
    assert rules(class1) == dsc.MESSAGES["class"]
    class2 = make_cert(conn, type="organisation", org=NAME_AS_PER_PAN, **{"class": 2})
    assert rules(class2) is None


def test_an_expired_token_is_refused_by_the_portal_clock(conn) -> None:
    cert = make_cert(conn, type="organisation", org=NAME_AS_PER_PAN, valid_to="2030-03-31")
    assert rules(cert, now=datetime(2030, 3, 31, 12, 0)) is None  # naive: UTC
    assert rules(cert, now=datetime(2030, 4, 1, tzinfo=UTC)) == dsc.MESSAGES["expired"]


def test_garbage_is_not_a_certificate() -> None:
    assert rules("not a certificate") == dsc.MESSAGES["invalid"]
