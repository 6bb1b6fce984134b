"""The client record: one consultancy client, validated and normalised at load time.

``ClientRecord`` holds what the playbooks need about one IEC holder. Each field is checked
with a message a consultant understands (``IEC must be 10 characters (letters and
digits), got 'ABC12'``) and normalised (PAN/IEC upper-case, mobile without ``+91``).
Secret fields (``portal_password``, ``dsc_pin``, ``aadhaar``) hold ``SecretRef``s, never
values. ``template_vars()`` is the plain dict templates see as ``client``; it has no
secret in it.

Build records with ``parse_record`` (raises one ``RecordError`` naming every problem) or
``check_record`` (returns the record or the list of problems, one ``RecordError`` each).
A validation context ``{"base_dir": folder}`` makes ``file:`` references and document paths
relative to the client file's folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, get_args

from loguru import logger
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rpa.clients.identifiers import (
    HOLDER_TYPES,
    PAN_TYPES_FOR_CONCERN,
    NatureOfConcern,
    normalise_aadhaar,
    parse_date,
    parse_email,
    parse_iec,
    parse_mobile,
    parse_nature_of_concern,
    parse_pan,
)
from rpa.clients.parts import (
    CHANGES_EMAIL_AND_MOBILE,
    Address,
    Bank,
    Branch,
    Changes,
    Documents,
    OptText,
    RecordModel,
    Text,
    as_text,
    required_text,
)
from rpa.clients.secrets import SecretRef
from rpa.errors import RecordError, SecretError
from rpa.masking import register_secret

SecretField = Literal["portal_password", "dsc_pin", "aadhaar"]
SECRET_FIELDS: tuple[SecretField, ...] = ("portal_password", "dsc_pin", "aadhaar")


class SignWith(StrEnum):
    DSC = "dsc"
    AADHAAR = "aadhaar"


_SIGN_ALIASES = {
    "dsc": SignWith.DSC,
    "digitalsignature": SignWith.DSC,
    "token": SignWith.DSC,
    "aadhaar": SignWith.AADHAAR,
    "aadhar": SignWith.AADHAAR,  # the common spelling in spreadsheets
    "aadhaaresign": SignWith.AADHAAR,
    "aadharesign": SignWith.AADHAAR,
    "esign": SignWith.AADHAAR,
}


def parse_sign_with(value: Any) -> SignWith:
    """``DSC``, ``Aadhar``, ``Aadhaar eSign``... as a ``SignWith``; ``ValueError`` otherwise."""
    if isinstance(value, SignWith):
        return value
    text = as_text(value, "sign_with")
    if text is None:
        raise ValueError("sign_with is required (dsc or aadhaar)")
    found = _SIGN_ALIASES.get(re.sub(r"[^a-z]", "", text.lower()))
    if found is None:
        raise ValueError(f"sign_with must be dsc or aadhaar, got '{text}'")
    return found


# --- the record ------------------------------------------------------------------------------


class ClientRecord(RecordModel):
    """One client: the IEC holder, how to log in, how to sign, what to change."""

    iec: Text
    pan: Text
    firm_name: Text
    name_as_per_pan: Text
    dob: date
    email: Text
    mobile: Text
    portal_user: OptText = Field(None, description="Defaults to email (the portal's username)")
    portal_password: SecretRef
    sign_with: SignWith
    dsc_token: OptText = None
    dsc_cert: OptText = None
    dsc_pin: SecretRef | None = None
    aadhaar: SecretRef | None = None
    nature_of_concern: NatureOfConcern | None = None
    place: OptText = Field(
        None,
        description="Where the declaration is made; defaults to the city of the firm's "
        "address (the new one when changes.address gives it)",
    )
    bank_accounts: list[Bank] | None = Field(
        None,
        description="Every bank account linked to the PAN, to declare in an update "
        "(Trade Notice 23/2025-26); each one the portal does not list is added",
    )
    changes: Changes | None = None
    documents: Documents | None = None
    otp_relay: Literal["email", "sms", "none"] | None = Field(
        None,
        description="With RPA_CHALLENGES=console: send the client a one-time link to type "
        "an OTP the portal sent them, by email or sms (the relay webhook) (unset: an "
        "operator answers, or sends the link from the console)",
    )

    @field_validator("otp_relay", mode="before")
    @classmethod
    def _otp_relay(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower() or None
        return value

    @field_validator("iec", mode="before")
    @classmethod
    def _iec(cls, value: Any, info: ValidationInfo) -> str:
        from_number = isinstance(value, int | float) and not isinstance(value, bool)
        return parse_iec(required_text(value, info), from_number=from_number)

    @field_validator("pan", mode="after")
    @classmethod
    def _pan(cls, value: str) -> str:
        return parse_pan(value)

    @field_validator("dob", mode="before")
    @classmethod
    def _dob(cls, value: Any) -> date:
        return parse_date(value, name="dob")

    @field_validator("email", mode="after")
    @classmethod
    def _email(cls, value: str) -> str:
        return parse_email(value, name="email")

    @field_validator("mobile", mode="after")
    @classmethod
    def _mobile(cls, value: str) -> str:
        return parse_mobile(value, name="mobile")

    @field_validator("sign_with", mode="before")
    @classmethod
    def _sign_with(cls, value: Any) -> SignWith:
        return parse_sign_with(value)

    @field_validator("aadhaar", mode="after")
    @classmethod
    def _aadhaar(cls, value: SecretRef | None) -> SecretRef | None:
        if value is not None and value.is_literal:
            normalise_aadhaar(value.resolve())  # raises a message without the number
        return value

    @field_validator("nature_of_concern", mode="before")
    @classmethod
    def _concern(cls, value: Any) -> NatureOfConcern | None:
        if value is None or isinstance(value, NatureOfConcern):
            return value
        text = as_text(value, "nature_of_concern")
        return None if text is None else parse_nature_of_concern(text)

    @field_validator("changes", mode="after")
    @classmethod
    def _no_empty_changes(cls, value: Changes | None) -> Changes | None:
        return None if value is None or value.is_empty() else value

    @field_validator("bank_accounts", mode="after")
    @classmethod
    def _no_empty_accounts(cls, value: list[Bank] | None) -> list[Bank] | None:
        return value or None

    @field_validator("documents", mode="after")
    @classmethod
    def _no_empty_documents(cls, value: Documents | None) -> Documents | None:
        if value is None or all(v is None for v in value.model_dump().values()):
            return None
        return value

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> ClientRecord:
        context = info.context if isinstance(info.context, dict) else {}
        problems = cross_field_problems(
            iec=self.iec,
            pan=self.pan,
            concern=self.nature_of_concern,
            sign_with=self.sign_with,
            has_token=self.dsc_token is not None,
            has_pin=self.dsc_pin is not None,
            has_aadhaar=self.aadhaar is not None,
            labels=context.get("labels") or {},
        )
        if problems:
            raise PydanticCustomError(
                "record_consistency",
                "{message}",
                {"message": "; ".join(m for _, m in problems), "problems": problems},
            )
        if self.portal_user is None:
            object.__setattr__(self, "portal_user", self.email)
        self._warn_literals(info)
        return self

    def _warn_literals(self, info: ValidationInfo) -> None:
        context = info.context if isinstance(info.context, dict) else {}
        where = f", row {context['row']}" if context.get("row") is not None else ""
        labels = context.get("labels") or {}
        for name, ref in self.secret_refs().items():
            if ref.is_literal:
                logger.warning(
                    "client {} ({}){}: {} is written in the client file as a literal; "
                    "use env:NAME, file:PATH or keyring:SERVICE/NAME instead",
                    self.iec,
                    self.firm_name,
                    where,
                    field_name(labels, name, name),
                )

    # --- for the rest of the agent ---------------------------------------------------------

    @property
    def label(self) -> str:
        """``0123456789 (Acme Exports)``: how logs and reports name the client."""
        return f"{self.iec} ({self.firm_name})"

    @property
    def holder_type(self) -> str:
        """What the PAN's 4th letter says the holder is: ``a company``."""
        return HOLDER_TYPES[self.pan[3]]

    def secret_refs(self) -> dict[SecretField, SecretRef]:
        """The secret references this client has, by field name (unresolved)."""
        refs: dict[SecretField, SecretRef] = {}
        for name in SECRET_FIELDS:
            ref = getattr(self, name)
            if ref is not None:
                refs[name] = ref
        return refs

    def resolve_secret(self, name: SecretField) -> str:
        """The value of one secret field, registered for masking. Raises ``SecretError``."""
        ref: SecretRef | None = getattr(self, name)
        if ref is None:
            raise SecretError(f"client {self.label} has no {name}")
        value = ref.resolve()
        if name == "aadhaar":
            try:
                value = normalise_aadhaar(value)
            except ValueError as exc:
                raise SecretError(f"client {self.label}: {ref} gives an invalid {exc}") from None
            register_secret(value)  # the digits alone, as a form will show them
        return value

    def template_vars(self) -> dict[str, Any]:
        """The record as plain data for templates (``client.iec``): no secret, no reference."""
        data = self.model_dump(mode="json", exclude=set[str](SECRET_FIELDS))
        data["dob_dmy"] = self.dob.strftime("%d/%m/%Y")
        data["holder_type"] = self.holder_type
        data["label"] = self.label
        data["has_dsc_pin"] = self.dsc_pin is not None
        data["has_aadhaar"] = self.aadhaar is not None
        return data


