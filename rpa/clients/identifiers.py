"""Indian identifiers and the small parsers behind the client record's fields.

Each ``parse_*`` function takes text (already stripped), returns the normalised value,
or raises ``ValueError`` with a message meant for a consultant. None of them sees a secret
except ``normalise_aadhaar``, whose messages never repeat its input.

- IEC: 10 characters; 10 digits (issued before 2020) or a PAN (since 2020 the IEC is the PAN).
- PAN: 5 letters, 4 digits, 1 letter; the 4th letter is the holder type (``HOLDER_TYPES``).
- Aadhaar: 12 digits; a VID: 16 digits.
- Dates: ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``DD-MM-YYYY``, ``DD.MM.YYYY`` (day first, as in
  India), ``date``/``datetime`` values, and Excel serial day numbers.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

PAN_PATTERN = re.compile(r"[A-Z]{5}[0-9]{4}[A-Z]")
OLD_IEC_PATTERN = re.compile(r"[0-9]{10}")
PAN_EXAMPLE = "AAACB1234F"

HOLDER_TYPES: dict[str, str] = {
    "P": "an individual",
    "C": "a company",
    "H": "a Hindu undivided family (HUF)",
    "F": "a firm or LLP",
    "A": "an association of persons (AOP)",
    "T": "a trust",
    "B": "a body of individuals (BOI)",
    "L": "a local authority",
    "J": "an artificial juridical person",
    "G": "a government body",
}


class NatureOfConcern(StrEnum):
    PROPRIETORSHIP = "Proprietorship"
    PARTNERSHIP = "Partnership"
    LLP = "Limited Liability Partnership"
    PRIVATE_LIMITED = "Private Limited Company"
    PUBLIC_LIMITED = "Public Limited Company"
    SECTION_8 = "Section 8 Company"
    PSU = "Public Sector Undertaking"
    HUF = "Hindu Undivided Family"
    TRUST = "Trust"
    SOCIETY = "Society"
    AOP = "Association of Persons"
    BOI = "Body of Individuals"
    LOCAL_AUTHORITY = "Local Authority"
    GOVERNMENT = "Government Department"
    AJP = "Artificial Juridical Person"


# The PAN holder types (4th letters) each nature of concern may have.
PAN_TYPES_FOR_CONCERN: dict[NatureOfConcern, str] = {
    NatureOfConcern.PROPRIETORSHIP: "P",
    NatureOfConcern.PARTNERSHIP: "F",
    NatureOfConcern.LLP: "F",
    NatureOfConcern.PRIVATE_LIMITED: "C",
    NatureOfConcern.PUBLIC_LIMITED: "C",
    NatureOfConcern.SECTION_8: "C",
    NatureOfConcern.PSU: "CG",
    NatureOfConcern.HUF: "H",
    NatureOfConcern.TRUST: "T",
    NatureOfConcern.SOCIETY: "AT",
    NatureOfConcern.AOP: "A",
    NatureOfConcern.BOI: "B",
    NatureOfConcern.LOCAL_AUTHORITY: "L",
    NatureOfConcern.GOVERNMENT: "G",
    NatureOfConcern.AJP: "J",
}

_CONCERN_ALIASES: dict[str, NatureOfConcern] = {
    "proprietor": NatureOfConcern.PROPRIETORSHIP,
    "proprietorship": NatureOfConcern.PROPRIETORSHIP,
    "soleproprietorship": NatureOfConcern.PROPRIETORSHIP,
    "proprietorshipfirm": NatureOfConcern.PROPRIETORSHIP,
    "individual": NatureOfConcern.PROPRIETORSHIP,
    "partnership": NatureOfConcern.PARTNERSHIP,
    "partnershipfirm": NatureOfConcern.PARTNERSHIP,
    "firm": NatureOfConcern.PARTNERSHIP,
    "llp": NatureOfConcern.LLP,
    "limitedliabilitypartnership": NatureOfConcern.LLP,
    "privatelimited": NatureOfConcern.PRIVATE_LIMITED,
    "privatelimitedcompany": NatureOfConcern.PRIVATE_LIMITED,
    "pvtltd": NatureOfConcern.PRIVATE_LIMITED,
    "pvtltdcompany": NatureOfConcern.PRIVATE_LIMITED,
    "publiclimited": NatureOfConcern.PUBLIC_LIMITED,
    "publiclimitedcompany": NatureOfConcern.PUBLIC_LIMITED,
    "publicltd": NatureOfConcern.PUBLIC_LIMITED,
    "ltd": NatureOfConcern.PUBLIC_LIMITED,
    "section8": NatureOfConcern.SECTION_8,
    "section8company": NatureOfConcern.SECTION_8,
    "psu": NatureOfConcern.PSU,
    "publicsectorundertaking": NatureOfConcern.PSU,
    "huf": NatureOfConcern.HUF,
    "hinduundividedfamily": NatureOfConcern.HUF,
    "hinduundividedfamilyhuf": NatureOfConcern.HUF,
    "trust": NatureOfConcern.TRUST,
    "society": NatureOfConcern.SOCIETY,
    "registeredsociety": NatureOfConcern.SOCIETY,
    "aop": NatureOfConcern.AOP,
    "associationofpersons": NatureOfConcern.AOP,
    "boi": NatureOfConcern.BOI,
    "bodyofindividuals": NatureOfConcern.BOI,
    "localauthority": NatureOfConcern.LOCAL_AUTHORITY,
    "localbody": NatureOfConcern.LOCAL_AUTHORITY,
    "government": NatureOfConcern.GOVERNMENT,
    "governmentdepartment": NatureOfConcern.GOVERNMENT,
    "govt": NatureOfConcern.GOVERNMENT,
    "govtdepartment": NatureOfConcern.GOVERNMENT,
    "artificialjuridicalperson": NatureOfConcern.AJP,
    "ajp": NatureOfConcern.AJP,
}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def parse_nature_of_concern(text: str) -> NatureOfConcern:
    found = _CONCERN_ALIASES.get(_squash(text))
    if found is None:
        for concern in NatureOfConcern:
            if _squash(concern.value) == _squash(text):
                return concern
        known = ", ".join(c.value for c in NatureOfConcern)
        raise ValueError(f"nature of concern '{text}' is not known; use one of: {known}")
    return found


def parse_pan(text: str) -> str:
    pan = re.sub(r"\s", "", text).upper()
    if not PAN_PATTERN.fullmatch(pan):
        raise ValueError(
            f"PAN '{text}' does not match the pattern 5 letters, 4 digits, 1 letter "
            f"(e.g. {PAN_EXAMPLE})"
        )
    if pan[3] not in HOLDER_TYPES:
        raise ValueError(
            f"PAN '{pan}' has '{pan[3]}' as its 4th letter, which is not a PAN holder type "
            f"({', '.join(HOLDER_TYPES)})"
        )
    return pan


def parse_iec(text: str, *, from_number: bool = False) -> str:
    iec = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z0-9]{10}", iec):
        hint = ""
        if from_number and iec.isdigit() and len(iec) < 10:
            hint = " (the spreadsheet may have dropped leading zeros: format the column as text)"
        raise ValueError(f"IEC must be 10 characters (letters and digits), got '{text}'{hint}")
    if OLD_IEC_PATTERN.fullmatch(iec):
        return iec
    if not PAN_PATTERN.fullmatch(iec):
        raise ValueError(
            f"IEC '{iec}' is neither 10 digits (an IEC issued before 2020) nor a PAN "
            f"(5 letters, 4 digits, 1 letter, e.g. {PAN_EXAMPLE})"
        )
    if iec[3] not in HOLDER_TYPES:
        raise ValueError(
            f"IEC '{iec}' has the form of a PAN but its 4th letter '{iec[3]}' is not a PAN "
            f"holder type ({', '.join(HOLDER_TYPES)})"
        )
    return iec


def parse_mobile(text: str, *, name: str = "mobile") -> str:
    digits = re.sub(r"[\s\-().]", "", text)
    if digits.startswith("+91"):
        digits = digits[3:]
    elif digits.startswith("0091") and len(digits) == 14:
        digits = digits[4:]
    elif digits.startswith("91") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0") and len(digits) == 11:
        digits = digits[1:]
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise ValueError(f"{name} must be 10 digits (an Indian mobile number), got '{text}'")
    if digits[0] not in "6789":
        raise ValueError(
            f"{name} '{digits}' must start with 6, 7, 8 or 9 (an Indian mobile number)"
        )
    return digits


_EMAIL = re.compile(
    r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)


def parse_email(text: str, *, name: str = "email") -> str:
    email = text.strip()
    if not _EMAIL.fullmatch(email) or ".." in email:
        raise ValueError(f"{name} '{text}' is not an email address (expected name@example.com)")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def parse_pin(text: str, *, name: str = "PIN code") -> str:
    pin = re.sub(r"\s", "", text)
    if not re.fullmatch(r"[1-9][0-9]{5}", pin):
        raise ValueError(f"{name} must be 6 digits not starting with 0, got '{text}'")
    return pin


def parse_ifsc(text: str) -> str:
    ifsc = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{4}0[A-Z0-9]{6}", ifsc):
        raise ValueError(
            f"IFSC '{text}' must be 4 letters, a zero, then 6 letters or digits (e.g. SBIN0001234)"
        )
    return ifsc


def normalise_aadhaar(value: str) -> str:
    """12 digits (Aadhaar) or 16 (VID), spaces and dashes removed. Never echoes the input."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"[0-9]{12}|[0-9]{16}", digits):
        raise ValueError("aadhaar must be 12 digits (Aadhaar number) or 16 digits (VID)")
    return digits


