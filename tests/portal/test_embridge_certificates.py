"""Tokens holding several certificates, late certificate lists and emBridge refusals that are
not about the PIN: the mock's soft tokens (``mock_portal.dsc``) and the Link IEC page's
emBridge dialog, used as a person would in real Chromium."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mock_portal import dsc
from tests.portal.conftest import IEC, Portal, iec_record
from tests.portal.test_link import open_link_iec

PAN = str(IEC["pan"])
VALID_TO = "2030-12-31"
#: One token, two certificates: the firm's organisation DSC first, the proprietor's second.
ORG_CERT = {
    "token": "RAVI-EPASS",
    "type": "organisation",
    "cn": "KUMAR EXPORTS",
    "org": "Kumar Exports",
    "pin": "1234",
    "valid_to": VALID_TO,
}
PERSONAL_CERT = {
    "token": "RAVI-EPASS",
    "type": "individual",
    "cn": "RAVI KUMAR",
    "pan": PAN,
    "pin": "1234",
    "valid_to": VALID_TO,
}


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    dsc.ensure_schema(connection)
    yield connection
    connection.close()


def certificates(portal: Portal, token: str = "RAVI-EPASS") -> list[dict[str, Any]]:
    """The test API's view of the token's certificates (signatures, PIN count...)."""
    found: list[dict[str, Any]] = portal.api.get(
        "/__mock__/tokens", params={"iec": IEC["iec"]}
    ).json()
    return [c for c in found if c["token"] == token]


def open_dsc_dialog(page: Page, portal: Portal, token: str = "RAVI-EPASS") -> Any:
    open_link_iec(page, portal)
    page.get_by_role("button", name="Validate with DSC").click()
    dialog = page.get_by_role("dialog", name="Sign with DSC")
    dialog.get_by_label("Select Device").select_option(label=token)
    return dialog


# --- the soft tokens ---------------------------------------------------------------------------


def test_specs_with_one_token_name_make_one_token_with_several_certificates(conn) -> None:
    created = dsc.create_tokens(conn, iec=IEC["iec"], specs=[ORG_CERT, PERSONAL_CERT])

    assert dsc.connected_tokens(conn) == ["RAVI-EPASS"]
    listed = dsc.token_certificates(conn, "RAVI-EPASS")
    assert [key_id for key_id, _ in listed] == [c["key_id"] for c in created]
    names = [dsc.load_certificate(pem).subject.rfc4514_string() for _, pem in listed]
    assert names[0].startswith("CN=KUMAR EXPORTS") and names[1].startswith("CN=RAVI KUMAR")


def test_a_token_named_again_is_replaced_with_all_its_certificates(conn) -> None:
    dsc.create_tokens(conn, iec=IEC["iec"], specs=[ORG_CERT, PERSONAL_CERT])
    [again] = dsc.create_tokens(conn, iec=IEC["iec"], specs=[PERSONAL_CERT])

    assert [key_id for key_id, _ in dsc.token_certificates(conn, "RAVI-EPASS")] == [again["key_id"]]


def test_the_certificates_of_one_token_must_agree_on_its_options(conn) -> None:
    with pytest.raises(ValueError, match="disagree"):
        dsc.create_tokens(
            conn, iec=IEC["iec"], specs=[ORG_CERT, {**PERSONAL_CERT, "connected": False}]
        )


def test_a_token_signs_with_the_certificate_asked_for_and_counts_its_signatures(conn) -> None:
    org, personal = dsc.create_tokens(conn, iec=IEC["iec"], specs=[ORG_CERT, PERSONAL_CERT])

    signature, cert_pem = dsc.sign_with_token(
        conn, "RAVI-EPASS", key_id=personal["key_id"], pin="1234", data=b"x"
    )

    assert dsc.verify_signature(cert_pem, b"x", signature)
    assert dsc.load_certificate(cert_pem).subject.rfc4514_string().startswith("CN=RAVI KUMAR")
    counts = {t["key_id"]: t["signatures"] for t in dsc.token_summaries(conn, IEC["iec"])}
    assert counts == {org["key_id"]: 0, personal["key_id"]: 1}


def test_wrong_pins_count_for_the_whole_token_whichever_certificate_is_tried(conn) -> None:
    org, personal = dsc.create_tokens(conn, iec=IEC["iec"], specs=[ORG_CERT, PERSONAL_CERT])
    for key_id in (org["key_id"], personal["key_id"]):
        with pytest.raises(dsc.TokenError):
            dsc.sign_with_token(conn, "RAVI-EPASS", key_id=key_id, pin="9999", data=b"x")

    with pytest.raises(dsc.TokenError) as third:
        dsc.sign_with_token(conn, "RAVI-EPASS", key_id=org["key_id"], pin="9999", data=b"x")

    assert third.value.code == "locked"
    assert all(t["locked"] for t in dsc.token_summaries(conn))


def test_a_token_with_a_sign_error_refuses_with_it_before_the_pin_is_tried(conn) -> None:
    [token] = dsc.create_tokens(
        conn, iec=IEC["iec"], specs=[{**PERSONAL_CERT, "sign_error": "Token session expired"}]
    )

    with pytest.raises(dsc.TokenError) as refused:
        dsc.sign_with_token(conn, "RAVI-EPASS", key_id=token["key_id"], pin="9999", data=b"x")

    assert (refused.value.code, refused.value.message) == ("refused", "Token session expired")
    assert dsc.token_summaries(conn)[0]["failed_pins"] == 0


def test_a_tokens_table_of_the_first_schema_is_carried_over(conn) -> None:
    old = sqlite3.connect(":memory:")
    old.executescript(
        "CREATE TABLE dsc_tokens (token TEXT PRIMARY KEY, iec TEXT NOT NULL, type TEXT NOT NULL,"
        " cn TEXT NOT NULL, org TEXT, pan_hash TEXT, cls INTEGER NOT NULL,"
        " key_id TEXT NOT NULL UNIQUE, key_pem TEXT NOT NULL, cert_pem TEXT NOT NULL,"
        " connected INTEGER NOT NULL DEFAULT 1, failed_pins INTEGER NOT NULL DEFAULT 0,"
        " locked INTEGER NOT NULL DEFAULT 0);"
        " INSERT INTO dsc_tokens (token, iec, type, cn, cls, key_id, key_pem, cert_pem)"
        " VALUES ('T', 'X', 'individual', 'A', 3, 'K1', 'k', 'c');"
    )

    dsc.ensure_schema(old)
    dsc.create_tokens(old, iec=IEC["iec"], specs=[ORG_CERT, PERSONAL_CERT])

    assert dsc.token_certificates(old, "T") == [("K1", "c")]
    assert len(dsc.token_certificates(old, "RAVI-EPASS")) == 2
    old.close()


# --- the emBridge dialog on the portal's page ----------------------------------------------------


def test_the_dialog_offers_each_certificate_of_a_token_with_its_subject(
    page: Page, portal: Portal
) -> None:
    seeded = portal.seed(iecs=[iec_record(dsc=[ORG_CERT, PERSONAL_CERT])])
    org, personal = seeded["iecs"][0]["tokens"]

    dialog = open_dsc_dialog(page, portal)

    options = dialog.get_by_label("Select Certificate").locator("option:not([value=''])")
    expect(options).to_have_text(["KUMAR EXPORTS", "RAVI KUMAR"])
    assert [options.nth(i).get_attribute("value") for i in (0, 1)] == [
        org["key_id"],
        personal["key_id"],
    ]
    subject = options.nth(1).get_attribute("data-subject") or ""
    assert "CN=RAVI KUMAR" in subject and dsc.pan_hash(PAN) in subject
    assert "O=Kumar Exports" in (options.nth(0).get_attribute("data-subject") or "")


def test_the_portal_checks_the_certificate_chosen_on_a_token_holding_two(
    page: Page, portal: Portal
) -> None:
    portal.seed(iecs=[iec_record(dsc=[ORG_CERT, PERSONAL_CERT])])
    dialog = open_dsc_dialog(page, portal)
    dialog.get_by_label("Select Certificate").select_option(label="KUMAR EXPORTS")
    dialog.get_by_label("PIN").fill("1234")
    dialog.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator(".alert-danger").first).to_contain_text(
        "An organisation DSC cannot be used for a Proprietorship firm."
    )

    page.get_by_role("button", name="Retry with DSC").click()
    dialog.get_by_label("Select Device").select_option(label="RAVI-EPASS")
    dialog.get_by_label("Select Certificate").select_option(label="RAVI KUMAR")
    dialog.get_by_label("PIN").fill("1234")
    dialog.get_by_role("button", name="Sign", exact=True).click()

    expect(page.locator("#successMessage")).to_contain_text("has been linked to your profile")
    assert [(t["cn"], t["signatures"]) for t in certificates(portal)] == [
        ("KUMAR EXPORTS", 1),
        ("RAVI KUMAR", 1),
    ]


def test_a_late_certificate_list_keeps_the_dialog_busy_until_it_comes(
    page: Page, portal: Portal
) -> None:
    portal.seed(iecs=[iec_record(dsc=[{**PERSONAL_CERT, "list_delay_ms": 3000}])])

    dialog = open_dsc_dialog(page, portal)

    certificate = dialog.get_by_label("Select Certificate")
    expect(certificate).to_be_disabled()
    expect(dialog).to_have_attribute("aria-busy", "true")
    expect(dialog.get_by_role("button", name="Sign", exact=True)).to_be_disabled()
    expect(certificate.locator("option")).to_have_count(1)  # the placeholder only
    expect(certificate).to_be_enabled(timeout=15_000)
    certificate.select_option(label="RAVI KUMAR")
    dialog.get_by_label("PIN").fill("1234")
    dialog.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator("#successMessage")).to_contain_text("has been linked to your profile")
    assert certificates(portal)[0]["list_delay_ms"] == 3000


def test_a_sign_error_of_a_token_is_shown_in_the_dialog_and_nothing_is_signed(
    page: Page, portal: Portal
) -> None:
    refusal = "The token's certificate store could not be opened"
    portal.seed(iecs=[iec_record(dsc=[{**PERSONAL_CERT, "sign_error": refusal}])])

    dialog = open_dsc_dialog(page, portal)
    dialog.get_by_label("Select Certificate").select_option(label="RAVI KUMAR")
    dialog.get_by_label("PIN").fill("1234")
    dialog.get_by_role("button", name="Sign", exact=True).click()

    expect(dialog.get_by_role("alert")).to_have_text(refusal)
    expect(dialog).to_be_visible()
    assert portal.iec(IEC["iec"])["linked_user"] is None
    assert [(t["signatures"], t["failed_pins"]) for t in certificates(portal)] == [(0, 0)]
