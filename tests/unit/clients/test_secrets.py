"""Secret references: env:/file:/keyring:, literals, masking, and never showing a value."""

from __future__ import annotations

import contextlib
import copy
import pickle
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from rpa.clients.records import parse_record
from rpa.clients.secrets import SecretKind, SecretRef
from rpa.errors import SecretError
from rpa.masking import mask, registry


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    handler = logger.add(lambda m: messages.append(str(m)), level="WARNING", format="{message}")
    yield messages
    with contextlib.suppress(ValueError):  # a test may have reset loguru's sinks
        logger.remove(handler)


def record_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "iec": "0395012847",
        "pan": "ACFPN7314Q",
        "firm_name": "Kaveri Handlooms",
        "name_as_per_pan": "LAKSHMI NARAYANAN",
        "dob": "1978-06-21",
        "email": "kaveri@mail.example",
        "mobile": "9000010002",
        "portal_password": "env:TEST_PORTAL_PASSWORD",
        "sign_with": "aadhaar",
        "aadhaar": "env:TEST_AADHAAR",
    }
    data.update(changes)
    return data


# --- env: --------------------------------------------------------------------------------------


def test_an_env_reference_resolves_and_is_registered_for_masking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_SECRET_ENV", "  Env-Value-123 \n")
    value = SecretRef.parse("env:TEST_SECRET_ENV").resolve()
    assert value == "Env-Value-123"
    assert value in registry
    assert mask("the password is Env-Value-123") == "the password is ********"


def test_a_missing_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_NOT_SET", raising=False)
    with pytest.raises(SecretError, match="environment variable TEST_NOT_SET is not set"):
        SecretRef.parse("env:TEST_NOT_SET").resolve()


def test_an_empty_environment_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_EMPTY", "  ")
    with pytest.raises(SecretError, match="TEST_EMPTY is empty"):
        SecretRef.parse("env:TEST_EMPTY").resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("env:", "env: reference needs an environment variable name"),
        ("env:1ABC", "env: reference needs an environment variable name"),
        ("file:", "file: reference needs a path"),
        ("keyring:nothing", "keyring: reference must be keyring:SERVICE/NAME"),
        ("keyring:/name", "keyring: reference must be keyring:SERVICE/NAME"),
        ("   ", "a secret reference cannot be empty"),
    ],
)
def test_a_malformed_reference_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SecretRef.parse(text)


def test_reference_prefixes_ignore_case_and_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_CASE", "xyz-123")
    ref = SecretRef.parse(" ENV: TEST_CASE ")
    assert ref.kind is SecretKind.ENV
    assert ref.resolve() == "xyz-123"


# --- file: -------------------------------------------------------------------------------------


def test_a_file_reference_reads_the_first_line_relative_to_the_client_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pw.txt").write_text("\ufeff  File-Pass-9  \nsecond line\n")
    ref = SecretRef.parse("file:secrets/pw.txt", base_dir=tmp_path)
    assert ref.resolve() == "File-Pass-9"
    assert "File-Pass-9" in registry
    assert str(ref) == "file:secrets/pw.txt"


def test_a_file_reference_in_a_record_uses_the_validation_base_dir(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_text("Record-File-Pass\n")
    record = parse_record(record_data(portal_password="file:pw.txt"), base_dir=tmp_path)
    assert record.resolve_secret("portal_password") == "Record-File-Pass"


def test_a_missing_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="does not exist") as caught:
        SecretRef.parse("file:nope.txt", base_dir=tmp_path).resolve()
    assert str(tmp_path / "nope.txt") in str(caught.value)


def test_a_secret_file_with_an_empty_first_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_text("\nlater\n")
    with pytest.raises(SecretError, match="empty first line"):
        SecretRef.parse("file:pw.txt", base_dir=tmp_path).resolve()


def test_a_secret_file_that_is_not_text_fails_without_showing_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "pw.bin").write_bytes(b"Bin\xffary-Secret\n")
    with pytest.raises(SecretError) as caught:
        SecretRef.parse("file:pw.bin", base_dir=tmp_path).resolve()
    assert "ary-Secret" not in str(caught.value)
    assert "not UTF-8" in str(caught.value)


def test_a_folder_is_not_a_secret_file(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="is a folder"):
        SecretRef.parse(f"file:{tmp_path}").resolve()


# --- keyring: ----------------------------------------------------------------------------------


def test_a_keyring_reference_without_the_keyring_package_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # import keyring → ImportError
    with pytest.raises(SecretError, match="pip install keyring") as caught:
        SecretRef.parse("keyring:dgft/kaveri").resolve()
    assert "keyring:dgft/kaveri" in str(caught.value)


