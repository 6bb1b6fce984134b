"""The nested parts of a client record, and the text coercion every field shares.

``Changes`` says what an IEC update should modify (address, email or mobile, bank, branches);
anything else is refused. ``Documents`` names the PDFs to upload, checked at load time: they
exist, are PDFs, and fit the portal's 5 MB limit. Paths are relative to the validation
context's ``base_dir`` (the client file's folder) and must stay inside it, or inside the
documents folder (the context's ``documents_root``, else ``DOCUMENTS_ROOT``, which the CLI
sets from ``RPA_DOCUMENTS_DIR``): ``../``, absolute paths elsewhere and links leading out
are refused (``rpa.documents`` checks them again when they are uploaded).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rpa.clients.identifiers import parse_email, parse_ifsc, parse_mobile, parse_pin

MAX_PDF_BYTES = 5 * 1024 * 1024  # the portal's upload limit [G]
#: Where documents may be besides the client file's folder (``RPA_DOCUMENTS_DIR``).
DOCUMENTS_ROOT: ContextVar[Path | None] = ContextVar("rpa_documents_root", default=None)
CHANGES_EMAIL_AND_MOBILE = (
    "changes cannot modify both email and mobile at once (the portal refuses it); "
    "change one, then the other in a later run"
)


# --- field coercion shared by every model ----------------------------------------------------


def as_text(value: Any, name: str) -> str | None:
    """Cells arrive as str, int, float (Excel) or None; text comes out, blank as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be text, got a yes/no value")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got a {type(value).__name__}")
    text = " ".join(value.split())
    return text or None


def required_text(value: Any, info: ValidationInfo) -> str:
    name = info.field_name or "value"
    text = as_text(value, name)
    if text is None:
        raise ValueError(f"{name} is required")
    return text


def _optional_text(value: Any, info: ValidationInfo) -> str | None:
    return as_text(value, info.field_name or "value")


Text = Annotated[str, BeforeValidator(required_text)]
OptText = Annotated[str | None, BeforeValidator(_optional_text)]


class RecordModel(BaseModel):
    """Base of the record models: unknown fields refused, immutable, inputs kept out of errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


# --- changes and documents -------------------------------------------------------------------


class Address(RecordModel):
    """A postal address as the portal's forms take it."""

    line1: Text
    line2: OptText = None
    city: Text
    state: Text
    pin: Text

    @field_validator("pin", mode="after")
    @classmethod
    def _pin(cls, value: str) -> str:
        return parse_pin(value)


class Branch(Address):
    """A branch, division or factory address."""


class Bank(RecordModel):
    """A bank account to put on the IEC (verified by the portal through NPCI)."""

    account_number: Text
    ifsc: Text
    bank_name: OptText = None
    branch: OptText = None
    account_holder: OptText = None

    @field_validator("account_number", mode="after")
    @classmethod
    def _account(cls, value: str) -> str:
        digits = re.sub(r"[\s-]", "", value)
        if not re.fullmatch(r"[0-9]{9,18}", digits):
            raise ValueError(f"bank account number must be 9 to 18 digits, got '{value}'")
        return digits

    @field_validator("ifsc", mode="after")
    @classmethod
    def _ifsc(cls, value: str) -> str:
        return parse_ifsc(value)


class Changes(RecordModel):
    """What to modify on the IEC in an update. Anything not listed here is refused."""

    address: Address | None = None
    email: OptText = None
    mobile: OptText = None
    bank: Bank | None = None
    branches: list[Branch] | None = None

    @field_validator("email", mode="after")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else parse_email(value, name="changes.email")

    @field_validator("mobile", mode="after")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return None if value is None else parse_mobile(value, name="changes.mobile")

    @model_validator(mode="after")
    def _not_email_and_mobile(self) -> Changes:
        if self.email is not None and self.mobile is not None:
            raise ValueError(CHANGES_EMAIL_AND_MOBILE)
        return self

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


def _pdf_path(value: Any, info: ValidationInfo) -> Path | None:
    name = f"documents.{info.field_name}"
    if value is None:
        return None
    if isinstance(value, Path):
        raw = str(value)
    else:
        text = as_text(value, name)
        if text is None:
            return None
        raw = text
    if not raw.lower().endswith(".pdf"):
        raise ValueError(f"{name} '{raw}' must be a PDF file (.pdf); the portal accepts PDF only")
    context = info.context if isinstance(info.context, dict) else {}
    root = context.get("documents_root", DOCUMENTS_ROOT.get())
    try:
        return _check_pdf(name, raw, context.get("base_dir"), root)
    except (OSError, RuntimeError) as exc:  # unreadable, a bad ~user, a name too long
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValueError(f"{name} '{raw}' cannot be read: {reason}") from None


def _check_pdf(name: str, raw: str, base_dir: Any, root: Any) -> Path:
    if "\x00" in raw:
        raise ValueError(f"{name} is not a valid file name")
    path = Path(raw).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    _check_inside(name, raw, path, base_dir, root)
    if not path.exists():
        raise ValueError(f"{name} '{raw}' does not exist (looked for {path})")
    if not path.is_file():
        raise ValueError(f"{name} '{raw}' is a folder, not a PDF file")
    size = path.stat().st_size
    if size > MAX_PDF_BYTES:
        raise ValueError(
            f"{name} '{raw}' is {size / 1024 / 1024:.1f} MB; the portal accepts at most 5 MB"
        )
    with path.open("rb") as handle:
        if not handle.read(5).startswith(b"%PDF-"):
            raise ValueError(f"{name} '{raw}' does not look like a PDF (no %PDF- header)")
    return path.resolve()


def _check_inside(name: str, raw: str, path: Path, base_dir: Any, root: Any) -> None:
    """Refuse a document outside the client file's folder and the documents folder."""
    folders = [Path(f) for f in (base_dir, root) if f is not None]
    if not folders:  # a record built in code, from no file: nothing to stay inside
        return
    real = path.resolve()
    if any(real.is_relative_to(folder.expanduser().resolve()) for folder in folders):
        return
    where = " or ".join(str(f) for f in folders)
    hint = "" if root is not None else " (or set RPA_DOCUMENTS_DIR to the folder holding it)"
    raise ValueError(f"{name} '{raw}' is outside {where}: keep documents there{hint}")


PdfPath = Annotated[Path | None, BeforeValidator(_pdf_path)]


class Documents(RecordModel):
    """PDFs to upload, by kind; paths relative to the client file's folder."""

    address_proof: PdfPath = None
    bank_certificate: PdfPath = None
