"""The Update IEC form: its sections' fields, each section's server-side validation when it
is saved, the PDF uploads, and the diff of a draft against the IEC record
(``changes``/``apply``).

A draft is ``{version, iec, verified, no_change, done: [section keys], application_number,
draft_id, general: {form name: value}, persons: [...], branches: [...], banks: [{form name:
value}], other: {...}, documents: {field: {name, size}}, declaration: {place, date}}``.
State and district are never taken from the form: they come from the PIN Code
(``pincodes``), as the real portal fills them (``pincodeData``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from starlette.datastructures import UploadFile

from mock_portal import pincodes, rules, state, wording
from mock_portal.web import Ctx

#: Drafts of another shape (made before the form changed) are not continued.
DRAFT_VERSION = 2
MAX_DOC_BYTES = 5 * 1024 * 1024
PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
GSTIN_RE = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
PIN_RE = re.compile(r"^[1-9]\d{5}$")
MOBILE_RE = re.compile(r"^[6-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACCOUNT_RE = re.compile(r"^\d{9,18}$")
DIN_RE = re.compile(r"^\d{8}$")
DIRECTORS = ("Director", "Managing Director")

GENERAL_FIELDS = [
    # (form name, label, record path, required); state comes from the PIN Code
    ("natureOfConcern", "Nature of Concern", ("nature_of_concern",), True),
    ("firmName", "Firm Name", ("firm_name",), True),
    ("exporterCategory", "Category of Exporter", ("exporter_category",), True),
    ("gstin", "GSTIN", ("gstin",), False),
    ("addressLine1", "Address Line 1", ("address", "line1"), True),
    ("addressLine2", "Address Line 2", ("address", "line2"), False),
    ("city", "City", ("address", "city"), True),
    ("pinCode", "PIN Code", ("address", "pin"), True),
    ("state", "State", ("address", "state"), True),
    ("email", "Email ID", ("email",), True),
    ("mobile", "Mobile Number", ("mobile",), True),
]
ADDRESS_FIELDS = ("addressLine1", "addressLine2", "city", "pinCode", "state")
BANK_FIELDS = [
    # (form name, label, record key, required)
    ("accountHolder", "Account Holder Name", "account_holder", True),
    ("accountNumber", "Bank Account Number", "account_number", True),
    ("ifsc", "IFSC Code", "ifsc", True),
    ("bankName", "Bank Name", "bank_name", True),
    ("bankBranch", "Bank Branch Address", "branch", False),
]
OTHER_FIELDS = [
    ("sezUnit", "Whether SEZ unit", "sez", "No"),
    ("eouUnit", "Whether EOU/EHTP/STP/BTP unit", "eou", "No"),
    ("rcmcNumber", "RCMC Number", "rcmc", ""),
]
#: Documents, each uploaded inside the section it belongs to: (field, label, what its
#: change is, section).
DOC_FIELDS = [
    ("addressProof", "Address Proof", "address", "generalInformation"),
    ("bankProof", "Cancelled Cheque / Bank Certificate", "bank account", "bankInformation"),
]
DOC_LABELS = {field: label for field, label, _, _ in DOC_FIELDS}


def _get(record: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = record
    for key in path:
        value = (value or {}).get(key)
    return "" if value is None else str(value)


def choices(options: list[str], record: dict[str, Any], name: str) -> list[str]:
    """A select's options: the portal's list, and the record's own value when the list
    lacks it (an IEC keeps the nature of concern it was issued with)."""
    path = next(path for field, _, path, _ in GENERAL_FIELDS if field == name)
    current = _get(record, path)
    return options if not current or current in options else [*options, current]


def parse_day(text: str) -> date | None:
    """``DD/MM/YYYY`` (or ISO ``YYYY-MM-DD``) as a date; None when it is not one."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _record_banks(record: dict[str, Any]) -> list[dict[str, str]]:
    return state.seed_banks(record)


def _form_bank(account: dict[str, str]) -> dict[str, str]:
    return {name: str(account.get(key) or "") for name, _, key, _ in BANK_FIELDS}


def _record_bank(account: dict[str, str]) -> dict[str, str]:
    return {key: str(account.get(name) or "") for name, _, key, _ in BANK_FIELDS}


