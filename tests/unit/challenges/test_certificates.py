"""Choosing the certificate on a DSC token (rpa.challenges.certificates), no browser."""

from __future__ import annotations

import hashlib

import pytest

from rpa.challenges.certificates import (
    CertificateOwner,
    OfferedCertificate,
    choose_certificate,
    pan_hash,
    parse_subject,
)
from rpa.errors import BusinessError

PAN = "ABCPK1234F"
HASH = hashlib.sha256(PAN.encode()).hexdigest()
OWNER = CertificateOwner(pan=PAN, names=("RAVI KUMAR", "Kumar Exports"))
NOBODY = CertificateOwner(pan="ZZZPZ9999Z", names=("SOMEONE ELSE",))


def cert(key_id: str, name: str, subject: str = "") -> OfferedCertificate:
    return OfferedCertificate(key_id=key_id, name=name, subject=subject)


PERSONAL = cert("K1", "RAVI KUMAR", f"CN=RAVI KUMAR,2.5.4.5={HASH},O=Personal,C=IN")
OTHER_PAN = cert("K2", "MEENA SHAH", f"CN=MEENA SHAH,2.5.4.5={pan_hash('AAAPS1111A')},O=Personal")
FIRM = cert("K3", "KUMAR EXPORTS", "CN=KUMAR EXPORTS,O=Kumar Exports,C=IN")
STRANGER = cert("K4", "ACME LTD", "CN=ACME LTD,O=Acme Ltd,C=IN")


def choose(offered: list[OfferedCertificate], owner: CertificateOwner = OWNER, wanted: str = ""):
    return choose_certificate(offered, token="ePass", owner=owner, wanted=wanted)


def refusal(offered: list[OfferedCertificate], **kw: object) -> BusinessError:
    with pytest.raises(BusinessError) as caught:
        choose(offered, **kw)  # type: ignore[arg-type]
    return caught.value


def test_the_only_certificate_on_a_token_is_taken_whoever_it_names() -> None:
    assert choose([STRANGER], owner=NOBODY) is STRANGER


def test_the_certificate_carrying_the_clients_pan_hash_is_taken_among_several() -> None:
    assert choose([OTHER_PAN, PERSONAL]) is PERSONAL


def test_the_pan_hash_is_read_from_a_windows_style_subject_too() -> None:
    windows = cert("K5", "RAVI KUMAR", f"SERIALNUMBER={HASH.upper()}, O=Personal, CN=RAVI KUMAR")
    assert choose([STRANGER, windows], owner=CertificateOwner(pan=PAN)) is windows


def test_without_a_pan_match_the_certificate_naming_the_client_is_taken() -> None:
    assert choose([STRANGER, FIRM]) is FIRM


def test_names_match_regardless_of_case_and_spacing() -> None:
    owner = CertificateOwner(names=("  kumar   exports ",))
    assert choose([STRANGER, FIRM], owner=owner) is FIRM


def test_the_organisation_in_the_subject_matches_the_firm_name() -> None:
    director = cert("K6", "ANITA RAO", "CN=ANITA RAO,O=Kumar Exports,C=IN")
    owner = CertificateOwner(names=("Kumar Exports",))
    assert choose([STRANGER, director], owner=owner) is director


def test_two_certificates_carrying_the_pan_are_told_apart_by_name() -> None:
    old = cert("K7", "R KUMAR", f"CN=R KUMAR,2.5.4.5={HASH},O=Personal")
    assert choose([old, PERSONAL]) is PERSONAL


def test_several_certificates_none_of_them_the_clients_are_ambiguous_and_named() -> None:
    error = refusal([OTHER_PAN, STRANGER])
    assert error.code == "DSC_CERT_AMBIGUOUS"
    assert "'MEENA SHAH'" in error.message and "'ACME LTD'" in error.message
    assert "none matches" in error.message and "dsc_cert" in error.message


def test_two_certificates_both_matching_the_client_are_ambiguous() -> None:
    twin = cert("K8", "RAVI KUMAR", f"CN=RAVI KUMAR,2.5.4.5={HASH},O=Personal")
    error = refusal([PERSONAL, twin])
    assert error.code == "DSC_CERT_AMBIGUOUS" and "more than one matches" in error.message


def test_a_named_certificate_is_taken_even_when_another_carries_the_pan() -> None:
    assert choose([PERSONAL, FIRM], wanted="kumar exports") is FIRM


def test_a_named_certificate_the_token_does_not_hold_is_not_found_with_what_it_offers() -> None:
    error = refusal([PERSONAL, FIRM], wanted="RAKESH MEHTA")
    assert error.code == "DSC_CERT_NOT_FOUND"
    assert "'RAKESH MEHTA'" in error.message
    assert "'RAVI KUMAR', 'KUMAR EXPORTS'" in error.message
    assert "PIN" not in error.message


def test_a_token_listing_no_certificate_is_refused() -> None:
    assert refusal([]).code == "DSC_NO_CERTIFICATE"


def test_without_a_subject_only_the_listed_name_can_match() -> None:
    bare = [cert("K1", "RAVI KUMAR"), cert("K4", "ACME LTD")]
    assert choose(bare).key_id == "K1"
    assert refusal(bare, owner=CertificateOwner(pan=PAN)).code == "DSC_CERT_AMBIGUOUS"


@pytest.mark.parametrize(
    ("subject", "pairs"),
    [
        ("CN=A,O=B", [("CN", "A"), ("O", "B")]),
        (r"CN=KUMAR\, RAVI,O=X\2CY", [("CN", "KUMAR, RAVI"), ("O", "X,Y")]),
        ('CN="KUMAR, RAVI", O=X', [("CN", "KUMAR, RAVI"), ("O", "X")]),
        ("CN=A+2.5.4.5=abc", [("CN", "A"), ("2.5.4.5", "abc")]),
        ("", []),
        ("garbage", []),
    ],
)
def test_subjects_are_read_the_rfc_4514_and_the_windows_way(subject, pairs) -> None:
    assert parse_subject(subject) == pairs
