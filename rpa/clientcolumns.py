"""Which record field a client-file column (or YAML key) means.

``column_path("Portal Password")`` is ``("portal_password",)``;
``column_path("change_address_line1")`` and ``column_path("Changes.Address.Line 1")`` are
``("changes", "address", "line1")``; ``column_path("Notes")`` is ``None`` (not a field).

Matching ignores case, spaces, hyphens and anything in brackets (``DOB (DD/MM/YYYY)``).
A few common spreadsheet names are accepted too (``IEC No``, ``Mobile Number``,
``Date of Birth``, ``Email ID``, ``Pincode``); see ``ALIASES``.
"""

from __future__ import annotations

import re
from typing import Any

from rpa.record_parts import Address, Bank, Changes, Documents
from rpa.records import ClientRecord

ColumnPath = tuple[str | int, ...]

REQUIRED_COLUMNS: tuple[str, ...] = tuple(
    name for name, info in ClientRecord.model_fields.items() if info.is_required()
)

ALIASES: dict[str, str] = {
    "iec_number": "iec",
    "iec_no": "iec",
    "iec_code": "iec",
    "importer_exporter_code": "iec",
    "pan_number": "pan",
    "pan_no": "pan",
    "firm": "firm_name",
    "entity_name": "firm_name",
    "name_of_firm": "firm_name",
    "name_as_per_pan_card": "name_as_per_pan",
    "date_of_birth": "dob",
    "date_of_incorporation": "dob",
    "date_of_birth_incorporation": "dob",
    "date_of_birth_or_incorporation": "dob",
    "email_id": "email",
    "e_mail": "email",
    "email_address": "email",
    "mobile_number": "mobile",
    "mobile_no": "mobile",
    "portal_username": "portal_user",
    "username": "portal_user",
    "user_name": "portal_user",
    "password": "portal_password",
    "sign": "sign_with",
    "signing": "sign_with",
    "signing_method": "sign_with",
    "token": "dsc_token",
    "dsc_token_name": "dsc_token",
    "dsc_certificate": "dsc_cert",
    "token_pin": "dsc_pin",
    "aadhaar_number": "aadhaar",
    "aadhaar_no": "aadhaar",
    "aadhaar_or_vid": "aadhaar",
    "aadhar": "aadhaar",
    "aadhar_number": "aadhaar",
    "aadhar_no": "aadhaar",
    "constitution": "nature_of_concern",
}

SUB_ALIASES: dict[str, str] = {
    "pin_code": "pin",
    "pincode": "pin",
    "address_line1": "line1",
    "address_line2": "line2",
    "account_no": "account_number",
    "ifsc_code": "ifsc",
}

_CHANGES = ("changes", "change")
_DOCUMENTS = ("documents", "document", "docs")
_BRANCH = re.compile(r"changes?_branch(?:es)?(\d{1,3})_(.+)")


def normalise_key(name: str) -> str:
    """``'Portal Password '`` → ``portal_password``; ``'Line 1'`` → ``line1``."""
    key = re.sub(r"\(.*?\)|\[.*?\]", "", name.strip().lower())
    key = re.sub(r"[^a-z0-9.]+", "_", key)
    key = re.sub(r"_*\._*", ".", key).strip("._")
    return re.sub(r"(?<=[a-z])_(?=\d)", "", key)


def field_key(name: str) -> str:
    """A nested key (YAML ``changes: {Pin Code: ...}``) in its field's spelling."""
    key = normalise_key(name)
    return SUB_ALIASES.get(key, key)


def _flat_table() -> dict[str, ColumnPath]:
    table: dict[str, ColumnPath] = {}
    for name in ClientRecord.model_fields:
        if name not in ("changes", "documents"):
            table[name] = (name,)
    for alias, name in ALIASES.items():
        table[alias] = (name,)
    groups: dict[str, type[Address] | type[Bank]] = {"address": Address, "bank": Bank}
    for prefix in _CHANGES:
        for name in Changes.model_fields:
            model = groups.get(name)
            if model is None:
                table[f"{prefix}_{name}"] = ("changes", name)
                continue
            for sub in model.model_fields:
                table[f"{prefix}_{name}_{sub}"] = ("changes", name, sub)
            for alias, sub in SUB_ALIASES.items():
                if sub in model.model_fields:
                    table[f"{prefix}_{name}_{alias}"] = ("changes", name, sub)
    for name in Documents.model_fields:
        table[name] = ("documents", name)
        for prefix in _DOCUMENTS:
            table[f"{prefix}_{name}"] = ("documents", name)
    return table


_TABLE = _flat_table()


def column_path(name: str) -> ColumnPath | None:
    """The record field a column header means, or ``None`` if it is not one."""
    key = normalise_key(name)
    if not key:
        return None
    if "." in key:
        parts = key.split(".")
        if parts[0] in _CHANGES + _DOCUMENTS and len(parts) > 1 and all(parts):
            group = "changes" if parts[0] in _CHANGES else "documents"
            rest: list[str | int] = [
                int(p) if p.isdigit() and len(p) <= 3 else SUB_ALIASES.get(p, p) for p in parts[1:]
            ]
            return (group, *rest)
        key = key.replace(".", "")  # D.O.B → dob
    if key in _TABLE:
        return _TABLE[key]
    branch = _BRANCH.fullmatch(key)
    if branch:
        sub = SUB_ALIASES.get(branch[2], branch[2])
        return ("changes", "branches", int(branch[1]), sub)
    for prefix in _CHANGES:
        if key.startswith(prefix + "_"):  # an unknown change: refused row by row, with a reason
            return ("changes", key[len(prefix) + 1 :])
    for prefix in _DOCUMENTS:
        if key.startswith(prefix + "_"):
            return ("documents", key[len(prefix) + 1 :])
    return None


def unflatten(flat: dict[ColumnPath, Any]) -> dict[str, Any]:
    """``{("changes", "address", "city"): "Pune"}`` → ``{"changes": {"address": {...}}}``.

    Integer parts make lists, in order of their numbers (``changes.branches.1.city``).
    """
    root: dict[str | int, Any] = {}
    for path, value in flat.items():
        node = root
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = path[-1]
        if isinstance(value, dict) and isinstance(node.get(last), dict):
            node[last] = {**value, **node[last]}
        else:
            node[last] = value
    listed = _lists(root)
    return {str(k): v for k, v in listed.items()} if isinstance(listed, dict) else {}


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(isinstance(k, int) for k in converted):
        return [converted[k] for k in sorted(converted)]
    return converted