def new_draft(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    general = {name: _get(record, path) for name, _, path, _ in GENERAL_FIELDS}
    known = pincodes.lookup(general["pinCode"])
    general["district"] = _get(record, ("address", "district")) or (known.district if known else "")
    return {
        "version": DRAFT_VERSION,
        "iec": record["iec"],
        "started_at": now.isoformat(),
        "verified": not rules.contacts_need_reverify(record, now),
        "no_change": False,
        "done": [],
        "application_number": None,
        "draft_id": None,
        "general": general,
        "persons": [dict(p) for p in record.get("directors") or []],
        "branches": [dict(b) for b in record.get("branches") or []],
        "banks": [_form_bank(b) for b in _record_banks(record)],
        "other": {name: str(record.get(key) or default) for name, _, key, default in OTHER_FIELDS},
        "documents": {},
        "declaration": {"place": "", "date": now.strftime("%d/%m/%Y")},
    }


def number_draft(ctx: Ctx, draft: dict[str, Any]) -> None:
    """Give the draft its application number and draft id at its first save."""
    if not draft.get("application_number"):
        number, draft_id = state.new_application_number(
            ctx.conn, kind="update", iec=draft["iec"], now=ctx.now
        )
        draft["application_number"], draft["draft_id"] = number, draft_id


Outcome = tuple[str, str] | None


async def _save_general(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    values = {name: ctx.field(name) for name, _, _, _ in GENERAL_FIELDS if name != "state"}
    values["gstin"] = values["gstin"].upper()
    values["email"] = values["email"].lower()
    old_pin = _get(record, ("address", "pin"))
    known = pincodes.lookup(values["pinCode"])
    if values["pinCode"] == old_pin:  # the portal's own record stands, known PIN or not
        values["state"] = _get(record, ("address", "state")) or (known.state if known else "")
    else:
        values["state"] = known.state if known else ""
    values["district"] = known.district if known else ""
    draft["general"] = values
    for name, label, _, required in GENERAL_FIELDS:
        if required and name != "state" and not values[name]:
            return wording.FIELD_REQUIRED.format(field=label), ""
    for name, label, options in (
        ("natureOfConcern", "Nature of Concern", wording.NATURES_OF_CONCERN),
        ("exporterCategory", "Category of Exporter", wording.EXPORTER_CATEGORIES),
    ):
        if values[name] not in choices(options, record, name):
            return wording.FIELD_INVALID.format(field=label), ""
    if values["gstin"] and not GSTIN_RE.match(values["gstin"]):
        return wording.GSTIN_INVALID, ""
    if not PIN_RE.match(values["pinCode"]) or not values["state"]:
        return wording.FIELD_INVALID.format(field="PIN Code"), ""
    if not EMAIL_RE.match(values["email"]):
        return wording.FIELD_INVALID.format(field="Email ID"), ""
    if not MOBILE_RE.match(values["mobile"]):
        return wording.FIELD_INVALID.format(field="Mobile Number"), ""
    if values["email"] != (record.get("email") or "").lower() and values["mobile"] != record.get(
        "mobile"
    ):
        return wording.BOTH_CONTACTS_CHANGED, ""
    return _proof_missing(record, draft, "addressProof")


def _removed(op: str, rows: list[Any]) -> bool:
    """Whether ``op`` is ``remove:<index>``; that row is dropped (one out of range: none)."""
    if not op.startswith("remove:"):
        return False
    index = int(op.split(":", 1)[1])
    if 0 <= index < len(rows):
        rows.pop(index)
    return True


async def _save_persons(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    op = ctx.field("op")
    if _removed(op, draft["persons"]):
        return "", ""
    if op == "add":
        name, pan = ctx.field("personName"), ctx.field("personPan").upper()
        designation, din = ctx.field("designation"), ctx.field("personDin")
        dob = parse_day(ctx.field("personDob"))
        if designation not in wording.DESIGNATIONS:
            return wording.FIELD_REQUIRED.format(field="Designation"), ""
        if din and not DIN_RE.match(din):
            return wording.DIN_INVALID, ""
        if not din and designation in DIRECTORS:
            return wording.DIN_REQUIRED, ""
        if not name:
            return wording.FIELD_REQUIRED.format(field="Name as per PAN"), ""
        if not PAN_RE.match(pan):
            return wording.PAN_FORMAT, ""
        if not ctx.field("personDob"):
            return wording.FIELD_REQUIRED.format(field="Date of Birth"), ""
        if dob is None or dob > ctx.now.date():
            return wording.DOB_INVALID, ""
        person = {"name": name, "pan": pan, "designation": designation, "dob": dob.isoformat()}
        if din:
            person["din"] = din
        draft["persons"].append(person)
        return "", wording.PERSON_ADDED.format(name=name)
    if not draft["persons"]:
        return wording.PERSON_REQUIRED, ""
    return None


async def _save_branches(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    op = ctx.field("op")
    if _removed(op, draft["branches"]):
        return "", ""
    if op == "add":
        branch = {
            "line1": ctx.field("branchAddressLine1"),
            "line2": ctx.field("branchAddressLine2"),
            "city": ctx.field("branchCity"),
            "pin": ctx.field("branchPinCode"),
        }
        for key, label in (("line1", "Branch Address Line 1"), ("city", "Branch City")):
            if not branch[key]:
                return wording.FIELD_REQUIRED.format(field=label), ""
        known = pincodes.lookup(branch["pin"])
        if known is None:
            return wording.FIELD_INVALID.format(field="Branch PIN Code"), ""
        branch.update(state=known.state, district=known.district)
        branch["code"] = f"{len(draft['branches']) + 1:03d}"
        draft["branches"].append(branch)
        return "", wording.BRANCH_ADDED
    return None


async def _save_banks(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    op = ctx.field("op")
    if _removed(op, draft["banks"]):
        return "", ""
    if op == "add":
        values = {name: ctx.field(name) for name, _, _, _ in BANK_FIELDS}
        values["ifsc"] = values["ifsc"].upper()
        values["accountNumber"] = re.sub(r"[\s-]", "", values["accountNumber"])
        for name, label, _, required in BANK_FIELDS:
            if required and not values[name]:
                return wording.FIELD_REQUIRED.format(field=label), ""
        if not ACCOUNT_RE.match(values["accountNumber"]):
            return wording.FIELD_INVALID.format(field="Bank Account Number"), ""
        if not IFSC_RE.match(values["ifsc"]):
            return wording.IFSC_INVALID, ""
        account = values["accountNumber"]
        if any(b["accountNumber"] == account for b in draft["banks"]):
            return wording.BANK_DUPLICATE.format(account=account), ""
        draft["banks"].append(values)
        return "", wording.BANK_ADDED.format(account=account)
    if not draft["banks"]:
        return wording.BANK_REQUIRED, ""
    return _proof_missing(record, draft, "bankProof")


async def _save_other(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    values = {name: ctx.field(name, default) for name, _, _, default in OTHER_FIELDS}
    draft["other"] = values
    for name, label, _, _ in OTHER_FIELDS[:2]:
        if values[name] not in ("Yes", "No"):
            return wording.FIELD_REQUIRED.format(field=label), ""
    return None


def save_declaration(ctx: Ctx, draft: dict[str, Any]) -> str:
    """Keep the declaration's Place and Date; the first problem's message, or ""."""
    place, day = ctx.field("place"), ctx.field("declarationDate")
    draft["declaration"] = {"place": place, "date": day}
    if ctx.field("declaration") != "on":
        return wording.DECLARATION_REQUIRED
    if not place:
        return wording.PLACE_REQUIRED
    if not day:
        return wording.DATE_REQUIRED
    if parse_day(day) is None:
        return wording.DATE_INVALID
    return ""


SAVERS = {
    "generalInformation": _save_general,
    "detailsOfProperioter": _save_persons,
    "branchDetails": _save_branches,
    "bankInformation": _save_banks,
    "otherDetails": _save_other,
}

# --- documents, uploaded inside their sections (/CP/Upload) ----------------------------------


async def check_pdf(upload: UploadFile) -> tuple[str, dict[str, Any] | None]:
    content = await upload.read()
    name = upload.filename or "file"
    if upload.content_type != "application/pdf" or not content.startswith(b"%PDF-"):
        return wording.DOC_NOT_PDF.format(name=name), None
    if len(content) > MAX_DOC_BYTES:
        return wording.DOC_TOO_BIG.format(name=name, size_mb=len(content) / 1024 / 1024), None
    return "", {"name": name, "size": len(content)}


async def upload_document(ctx: Ctx, draft: dict[str, Any]) -> tuple[str, str]:
    """Check and keep one uploaded document: (error, message)."""
    field = ctx.field("docType")
    if field not in DOC_LABELS:
        return wording.DOC_TYPE_UNKNOWN, ""
    upload = ctx.upload("file")
    if upload is None:
        return wording.DOC_FILE_REQUIRED, ""
    error, meta = await check_pdf(upload)
    if error:
        return error, ""
    draft["documents"][field] = meta
    return "", wording.DOC_UPLOADED.format(field=DOC_LABELS[field])


def _proof_missing(record: dict[str, Any], draft: dict[str, Any], field: str) -> Outcome:
    changed = changes(record, draft)
    needed = {
        "addressProof": any(k.startswith("address.") for k in changed),
        "bankProof": "bank" in changed,
    }
    if needed[field] and not draft["documents"].get(field):
        label, what = next((lbl, w) for f, lbl, w, _ in DOC_FIELDS if f == field)
        return wording.DOC_REQUIRED.format(field=label, what=what), ""
    return None


# --- bank verification (NPCI, simulated) -------------------------------------------------------


def bank_verification(record: dict[str, Any], draft: dict[str, Any]) -> tuple[str, str | None]:
    """(status, remarks): every account linked to the PAN must be declared [S: Trade Notice
    23/2025-26]; an undeclared one fails the verification. Each declared account is then
    verified by the simulated rule (``wording.bank_status_for``)."""
    declared = [b["accountNumber"] for b in draft["banks"]]
    undeclared = [n for n in record.get("npci_accounts") or [] if n not in declared]
    if undeclared:
        return wording.BANK_FAILED, wording.BANK_UNDECLARED.format(accounts=", ".join(undeclared))
    statuses = {wording.bank_status_for(n) for n in declared} or {wording.BANK_FAILED}
    for status in (wording.BANK_FAILED, wording.BANK_IN_PROGRESS):
        if status in statuses:
            return status, None
    return wording.BANK_SUCCESS, None


# --- changes, applying them ---------------------------------------------------------------------


def changes(record: dict[str, Any], draft: dict[str, Any]) -> dict[str, Any]:
    """What the draft changes: ``{field: {"from": old, "to": new}}`` (empty for no change).
    The district is derived from the PIN Code and not compared."""
    if draft.get("no_change"):
        return {}
    out: dict[str, Any] = {}
    for name, _, path, _ in GENERAL_FIELDS:
        old, new = _get(record, path), draft["general"].get(name, "")
        if old != new:
            out[".".join(path)] = {"from": old, "to": new}
    old_banks = _record_banks(record)
    new_banks = [_record_bank(b) for b in draft["banks"]]
    if old_banks != new_banks:
        out["bank"] = {"from": old_banks, "to": new_banks}
    persons = [dict(p) for p in record.get("directors") or []]
    if persons != draft["persons"]:
        out["directors"] = {"from": persons, "to": draft["persons"]}
    branches = [dict(b) for b in record.get("branches") or []]
    if branches != draft["branches"]:
        out["branches"] = {"from": branches, "to": draft["branches"]}
    for name, _, key, default in OTHER_FIELDS:
        old = str(record.get(key) or default)
        if old != draft["other"].get(name, default):
            out[key] = {"from": old, "to": draft["other"].get(name, default)}
    return out


def apply(record: dict[str, Any], draft: dict[str, Any]) -> None:
    for name, _, path, _ in GENERAL_FIELDS:
        target = record
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = draft["general"][name]
    if draft["general"].get("district"):
        record.setdefault("address", {})["district"] = draft["general"]["district"]
    record["banks"] = [_record_bank(b) for b in draft["banks"]]
    # ``bank``: the first account, for readers of the older single-account record (e-IEC)
    record["bank"] = dict(record["banks"][0]) if record["banks"] else {}
    record["directors"] = draft["persons"]
    record["branches"] = draft["branches"]
    for name, _, key, _ in OTHER_FIELDS:
        record[key] = draft["other"][name]
