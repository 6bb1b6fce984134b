"""Client records: every validation message, normalisation, and what templates see."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loguru import logger
from pydantic import ValidationError

from rpa.clients.identifiers import PAN_TYPES_FOR_CONCERN, NatureOfConcern, parse_date
from rpa.clients.records import (
    ClientRecord,
    SignWith,
    check_record,
    parse_record,
)
from rpa.clients.secrets import SecretRef
from rpa.errors import RecordError, SecretError
from rpa.masking import mask

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def good(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "iec": "AABCB4821K",
        "pan": "AABCB4821K",
        "firm_name": "Bharat Spices Exports Pvt Ltd",
        "name_as_per_pan": "BHARAT SPICES EXPORTS PRIVATE LIMITED",
        "dob": "12/08/2009",
        "email": "exports@bharatspices.example",
        "mobile": "9000010001",
        "portal_password": "env:DEMO_PORTAL_PASSWORD",
        "sign_with": "dsc",
        "dsc_token": "ePass2003",
        "dsc_pin": "env:DEMO_DSC_PIN",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def problems(data: dict[str, Any], **kw: Any) -> list[str]:
    record, errors = check_record(data, **kw)
    assert record is None, "expected the record to be refused"
    return [str(e) for e in errors]


def only_problem(data: dict[str, Any], **kw: Any) -> str:
    found = problems(data, **kw)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    handler = logger.add(lambda m: messages.append(str(m)), level="WARNING", format="{message}")
    yield messages
    with contextlib.suppress(ValueError):  # a test may have reset loguru's sinks
        logger.remove(handler)


# --- the whole record --------------------------------------------------------------------------


def test_a_complete_record_is_normalised() -> None:
    record = parse_record(
        good(
            iec=" aabcb4821k ",
            pan="aabcb 4821k",
            firm_name="  Bharat   Spices  Exports ",
            email="Exports@BharatSpices.EXAMPLE",
            mobile="+91 90000-10001",
            sign_with="DSC",
        )
    )
    assert record.iec == "AABCB4821K"
    assert record.pan == "AABCB4821K"
    assert record.firm_name == "Bharat Spices Exports"
    assert record.email == "Exports@bharatspices.example"
    assert record.mobile == "9000010001"
    assert record.sign_with is SignWith.DSC
    assert record.dob == date(2009, 8, 12)


def test_the_portal_user_defaults_to_the_email() -> None:
    assert parse_record(good()).portal_user == "exports@bharatspices.example"
    assert parse_record(good(portal_user="someone@else.example")).portal_user == (
        "someone@else.example"
    )


def test_a_missing_required_field_is_named() -> None:
    data = good()
    del data["firm_name"]
    assert only_problem(data) == "firm_name is required"
    assert only_problem(good(firm_name="   ")) == "firm_name is required"


def test_every_problem_of_a_record_is_reported_with_its_field_and_row() -> None:
    record, errors = check_record(good(iec="ABC12", mobile="123", email="nope"), row=7)
    assert record is None
    assert {e.field for e in errors} == {"iec", "mobile", "email"}
    assert all(e.row == 7 for e in errors)


def test_the_rules_between_fields_are_reported_with_the_fields_own_problems() -> None:
    record, errors = check_record(
        good(iec="AAJFG2290M", dob="31/02/2009", dsc_token=None, mobile="123"), row=5
    )
    assert record is None
    assert [(e.field, str(e)) for e in errors] == [
        ("dob", "dob '31/02/2009' is not a real date (day 31, month 2, year 2009)"),
        ("mobile", "mobile must be 10 digits (an Indian mobile number), got '123'"),
        ("iec", "IEC 'AAJFG2290M' has the form of a PAN but PAN is 'AABCB4821K'; "
                "since 2020 a new IEC is the firm's PAN"),
        ("dsc_token", "sign_with is dsc, so dsc_token (the token's name) is required"),
    ]  # fmt: skip
    assert all(e.row == 5 for e in errors)


def test_a_rule_between_fields_is_not_reported_on_a_field_refused_already() -> None:
    found = problems(good(pan="AABCP4821", nature_of_concern="Pvt Ltd", sign_with="fax"))
    assert len(found) == 2
    assert found[0].startswith("PAN 'AABCP4821' does not match")
    assert found[1] == "sign_with must be dsc or aadhaar, got 'fax'"
    found = problems(good(pan="AABPB4821K", iec="0395012847", nature_of_concern="Pvt Ltd",
                          dob="tomorrow"))  # fmt: skip
    assert found[1] == (
        "PAN's 4th letter 'P' means an individual, but nature of concern is "
        "'Private Limited Company'"
    )


def test_problems_name_fields_by_the_files_own_headers() -> None:
    labels = {
        "iec": "IEC No",
        "pan": "PAN No",
        "dob": "Date of Incorporation",
        "sign_with": "Signing",
        "dsc_pin": "DSC PIN",
        "firm_name": "Name of Firm",
        "changes.address.pin": "New Pincode",
        "nature_of_concern": "Constitution",
    }
    data = good(
        iec="ABC12",
        firm_name=" ",
        dob="2009/08/12",
        dsc_pin=None,
        nature_of_concern="Proprietorship",
        changes={"address": {**ADDRESS, "pin": "0123"}},
    )
    _, errors = check_record(data, labels=labels)
    assert [str(e) for e in errors] == [
        "IEC No must be 10 characters (letters and digits), got 'ABC12'",
        "Name of Firm is required",
        "Date of Incorporation must be a date as YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY, "
        "got '2009/08/12'",
        "New Pincode must be 6 digits not starting with 0, got '0123'",
        "PAN No's 4th letter 'C' means a company, but Constitution is 'Proprietorship'",
        "Signing is dsc, so DSC PIN (a reference like env:PIN) is required",
    ]
    assert [e.field for e in errors] == [
        "iec", "firm_name", "dob", "changes.address.pin", "nature_of_concern", "dsc_pin",
    ]  # fmt: skip


def test_a_header_that_is_the_fields_own_name_keeps_the_usual_wording() -> None:
    labels = {"iec": "iec", "mobile": "mobile"}
    assert problems(good(iec="ABC12", mobile="12"), labels=labels) == [
        "IEC must be 10 characters (letters and digits), got 'ABC12'",
        "mobile must be 10 digits (an Indian mobile number), got '12'",
    ]


def test_parse_record_raises_one_record_error_naming_every_problem() -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(good(iec="ABC12", mobile="123"), row=4)
    assert caught.value.row == 4
    assert caught.value.field == "iec"
    assert "IEC must be" in str(caught.value) and "mobile must be" in str(caught.value)


def test_an_unknown_field_is_refused() -> None:
    assert only_problem(good(colour="blue")) == (
        "colour is not a known field (expected one of: iec, pan, firm_name, name_as_per_pan, "
        "dob, email, mobile, portal_user, portal_password, sign_with, dsc_token, dsc_cert, "
        "dsc_pin, aadhaar, nature_of_concern, place, bank_accounts, changes, documents, "
        "otp_relay)"
    )


def test_a_spreadsheet_yes_no_cell_is_not_text() -> None:
    assert only_problem(good(firm_name=True)) == "firm_name must be text, got a yes/no value"


# --- IEC and PAN -------------------------------------------------------------------------------


def test_an_iec_of_the_wrong_length_is_refused() -> None:
    assert only_problem(good(iec="ABC12")) == (
        "IEC must be 10 characters (letters and digits), got 'ABC12'"
    )


def test_an_old_ten_digit_iec_is_accepted() -> None:
    assert parse_record(good(iec="0395012847")).iec == "0395012847"


def test_an_iec_that_is_neither_digits_nor_a_pan_is_refused() -> None:
    assert only_problem(good(iec="12345ABCDE")) == (
        "IEC '12345ABCDE' is neither 10 digits (an IEC issued before 2020) nor a PAN "
        "(5 letters, 4 digits, 1 letter, e.g. AAACB1234F)"
    )


def test_an_iec_that_lost_its_leading_zero_in_excel_says_so() -> None:
    message = only_problem(good(iec=395012847))
    assert message.startswith("IEC must be 10 characters (letters and digits), got '395012847'")
    assert "leading zeros" in message


def test_a_pan_shaped_iec_must_be_the_firms_pan() -> None:
    assert only_problem(good(iec="AABCB4821K", pan="AABCC4821K")) == (
        "IEC 'AABCB4821K' has the form of a PAN but PAN is 'AABCC4821K'; "
        "since 2020 a new IEC is the firm's PAN"
    )


def test_a_pan_of_the_wrong_shape_is_refused() -> None:
    assert only_problem(good(iec="0395012847", pan="ABCDE1234")) == (
        "PAN 'ABCDE1234' does not match the pattern 5 letters, 4 digits, 1 letter (e.g. AAACB1234F)"
    )


def test_a_pan_whose_fourth_letter_is_no_holder_type_is_refused() -> None:
    assert only_problem(good(iec="0395012847", pan="ABCDE1234F")) == (
        "PAN 'ABCDE1234F' has 'D' as its 4th letter, which is not a PAN holder type "
        "(P, C, H, F, A, T, B, L, J, G)"
    )


# --- nature of concern -------------------------------------------------------------------------


def test_an_individuals_pan_cannot_belong_to_a_company() -> None:
    data = good(iec="0395012847", pan="ACFPN7314Q", nature_of_concern="Private Limited Company")
    assert only_problem(data) == (
        "PAN's 4th letter 'P' means an individual, but nature of concern is "
        "'Private Limited Company'"
    )


@pytest.mark.parametrize(("concern", "letters"), list(PAN_TYPES_FOR_CONCERN.items()))
def test_each_nature_of_concern_accepts_its_own_pan_holder_types(
    concern: NatureOfConcern, letters: str
) -> None:
    for letter in letters:
        pan = f"AAB{letter}X1234K"
        record = parse_record(good(iec=pan, pan=pan, nature_of_concern=concern.value))
        assert record.nature_of_concern is concern


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("pvt ltd", NatureOfConcern.PRIVATE_LIMITED),
        ("Pvt. Ltd.", NatureOfConcern.PRIVATE_LIMITED),
        ("PRIVATE LIMITED", NatureOfConcern.PRIVATE_LIMITED),
        ("Sole Proprietorship", NatureOfConcern.PROPRIETORSHIP),
        ("llp", NatureOfConcern.LLP),
        ("HUF", NatureOfConcern.HUF),
        ("Hindu Undivided Family (HUF)", NatureOfConcern.HUF),
        ("Partnership Firm", NatureOfConcern.PARTNERSHIP),
    ],
)
def test_common_spellings_of_a_nature_of_concern_are_understood(
    written: str, expected: NatureOfConcern
) -> None:
    letter = PAN_TYPES_FOR_CONCERN[expected][0]
    pan = f"AAB{letter}X1234K"
    record = parse_record(good(iec=pan, pan=pan, nature_of_concern=written))
    assert record.nature_of_concern is expected


def test_an_unknown_nature_of_concern_lists_the_known_ones() -> None:
    message = only_problem(good(nature_of_concern="Cooperative"))
    assert message.startswith("nature of concern 'Cooperative' is not known; use one of: ")
    assert "Private Limited Company" in message


def test_a_pan_and_nature_of_concern_problem_is_attributed_to_the_field() -> None:
    _, errors = check_record(good(nature_of_concern="Trust"))
    assert [e.field for e in errors] == ["nature_of_concern"]


# --- contact details ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "9000010001",
        "+91 90000 10001",
        "+919000010001",
        "919000010001",
        "09000010001",
        "0091 9000010001",
        "90000-10001",
        "(900) 001-0001",
        9000010001,
        9000010001.0,
    ],
)
def test_a_mobile_is_kept_as_ten_digits(written: Any) -> None:
    assert parse_record(good(mobile=written)).mobile == "9000010001"


def test_a_short_mobile_is_refused() -> None:
    assert only_problem(good(mobile="98765")) == (
        "mobile must be 10 digits (an Indian mobile number), got '98765'"
    )


def test_a_mobile_must_start_like_an_indian_mobile() -> None:
    assert only_problem(good(mobile="1234567890")) == (
        "mobile '1234567890' must start with 6, 7, 8 or 9 (an Indian mobile number)"
    )


@pytest.mark.parametrize(
    "written", ["nope", "a@b", "a@@b.example", "a b@c.example", "a@b..example"]
)
def test_an_email_must_look_like_one(written: str) -> None:
    assert only_problem(good(email=written)) == (
        f"email '{written}' is not an email address (expected name@example.com)"
    )


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "2009-08-12",
        "12/08/2009",
        "12-08-2009",
        "12.08.2009",
        "12/8/2009",
        "2009-08-12 00:00:00",
        date(2009, 8, 12),
        datetime(2009, 8, 12, 0, 0),
        40037,  # an Excel serial day number
    ],
)
def test_a_date_is_read_in_each_accepted_form(written: Any) -> None:
    assert parse_record(good(dob=written)).dob == date(2009, 8, 12)


def test_a_slashed_date_is_day_first_as_in_india() -> None:
    assert parse_date("03/04/1990") == date(1990, 4, 3)


def test_a_date_that_does_not_exist_is_refused() -> None:
    assert only_problem(good(dob="31/02/1990")) == (
        "dob '31/02/1990' is not a real date (day 31, month 2, year 1990)"
    )


def test_a_date_in_an_unknown_form_lists_the_accepted_forms() -> None:
    assert only_problem(good(dob="1990/31/02")) == (
        "dob must be a date as YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY, got '1990/31/02'"
    )


def test_a_date_in_the_future_is_refused() -> None:
    with pytest.raises(ValueError, match="is in the future"):
        parse_date("02/01/2030", name="dob", today=date(2030, 1, 1))


def test_a_date_long_ago_is_refused_as_a_likely_typo() -> None:
    assert only_problem(good(dob="12/08/1009")) == "dob 12/08/1009 is before 1850; check the year"


# --- signing -----------------------------------------------------------------------------------


def test_signing_with_a_dsc_needs_the_token_and_its_pin() -> None:
    found = problems(good(dsc_token=None, dsc_pin=None))
    assert found == [
        "sign_with is dsc, so dsc_token (the token's name) is required",
        "sign_with is dsc, so dsc_pin (a reference like env:PIN) is required",
    ]


def test_signing_with_aadhaar_needs_the_aadhaar_reference() -> None:
    data = good(sign_with="aadhaar", dsc_token=None, dsc_pin=None)
    assert only_problem(data).startswith("sign_with is aadhaar, so aadhaar")
    assert parse_record({**data, "aadhaar": "env:DEMO_AADHAAR"}).sign_with is SignWith.AADHAAR


@pytest.mark.parametrize("written", ["Aadhaar", "aadhar", "Aadhaar eSign", "AADHAR"])
def test_aadhaar_is_understood_however_it_is_spelt(written: str) -> None:
    record = parse_record(good(sign_with=written, aadhaar="env:A"))
    assert record.sign_with is SignWith.AADHAAR


def test_an_unknown_signing_method_is_refused() -> None:
    assert only_problem(good(sign_with="thumbprint")) == (
        "sign_with must be dsc or aadhaar, got 'thumbprint'"
    )


def test_a_literal_aadhaar_of_the_wrong_length_is_refused_without_repeating_it() -> None:
    message = only_problem(good(sign_with="aadhaar", aadhaar="1234 5678 901"))
    assert message == "aadhaar must be 12 digits (Aadhaar number) or 16 digits (VID)"
    assert "5678" not in message


def test_a_vid_resolves_to_sixteen_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_VID", "9123 4567 8901 2345")
    record = parse_record(good(sign_with="aadhaar", aadhaar="env:TEST_VID"))
    assert record.resolve_secret("aadhaar") == "9123456789012345"
    assert mask("VID 9123456789012345") == "VID ********"


def test_an_aadhaar_reference_to_a_bad_number_fails_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_AADHAAR", "12345")
    record = parse_record(good(sign_with="aadhaar", aadhaar="env:TEST_AADHAAR"))
    with pytest.raises(SecretError) as caught:
        record.resolve_secret("aadhaar")
    assert "12345" not in str(caught.value)
    assert "env:TEST_AADHAAR" in str(caught.value)


# --- changes -----------------------------------------------------------------------------------


ADDRESS = {"line1": "Plot 14 MIDC", "city": "Pune", "state": "Maharashtra", "pin": "411026"}


def test_an_address_change_is_a_typed_address() -> None:
    record = parse_record(good(changes={"address": {**ADDRESS, "pin": 411026}}))
    assert record.changes is not None and record.changes.address is not None
    assert record.changes.address.city == "Pune"
    assert record.changes.address.pin == "411026"
    assert record.changes.address.line2 is None


def test_an_address_change_needs_its_parts() -> None:
    assert problems(good(changes={"address": {"line1": "x"}})) == [
        "changes.address.city is required",
        "changes.address.state is required",
        "changes.address.pin is required",
    ]


def test_a_pin_code_must_be_six_digits() -> None:
    assert only_problem(good(changes={"address": {**ADDRESS, "pin": "4110"}})) == (
        "PIN code must be 6 digits not starting with 0, got '4110'"
    )


def test_an_unknown_change_is_refused_with_the_known_ones() -> None:
    assert only_problem(good(changes={"gstin": "27AABCB4821K1Z5"})) == (
        "changes.gstin is not a known field (expected one of: address, email, mobile, bank, "
        "branches)"
    )


def test_an_unknown_part_of_an_address_is_refused() -> None:
    assert only_problem(good(changes={"address": {**ADDRESS, "district": "Pune"}})) == (
        "changes.address.district is not a known field "
        "(expected one of: line1, line2, city, state, pin)"
    )


def test_email_and_mobile_cannot_change_together() -> None:
    message = only_problem(good(changes={"email": "a@b.example", "mobile": "9876543210"}))
    assert message.startswith("changes cannot modify both email and mobile at once")


def test_email_and_mobile_changing_together_is_reported_beside_an_address_problem() -> None:
    changes = {"email": "a@b.example", "mobile": "9876543210", "address": {"line1": "x"}}
    found = problems(good(changes=changes))
    assert found[-1].startswith("changes cannot modify both email and mobile at once")
    assert "changes.address.city is required" in found


def test_changed_contact_details_are_validated_too() -> None:
    assert only_problem(good(changes={"mobile": "12"})) == (
        "changes.mobile must be 10 digits (an Indian mobile number), got '12'"
    )


def test_a_bank_change_checks_the_ifsc_and_account_number() -> None:
    found = problems(good(changes={"bank": {"account_number": "12ab", "ifsc": "HDFC123"}}))
    assert found == [
        "bank account number must be 9 to 18 digits, got '12ab'",
        "IFSC 'HDFC123' must be 4 letters, a zero, then 6 letters or digits (e.g. SBIN0001234)",
    ]


def test_branches_are_a_list_of_addresses() -> None:
    record = parse_record(good(changes={"branches": [ADDRESS, {**ADDRESS, "city": "Vapi"}]}))
    assert record.changes is not None and record.changes.branches is not None
    assert [b.city for b in record.changes.branches] == ["Pune", "Vapi"]


def test_a_problem_in_a_list_is_numbered_from_one() -> None:
    _, errors = check_record(good(changes={"branches": [ADDRESS, {**ADDRESS, "pin": "1"}]}))
    assert [e.field for e in errors] == ["changes.branches.2.pin"]


def test_a_malformed_secret_reference_names_its_field() -> None:
    assert only_problem(good(dsc_pin="keyring:nothing")) == (
        "dsc_pin: keyring: reference must be keyring:SERVICE/NAME, e.g. keyring:dgft/acme"
    )
    assert only_problem(good(portal_password=["x"])) == (
        "portal_password must be a secret reference such as env:NAME"
    )


def test_empty_changes_are_no_changes() -> None:
    assert parse_record(good(changes={})).changes is None


# --- documents ---------------------------------------------------------------------------------


def test_documents_are_found_next_to_the_client_file(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "proof.pdf").write_bytes(PDF)
    record = parse_record(good(documents={"address_proof": "docs/proof.pdf"}), base_dir=tmp_path)
    assert record.documents is not None
    assert record.documents.address_proof == (tmp_path / "docs" / "proof.pdf").resolve()


def test_a_document_must_be_a_pdf(tmp_path: Path) -> None:
    (tmp_path / "proof.jpg").write_bytes(b"\xff\xd8")
    assert only_problem(good(documents={"address_proof": "proof.jpg"}), base_dir=tmp_path) == (
        "documents.address_proof 'proof.jpg' must be a PDF file (.pdf); the portal accepts PDF only"
    )


def test_a_missing_document_is_named_with_where_it_was_looked_for(tmp_path: Path) -> None:
    message = only_problem(good(documents={"bank_certificate": "gone.pdf"}), base_dir=tmp_path)
    assert message == (
        f"documents.bank_certificate 'gone.pdf' does not exist (looked for {tmp_path / 'gone.pdf'})"
    )


def test_a_document_that_is_not_really_a_pdf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fake.pdf").write_text("hello")
    assert only_problem(good(documents={"address_proof": "fake.pdf"}), base_dir=tmp_path) == (
        "documents.address_proof 'fake.pdf' does not look like a PDF (no %PDF- header)"
    )


def test_a_document_over_the_portals_limit_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.pdf").write_bytes(PDF + b"0" * (5 * 1024 * 1024))
    message = only_problem(good(documents={"address_proof": "big.pdf"}), base_dir=tmp_path)
    assert message.endswith("MB; the portal accepts at most 5 MB")


def test_an_unknown_kind_of_document_is_refused() -> None:
    assert only_problem(good(documents={"passport": "p.pdf"})) == (
        "documents.passport is not a known field (expected one of: address_proof, bank_certificate)"
    )


# --- what the rest of the agent sees -----------------------------------------------------------


def test_templates_see_plain_data_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PORTAL_PASSWORD", "s3cret-Pass!")
    record = parse_record(good(changes={"address": ADDRESS}))
    record.resolve_secret("portal_password")
    data = record.template_vars()
    assert data["iec"] == "AABCB4821K"
    assert data["dob"] == "2009-08-12"
    assert data["dob_dmy"] == "12/08/2009"
    assert data["changes"]["address"]["city"] == "Pune"
    assert data["holder_type"] == "a company"
    for name in ("portal_password", "dsc_pin", "aadhaar"):
        assert name not in data
    assert "s3cret-Pass!" not in repr(data)
    assert "env:" not in repr(data)


def test_the_record_lists_its_secret_references() -> None:
    record = parse_record(good())
    assert {k: str(v) for k, v in record.secret_refs().items()} == {
        "portal_password": "env:DEMO_PORTAL_PASSWORD",
        "dsc_pin": "env:DEMO_DSC_PIN",
    }
    assert isinstance(record.portal_password, SecretRef)


def test_a_record_is_labelled_by_iec_and_firm() -> None:
    assert parse_record(good()).label == "AABCB4821K (Bharat Spices Exports Pvt Ltd)"


def test_validation_errors_never_show_a_literal_secret(warnings: list[str]) -> None:
    data = good(portal_password="Hunter2-Literal", mobile="12")
    with pytest.raises(ValidationError) as caught:
        ClientRecord.model_validate(data)
    assert "Hunter2-Literal" not in str(caught.value)
    assert all("Hunter2-Literal" not in p for p in problems(data))


# --- robustness --------------------------------------------------------------------------------

FIELDS = [*good(), "aadhaar", "nature_of_concern", "portal_user", "dsc_cert", "changes"]
cell = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), cell))
def test_any_cells_give_a_record_or_record_errors_never_a_crash(data: dict[str, Any]) -> None:
    # random literals must not mask other tests' text
    with patch("rpa.clients.secrets.register_secret"):
        record, errors = check_record(data, row=2)
    assert (record is None) != (not errors)
    assert all(isinstance(e, RecordError) and e.row == 2 for e in errors)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(good())), st.text(max_size=40))
def test_one_random_field_in_a_good_record_never_crashes(field: str, value: str) -> None:
    with patch("rpa.clients.secrets.register_secret"):
        record, errors = check_record(good(**{field: value}))
    assert record is not None or errors