# --- dates -----------------------------------------------------------------------------------

DATE_FORMATS_HELP = "YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DMY = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})")
_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, allowing for its 1900 leap-year bug
EARLIEST = date(1850, 1, 1)


def parse_date(value: Any, *, name: str = "date", today: date | None = None) -> date:
    """A real, past date from text, a ``date``/``datetime``, or an Excel serial number."""
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not (1 <= value <= 80_000) or value != int(value):
            raise ValueError(f"{name} must be a date as {DATE_FORMATS_HELP}, got '{value}'")
        result = _EXCEL_EPOCH + timedelta(days=int(value))
    elif isinstance(value, str):
        result = _parse_date_text(" ".join(value.split()), name)
    elif value is None:
        raise ValueError(f"{name} is required")
    else:
        raise ValueError(f"{name} must be a date as {DATE_FORMATS_HELP}")
    if result > (today or date.today()):
        raise ValueError(f"{name} {result:%d/%m/%Y} is in the future")
    if result < EARLIEST:
        raise ValueError(f"{name} {result:%d/%m/%Y} is before {EARLIEST.year}; check the year")
    return result


def _parse_date_text(text: str, name: str) -> date:
    if not text:
        raise ValueError(f"{name} is required")
    iso = _ISO.fullmatch(text)
    dmy = _DMY.fullmatch(text)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif dmy:
        day, month, year = int(dmy[1]), int(dmy[3]), int(dmy[4])
    else:
        raise ValueError(f"{name} must be a date as {DATE_FORMATS_HELP}, got '{text}'")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(
            f"{name} '{text}' is not a real date (day {day}, month {month}, year {year})"
        ) from None
