"""The Update IEC form: its sections' fields, server-side validation of each section,
PDF documents, and the diff of a draft against the IEC record (``changes``/``apply``).

A draft is ``{iec, verified, no_change, done: [section keys], general: {form name: value},
persons: [...], branches: [...], bank: {...}, other: {...}, documents: {field: {name, size}}}``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.datastructures import UploadFile

from mock_portal import rules, wording
from mock_portal.web import Ctx

MAX_DOC_BYTES = 5 * 1024 * 1024
PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
GSTIN_RE = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
PIN_RE = re.compile(r"^[1-9]\d{5}$")
MOBILE_RE = re.compile(r"^[6-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACCOUNT_RE = re.compile(r"^\d{9,18}$")

GENERAL_FIELDS = [
    # (form name, label, record path, required)
    ("natureOfConcern", "Nature of Concern", ("nature_of_concern",), True),
    ("firmName", "Firm Name", ("firm_name",), True),
    ("exporterCategory", "Category of Exporter", ("exporter_category",), True),
    ("gstin", "GSTIN", ("gstin",), False),
    ("addressLine1", "Address Line 1", ("address", "line1"), True),
    ("addressLine2", "Address Line 2", ("address", "line2"), False),
    ("city", "City", ("address", "city"), True),
    ("state", "State", ("address", "state"), True),
    ("pinCode", "PIN Code", ("address", "pin"), True),
    ("email", "Email ID", ("email",), True),
    ("mobile", "Mobile Number", ("mobile",), True),
]
BANK_FIELDS = [
    ("accountHolder", "Account Holder Name", "account_holder"),
    ("accountNumber", "Bank Account Number", "account_number"),
    ("ifsc", "IFSC Code", "ifsc"),
    ("bankName", "Bank Name", "bank_name"),
]
OTHER_FIELDS = [
    ("sezUnit", "Whether SEZ unit", "sez", "No"),
    ("eouUnit", "Whether EOU/EHTP/STP/BTP unit", "eou", "No"),
    ("rcmcNumber", "RCMC Number", "rcmc", ""),
]
DOC_FIELDS = [
    ("addressProof", "Address Proof", "address"),
    ("bankProof", "Cancelled Cheque / Bank Certificate", "bank account"),
]


def _get(record: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = record
    for key in path:
        value = (value or {}).get(key)
    return "" if value is None else str(value)


def new_draft(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    bank = record.get("bank") or {}
    return {
        "iec": record["iec"],
        "started_at": now.isoformat(),
        "verified": not rules.contacts_need_reverify(record, now),
        "no_change": False,
        "done": [],
        "general": {name: _get(record, path) for name, _, path, _ in GENERAL_FIELDS},
        "persons": [dict(p) for p in record.get("directors") or []],
        "branches": [dict(b) for b in record.get("branches") or []],
        "bank": {name: str(bank.get(key) or "") for name, _, key in BANK_FIELDS},
        "other": {name: str(record.get(key) or default) for name, _, key, default in OTHER_FIELDS},
        "documents": {},
    }


Outcome = tuple[str, str] | None


async def _save_general(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    values = {name: ctx.field(name) for name, _, _, _ in GENERAL_FIELDS}
    values["gstin"] = values["gstin"].upper()
    values["email"] = values["email"].lower()
    draft["general"] = values
    for name, label, _, required in GENERAL_FIELDS:
        if required and not values[name]:
            return wording.FIELD_REQUIRED.format(field=label), ""
    if values["natureOfConcern"] not in wording.NATURES_OF_CONCERN:
        return wording.FIELD_INVALID.format(field="Nature of Concern"), ""
    if values["gstin"] and not GSTIN_RE.match(values["gstin"]):
        return wording.GSTIN_INVALID, ""
    if not PIN_RE.match(values["pinCode"]):
        return wording.FIELD_INVALID.format(field="PIN Code"), ""
    if not EMAIL_RE.match(values["email"]):
        return wording.FIELD_INVALID.format(field="Email ID"), ""
    if not MOBILE_RE.match(values["mobile"]):
        return wording.FIELD_INVALID.format(field="Mobile Number"), ""
    if values["email"] != (record.get("email") or "").lower() and values["mobile"] != record.get(
        "mobile"
    ):
        return wording.BOTH_CONTACTS_CHANGED, ""
    return None


async def _save_persons(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    op = ctx.field("op")
    if op.startswith("remove:"):
        index = int(op.split(":", 1)[1])
        if 0 <= index < len(draft["persons"]):
            draft["persons"].pop(index)
        return "", ""
    if op == "add":
        name, pan = ctx.field("personName"), ctx.field("personPan").upper()
        designation = ctx.field("designation")
        if not name:
            return wording.FIELD_REQUIRED.format(field="Name"), ""
        if not PAN_RE.match(pan):
            return wording.PAN_FORMAT, ""
        if designation not in wording.DESIGNATIONS:
            return wording.FIELD_REQUIRED.format(field="Designation"), ""
        draft["persons"].append({"name": name, "pan": pan, "designation": designation})
        return "", f"{name} added."
    if not draft["persons"]:
        return wording.PERSON_REQUIRED, ""
    return None


async def _save_branches(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    op = ctx.field("op")
    if op.startswith("remove:"):
        index = int(op.split(":", 1)[1])
        if 0 <= index < len(draft["branches"]):
            draft["branches"].pop(index)
        return "", ""
    if op == "add":
        branch = {
            "line1": ctx.field("branchAddressLine1"),
            "line2": ctx.field("branchAddressLine2"),
            "city": ctx.field("branchCity"),
            "state": ctx.field("branchState"),
            "pin": ctx.field("branchPinCode"),
        }
        for key, label in (
            ("line1", "Branch Address Line 1"),
            ("city", "Branch City"),
            ("state", "Branch State"),
        ):
            if not branch[key]:
                return wording.FIELD_REQUIRED.format(field=label), ""
        if not PIN_RE.match(branch["pin"]):
            return wording.FIELD_INVALID.format(field="Branch PIN Code"), ""
        branch["code"] = f"{len(draft['branches']) + 1:03d}"
        draft["branches"].append(branch)
        return "", "Branch added."
    return None


async def _save_bank(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    values = {name: ctx.field(name) for name, _, _ in BANK_FIELDS}
    values["ifsc"] = values["ifsc"].upper()
    draft["bank"] = values
    for name, label, _ in BANK_FIELDS:
        if not values[name]:
            return wording.FIELD_REQUIRED.format(field=label), ""
    if not ACCOUNT_RE.match(values["accountNumber"]):
        return wording.FIELD_INVALID.format(field="Bank Account Number"), ""
    if not IFSC_RE.match(values["ifsc"]):
        return wording.IFSC_INVALID, ""
    return None


async def _save_other(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    values = {name: ctx.field(name, default) for name, _, _, default in OTHER_FIELDS}
    draft["other"] = values
    for name, label, _, _ in OTHER_FIELDS[:2]:
        if values[name] not in ("Yes", "No"):
            return wording.FIELD_REQUIRED.format(field=label), ""
    return None


async def check_pdf(upload: UploadFile) -> tuple[str, dict[str, Any] | None]:
    content = await upload.read()
    name = upload.filename or "file"
    if upload.content_type != "application/pdf" or not content.startswith(b"%PDF-"):
        return wording.DOC_NOT_PDF.format(name=name), None
    if len(content) > MAX_DOC_BYTES:
        return wording.DOC_TOO_BIG.format(name=name, size_mb=len(content) / 1024 / 1024), None
    return "", {"name": name, "size": len(content)}


async def _save_documents(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Outcome:
    for field, _, _ in DOC_FIELDS:
        upload = ctx.upload(field)
        if upload is None:
            continue
        error, meta = await check_pdf(upload)
        if error:
            return error, ""
        draft["documents"][field] = meta
    changed = changes(record, draft)
    address_changed = any(k.startswith("address.") for k in changed)
    needs = {"addressProof": address_changed, "bankProof": "bank" in changed}
    for field, label, what in DOC_FIELDS:
        if needs[field] and not draft["documents"].get(field):
            return wording.DOC_REQUIRED.format(field=label, what=what), ""
    return None


SAVERS = {
    "general": _save_general,
    "persons": _save_persons,
    "branches": _save_branches,
    "bank": _save_bank,
    "other": _save_other,
    "documents": _save_documents,
}

# --- changes, applying them ---------------------------------------------------------------------


def changes(record: dict[str, Any], draft: dict[str, Any]) -> dict[str, Any]:
    """What the draft changes: ``{field: {"from": old, "to": new}}`` (empty for no change)."""
    if draft.get("no_change"):
        return {}
    out: dict[str, Any] = {}
    for name, _, path, _ in GENERAL_FIELDS:
        old, new = _get(record, path), draft["general"].get(name, "")
        if old != new:
            out[".".join(path)] = {"from": old, "to": new}
    bank = record.get("bank") or {}
    old_bank = {key: str(bank.get(key) or "") for _, _, key in BANK_FIELDS}
    new_bank = {key: draft["bank"].get(name, "") for name, _, key in BANK_FIELDS}
    if old_bank != new_bank:
        out["bank"] = {"from": old_bank, "to": new_bank}
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
    record["bank"] = {key: draft["bank"][name] for name, _, key in BANK_FIELDS}
    record["directors"] = draft["persons"]
    record["branches"] = draft["branches"]
    for name, _, key, _ in OTHER_FIELDS:
        record[key] = draft["other"][name]