# --- problems across fields ------------------------------------------------------------------


def field_name(labels: Mapping[str, str], field: str, default: str) -> str:
    """How a message names ``field``: the file's own header for it, else ``default``.

    A header that is the field's name as documented (``dob``, ``changes.address.pin``)
    keeps the default (``IEC``, not ``iec``).
    """
    label = labels.get(field)
    return default if not label or label.strip() == field else label


def cross_field_problems(
    *,
    iec: str | None,
    pan: str | None,
    concern: NatureOfConcern | None,
    sign_with: SignWith | None,
    has_token: bool,
    has_pin: bool,
    has_aadhaar: bool,
    labels: Mapping[str, str],
) -> list[tuple[str, str]]:
    """(field, message) for each rule between fields that the values break.

    ``None`` is a value not known (absent, or itself refused): rules needing it are skipped.
    """

    def name(field: str, default: str | None = None) -> str:
        return field_name(labels, field, default or field)

    problems: list[tuple[str, str]] = []
    if iec is not None and pan is not None and not iec.isdigit() and iec != pan:
        problems.append(
            (
                "iec",
                f"{name('iec', 'IEC')} '{iec}' has the form of a PAN but {name('pan', 'PAN')} "
                f"is '{pan}'; since 2020 a new IEC is the firm's PAN",
            )
        )
    if pan is not None and concern is not None:
        letter = pan[3]
        if letter not in PAN_TYPES_FOR_CONCERN[concern]:
            problems.append(
                (
                    "nature_of_concern",
                    f"{name('pan', 'PAN')}'s 4th letter '{letter}' means {HOLDER_TYPES[letter]}, "
                    f"but {name('nature_of_concern', 'nature of concern')} is '{concern.value}'",
                )
            )
    if sign_with is SignWith.DSC:
        if not has_token:
            problems.append(
                (
                    "dsc_token",
                    f"{name('sign_with')} is dsc, so {name('dsc_token')} (the token's name) "
                    "is required",
                )
            )
        if not has_pin:
            problems.append(
                (
                    "dsc_pin",
                    f"{name('sign_with')} is dsc, so {name('dsc_pin')} (a reference like "
                    "env:PIN) is required",
                )
            )
    elif sign_with is SignWith.AADHAAR and not has_aadhaar:
        problems.append(
            (
                "aadhaar",
                f"{name('sign_with')} is aadhaar, so {name('aadhaar')} (a reference to the "
                "Aadhaar number or VID, like env:NAME) is required",
            )
        )
    return problems


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _other_problems(
    data: Mapping[str, Any], refused: set[str], labels: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The rules between fields, on a record some of whose fields were refused.

    Pydantic checks them only once every field is valid; a consultant wants every problem
    of a row at once. Fields in ``refused`` count as unknown (their problem is reported).
    """

    def known(field: str, parse: Any) -> Any:
        if field in refused or not _given(data.get(field)):
            return None
        try:
            return parse(data[field])
        except (ValueError, TypeError):
            return None

    def has(field: str) -> bool:
        return field in refused or _given(data.get(field))

    problems = cross_field_problems(
        iec=known("iec", lambda v: parse_iec(as_text(v, "iec") or "")),
        pan=known("pan", lambda v: parse_pan(as_text(v, "pan") or "")),
        concern=known(
            "nature_of_concern", lambda v: parse_nature_of_concern(as_text(v, "nature") or "")
        ),
        sign_with=known("sign_with", parse_sign_with),
        has_token=has("dsc_token"),
        has_pin=has("dsc_pin"),
        has_aadhaar=has("aadhaar"),
        labels=labels,
    )
    changes = data.get("changes")
    if (
        "changes" not in refused
        and isinstance(changes, Mapping)
        and _given(changes.get("email"))
        and _given(changes.get("mobile"))
    ):
        problems.append(("changes", CHANGES_EMAIL_AND_MOBILE))
    return problems


# --- building records, with problems a consultant can read -----------------------------------


def check_record(
    data: Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    row: int | None = None,
    labels: Mapping[str, str] | None = None,
) -> tuple[ClientRecord | None, list[RecordError]]:
    """Validate one record: the record and no problems, or ``None`` and every problem.

    ``labels`` maps field paths (``dob``, ``changes.address.pin``) to the file's own names
    for them (``Date of Incorporation``); messages use those names.
    """
    names = dict(labels or {})
    context = {"base_dir": base_dir, "row": row, "labels": names}
    try:
        return ClientRecord.model_validate(dict(data), context=context), []
    except ValidationError as exc:
        problems = problems_of(exc, row=row, labels=names)
        if not any(e["type"] == "record_consistency" for e in exc.errors()):
            # A field with a problem of its own is not judged again; ``changes`` only when
            # it is refused as a whole (its parts' problems leave email vs mobile to check).
            refused = {
                str(p.field).split(".")[0]
                for p in problems
                if p.field and not p.field.startswith("changes.")
            }
            problems.extend(
                RecordError(m, field=f, row=row) for f, m in _other_problems(data, refused, names)
            )
        return None, problems


def parse_record(
    data: Mapping[str, Any], *, base_dir: Path | None = None, row: int | None = None
) -> ClientRecord:
    """Validate one record or raise a ``RecordError`` naming every problem."""
    record, problems = check_record(data, base_dir=base_dir, row=row)
    if record is None:
        first = problems[0]
        raise RecordError("; ".join(str(p) for p in problems), field=first.field, row=row)
    return record


_BUILTIN_MESSAGES = {
    "missing": "{field} is required",
    "extra_forbidden": "{field} is not a known field{known}",
    "model_type": "{field} must be a set of fields ({known_plain})",
    "model_attributes_type": "{field} must be a set of fields ({known_plain})",
    "list_type": "{field} must be a list",
    "enum": "{field} must be one of the listed values",
    "date_type": "{field} must be a date",
}

# How messages name a field when not by its own name ("IEC must be 10 characters").
_SUBJECTS = {
    "iec": "IEC",
    "pan": "PAN",
    "nature_of_concern": "nature of concern",
    "pin": "PIN code",
    "ifsc": "IFSC",
    "account_number": "bank account number",
}


def _relabel(message: str, field: str | None, labels: Mapping[str, str]) -> str:
    """``dob must be a date`` → ``Date of Incorporation must be a date`` (the file's header)."""
    if field is None:
        return message
    last = field.rsplit(".", 1)[-1]
    label = field_name(labels, field, "")
    if not label:
        return message
    for subject in dict.fromkeys((field, _SUBJECTS.get(last), last)):
        if subject and message.startswith((f"{subject} ", f"{subject}:")):
            return label + message[len(subject) :]
    return message


def problems_of(
    exc: ValidationError, *, row: int | None = None, labels: Mapping[str, str] | None = None
) -> list[RecordError]:
    """Turn pydantic's errors into ``RecordError``s whose messages never echo an input.

    Fields keep their paths (``RecordError.field``); messages name them as ``labels`` does.
    """
    names = labels or {}
    problems: list[RecordError] = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        # List positions are shown from 1, as a person counts (changes.branches.1.city).
        field = ".".join(str(p + 1) if isinstance(p, int) else p for p in loc) or None
        kind = error["type"]
        ctx = error.get("ctx") or {}
        if kind == "record_consistency":  # already worded with the file's names
            problems.extend(RecordError(m, field=f, row=row) for f, m in ctx["problems"])
            continue
        if kind == "value_error":
            message = str(ctx.get("error", error["msg"]))
        elif kind in _BUILTIN_MESSAGES:
            known = _known_fields(loc[:-1]) if kind == "extra_forbidden" else _known_fields(loc)
            message = _BUILTIN_MESSAGES[kind].format(
                field=field or "the record",
                known=f" (expected one of: {', '.join(known)})" if known else "",
                known_plain=", ".join(known),
            )
        else:
            message = f"{field or 'the record'}: {error['msg']}"
        problems.append(RecordError(_relabel(message, field, names), field=field, row=row))
    return problems


def _known_fields(loc: tuple[int | str, ...]) -> list[str]:
    """Field names accepted at ``loc`` (``("changes", "address")`` → line1, line2, ...)."""
    model: type[BaseModel] | None = ClientRecord
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        model = _model_in(info.annotation) if info is not None else None
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


__all__ = [
    "SECRET_FIELDS",
    "Address",
    "Bank",
    "Branch",
    "Changes",
    "ClientRecord",
    "Documents",
    "NatureOfConcern",
    "SecretField",
    "SignWith",
    "check_record",
    "cross_field_problems",
    "field_name",
    "parse_date",
    "parse_record",
    "parse_sign_with",
    "problems_of",
]