def fake_keyring(store: dict[tuple[str, str], str], fail: bool = False) -> types.ModuleType:
    module = types.ModuleType("keyring")

    def get_password(service: str, name: str) -> str | None:
        if fail:
            raise RuntimeError("backend exploded near Keyring-Secret")
        return store.get((service, name))

    module.get_password = get_password  # type: ignore[attr-defined]
    return module


def test_a_keyring_reference_reads_the_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    store = {("dgft/portal", "kaveri@mail.example"): "Keyring-Pass-1"}
    monkeypatch.setitem(sys.modules, "keyring", fake_keyring(store))
    ref = SecretRef.parse("keyring:dgft/portal/kaveri@mail.example")
    assert ref.resolve() == "Keyring-Pass-1"
    assert "Keyring-Pass-1" in registry


def test_a_keyring_entry_that_is_missing_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", fake_keyring({}))
    with pytest.raises(SecretError, match="the keyring has no secret for service 'dgft'"):
        SecretRef.parse("keyring:dgft/kaveri").resolve()


def test_a_keyring_backend_failure_is_reported_without_its_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", fake_keyring({}, fail=True))
    with pytest.raises(SecretError) as caught:
        SecretRef.parse("keyring:dgft/kaveri").resolve()
    assert "Keyring-Secret" not in str(caught.value)
    assert "RuntimeError" in str(caught.value)


# --- literals ----------------------------------------------------------------------------------


def test_a_literal_is_accepted_with_a_warning_naming_client_and_field(
    warnings: list[str],
) -> None:
    record = parse_record(record_data(portal_password="Literal-Pass-77"), row=5)
    assert record.portal_password.is_literal
    assert record.resolve_secret("portal_password") == "Literal-Pass-77"
    found = [w for w in warnings if "portal_password" in w]
    assert len(found) == 1
    assert "0395012847" in found[0] and "Kaveri Handlooms" in found[0] and "row 5" in found[0]
    assert all("Literal-Pass-77" not in w for w in warnings)


def test_a_literal_is_masked_once_it_is_resolved_not_when_the_file_is_read() -> None:
    ref = SecretRef.parse("Early-Literal-55")
    assert mask("x Early-Literal-55 y") == "x Early-Literal-55 y"  # loading masks nothing
    ref.resolve()
    assert mask("x Early-Literal-55 y") == "x ******** y"


def test_a_reference_shows_itself_never_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SHOWN", "Shown-Value-1")
    ref = SecretRef.parse("env:TEST_SHOWN")
    ref.resolve()
    literal = SecretRef.parse("Literal-Shown-2")
    assert str(ref) == "env:TEST_SHOWN"
    assert repr(ref) == "SecretRef('env:TEST_SHOWN')"
    assert str(literal) == "<literal>"
    assert "Literal-Shown-2" not in repr(literal)


# --- records never carry values ----------------------------------------------------------------


def test_resolved_values_never_appear_in_a_records_repr_str_or_dump(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_PORTAL_PASSWORD", "Portal-Pass-3")
    monkeypatch.setenv("TEST_AADHAAR", "2345 6789 0123")
    record = parse_record(record_data())
    record.resolve_secret("portal_password")
    record.resolve_secret("aadhaar")
    dumped = record.model_dump()
    assert dumped["portal_password"] == "env:TEST_PORTAL_PASSWORD"
    assert dumped["aadhaar"] == "env:TEST_AADHAAR"
    for text in (repr(record), str(record), repr(dumped), record.model_dump_json()):
        assert "Portal-Pass-3" not in text
        assert "234567890123" not in text and "2345 6789 0123" not in text


def test_a_literal_shows_as_literal_in_a_dump() -> None:
    record = parse_record(record_data(portal_password="Dump-Literal-4"))
    assert record.model_dump()["portal_password"] == "<literal>"
    assert "Dump-Literal-4" not in record.model_dump_json()
    assert "Dump-Literal-4" not in repr(record)


def test_a_record_without_that_secret_says_so() -> None:
    record = parse_record(record_data())
    with pytest.raises(SecretError, match="has no dsc_pin"):
        record.resolve_secret("dsc_pin")


def test_references_survive_copying_and_pickling(tmp_path: Path) -> None:
    ref = SecretRef.parse("file:pw.txt", base_dir=tmp_path)
    assert copy.deepcopy(ref) == ref
    assert pickle.loads(pickle.dumps(ref)) == ref
    record = parse_record(record_data())
    assert pickle.loads(pickle.dumps(record)) == record


def test_the_json_schema_describes_a_reference() -> None:
    from rpa.clients.records import ClientRecord

    schema = ClientRecord.model_json_schema()
    assert schema["properties"]["portal_password"]["type"] == "string"
