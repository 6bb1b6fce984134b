"""Which record field a client-file column (or YAML key) means.

``column_path("Portal Password")`` is ``("portal_password",)``;
``column_path("change_address_line1")`` and ``column_path("Changes.Address.Line 1")`` are
``("changes", "address", "line1")``; ``column_path("Notes")`` is ``None`` (not a field).

Matching ignores case, spaces, hyphens and anything in brackets (``DOB (DD/MM/YYYY)``).
The names Indian CA offices give these columns are understood too (``IEC No``,
``Registered Email``, ``DGFT Login ID``, ``DGFT Password``, ``Name of Firm``,
``Date of Incorporation``, ``DSC PIN``, ``Signing``, ``Pincode``): see ``ALIASES``. Loose
names (``Contact No``, ``Password``: ``WEAK_ALIASES``) yield to a column that names the
field. Columns such as ``Sr No``, ``Remarks`` or ``GSTIN`` are no client field and are
ignored quietly (``is_ignorable``); for any other header not understood, ``suggest`` gives
the field it most likely means.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from rpa.clients.parts import Address, Bank, Changes, Documents
from rpa.clients.records import ClientRecord

ColumnPath = tuple[str | int, ...]

REQUIRED_COLUMNS: tuple[str, ...] = tuple(
    name for name, info in ClientRecord.model_fields.items() if info.is_required()
)

ALIASES: dict[str, str] = {
    # iec
    "iec_number": "iec",
    "iec_no": "iec",
    "iec_code": "iec",
    "ie_code": "iec",
    "importer_exporter_code": "iec",
    # pan
    "pan_number": "pan",
    "pan_no": "pan",
    "pan_card": "pan",
    "pan_card_no": "pan",
    "pan_card_number": "pan",
    "firm_pan": "pan",
    "pan_of_firm": "pan",
    "company_pan": "pan",
    # firm_name
    "firm": "firm_name",
    "entity_name": "firm_name",
    "name_of_firm": "firm_name",
    "name_of_the_firm": "firm_name",
    "firm_company_name": "firm_name",
    "company_name": "firm_name",
    "name_of_company": "firm_name",
    "name_of_entity": "firm_name",
    "exporter_name": "firm_name",
    "name_of_exporter": "firm_name",
    "business_name": "firm_name",
    "trade_name": "firm_name",
    "client_name": "firm_name",
    "party_name": "firm_name",
    # name_as_per_pan
    "name_as_per_pan_card": "name_as_per_pan",
    "name_as_in_pan": "name_as_per_pan",
    "name_in_pan": "name_as_per_pan",
    "name_on_pan": "name_as_per_pan",
    "name_on_pan_card": "name_as_per_pan",
    "pan_name": "name_as_per_pan",
    # dob
    "date_of_birth": "dob",
    "date_of_incorporation": "dob",
    "date_of_birth_incorporation": "dob",
    "date_of_birth_or_incorporation": "dob",
    "date_of_incorporation_birth": "dob",
    "date_of_incorporation_or_birth": "dob",
    "incorporation_date": "dob",
    "date_of_formation": "dob",
    "birth_date": "dob",
    "doi": "dob",
    "dob_doi": "dob",
    "doi_dob": "dob",
    # email
    "email_id": "email",
    "e_mail": "email",
    "e_mail_id": "email",
    "email_address": "email",
    "mail_id": "email",
    "registered_email": "email",
    "registered_email_id": "email",
    "registered_email_address": "email",
    "registered_e_mail": "email",
    "official_email": "email",
    "official_email_id": "email",
    # mobile
    "mobile_number": "mobile",
    "mobile_no": "mobile",
    "mob_no": "mobile",
    "registered_mobile": "mobile",
    "registered_mobile_no": "mobile",
    "registered_mobile_number": "mobile",
    "contact_no": "mobile",
    "contact_number": "mobile",
    "phone_no": "mobile",
    "phone_number": "mobile",
    "phone": "mobile",
    # portal_user
    "portal_username": "portal_user",
    "portal_login": "portal_user",
    "portal_login_id": "portal_user",
    "username": "portal_user",
    "user_name": "portal_user",
    "user_id": "portal_user",
    "login_id": "portal_user",
    "dgft_login_id": "portal_user",
    "dgft_login": "portal_user",
    "dgft_user_id": "portal_user",
    "dgft_username": "portal_user",
    "dgft_user_name": "portal_user",
    "dgft_user": "portal_user",
    # portal_password
    "password": "portal_password",
    "login_password": "portal_password",
    "dgft_password": "portal_password",
    "dgft_login_password": "portal_password",
    "dgft_portal_password": "portal_password",
    # sign_with
    "sign": "sign_with",
    "signing": "sign_with",
    "signing_method": "sign_with",
    "signing_mode": "sign_with",
    "sign_mode": "sign_with",
    "sign_using": "sign_with",
    "mode_of_signing": "sign_with",
    "signature_type": "sign_with",
    "signature_mode": "sign_with",
    "dsc_aadhaar": "sign_with",
    "dsc_or_aadhaar": "sign_with",
    "dsc_aadhar": "sign_with",
    "dsc_or_aadhar": "sign_with",
    # dsc_token
    "token": "dsc_token",
    "token_name": "dsc_token",
    "token_type": "dsc_token",
    "dsc_token_name": "dsc_token",
    "dsc_token_type": "dsc_token",
    # dsc_cert
    "dsc_certificate": "dsc_cert",
    "dsc_certificate_name": "dsc_cert",
    "certificate_name": "dsc_cert",
    "dsc_holder": "dsc_cert",
    "dsc_holder_name": "dsc_cert",
    "name_on_dsc": "dsc_cert",
    # dsc_pin
    "token_pin": "dsc_pin",
    "dsc_token_pin": "dsc_pin",
    "dsc_password": "dsc_pin",
    "token_password": "dsc_pin",
    "dsc_token_password": "dsc_pin",
    # aadhaar
    "aadhaar_number": "aadhaar",
    "aadhaar_no": "aadhaar",
    "aadhaar_card_no": "aadhaar",
    "aadhaar_card_number": "aadhaar",
    "aadhaar_or_vid": "aadhaar",
    "aadhaar_vid": "aadhaar",
    "aadhaar_no_vid": "aadhaar",
    "aadhar": "aadhaar",
    "aadhar_number": "aadhaar",
    "aadhar_no": "aadhaar",
    "aadhar_card_no": "aadhaar",
    "aadhar_or_vid": "aadhaar",
    "aadhar_vid": "aadhaar",
    "vid": "aadhaar",
    # nature_of_concern
    "constitution": "nature_of_concern",
    "constitution_of_business": "nature_of_concern",
    "constitution_of_firm": "nature_of_concern",
    "type_of_entity": "nature_of_concern",
    "entity_type": "nature_of_concern",
    "type_of_firm": "nature_of_concern",
    "firm_type": "nature_of_concern",
    "type_of_concern": "nature_of_concern",
    "place_of_declaration": "place",
}

# Loose names: used when no other column means the same field, ignored when one does
# (a sheet with both ``Mobile No`` and ``Contact No`` reads the mobile from ``Mobile No``).
WEAK_ALIASES: frozenset[str] = frozenset(
    {
        "contact_no", "contact_number", "phone", "phone_no", "phone_number",
        "username", "user_name", "user_id", "login_id", "password", "login_password",
        "token", "token_type", "firm", "client_name", "party_name", "trade_name", "vid",
    }
)  # fmt: skip

# Columns offices keep that are not client fields: ignored without a warning.
IGNORED_KEYS: frozenset[str] = frozenset(
    {
        "sr", "sr_no", "srno", "sr_number", "s_no", "sno", "s_n", "sn", "sl", "sl_no", "slno",
        "serial", "serial_no", "serial_number", "no", "number",
        "remark", "remarks", "note", "notes", "comment", "comments",
    }
)  # fmt: skip
# Words naming other registrations and portals (GST, ICEGATE, income tax, MCA...): a column
# about them (``GSTIN``, ``GST Password``, ``ICEGATE ID``) is not a DGFT field.
_OTHER_SYSTEMS = frozenset(
    {"gst", "gstin", "gstn", "icegate", "income", "itr", "mca", "cin", "tan", "epfo", "esic",
     "traces", "udyam", "msme", "fssai", "rcmc"}
)  # fmt: skip

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
_BANK_ACCOUNTS = ("bank_accounts", "bank_account")
_BRANCH = re.compile(r"changes?_branch(?:es)?(\d{1,3})_(.+)")
_BANK_ACCOUNT = re.compile(r"bank_accounts?(\d{1,3})_(.+)")


def normalise_key(name: str, *, brackets: bool = False) -> str:
    """``'Portal Password '`` → ``portal_password``; ``'Line 1'`` → ``line1``.

    What is in brackets is dropped (``DOB (DD/MM/YYYY)`` → ``dob``) unless ``brackets``
    (``Name (as per PAN)`` → ``name_as_per_pan``).
    """
    key = name.strip().lower()
    if not brackets:
        key = re.sub(r"\(.*?\)|\[.*?\]", "", key)
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
    """The record field a column header means, or ``None`` if it is not one.

    Brackets are read only when the name means nothing without them: ``DOB (DD/MM/YYYY)``
    is ``dob``, ``Name (as per PAN)`` is ``name_as_per_pan``.
    """
    found = _path_of_key(normalise_key(name))
    if found is None and re.search(r"[(\[]", name):
        found = _path_of_key(normalise_key(name, brackets=True))
    return found


def _path_of_key(key: str) -> ColumnPath | None:
    if not key:
        return None
    if "." in key:
        parts = key.split(".")
        if parts[0] in _CHANGES + _DOCUMENTS + _BANK_ACCOUNTS and len(parts) > 1 and all(parts):
            group = (
                "changes"
                if parts[0] in _CHANGES
                else "documents"
                if parts[0] in _DOCUMENTS
                else "bank_accounts"
            )
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
    account = _BANK_ACCOUNT.fullmatch(key)
    if account:
        sub = SUB_ALIASES.get(account[2], account[2])
        return ("bank_accounts", int(account[1]), sub)
    for prefix in _CHANGES:
        if key.startswith(prefix + "_"):  # an unknown change: refused row by row, with a reason
            return ("changes", key[len(prefix) + 1 :])
    for prefix in _DOCUMENTS:
        if key.startswith(prefix + "_"):
            return ("documents", key[len(prefix) + 1 :])
    return None


def dotted(path: ColumnPath) -> str:
    """``("changes", "address", "city")`` → ``changes.address.city``."""
    return ".".join(str(part) for part in path)


def is_weak(name: str) -> bool:
    """A loose name (``Contact No``, ``Password``) that yields to a column naming the field."""
    return normalise_key(name).replace(".", "") in WEAK_ALIASES


def is_ignorable(name: str) -> bool:
    """A column offices keep that is no client field (``Sr No``, ``Remarks``, ``GSTIN``)."""
    key = normalise_key(name).replace(".", "")
    return not key or key in IGNORED_KEYS or bool(_OTHER_SYSTEMS & set(key.split("_")))


# Words that say which field a header is about when nothing closer matches ("Regd. E-mail").
_FIELD_WORDS: dict[str, str] = {
    "iec": "iec",
    "pan": "pan",
    "firm": "firm_name",
    "company": "firm_name",
    "dob": "dob",
    "birth": "dob",
    "incorporation": "dob",
    "email": "email",
    "mail": "email",
    "mobile": "mobile",
    "login": "portal_user",
    "password": "portal_password",
    "signing": "sign_with",
    "token": "dsc_token",
    "certificate": "dsc_cert",
    "aadhaar": "aadhaar",
    "aadhar": "aadhaar",
    "adhaar": "aadhaar",
    "adhar": "aadhaar",
    "constitution": "nature_of_concern",
}


def suggest(name: str) -> str | None:
    """The field a header not understood most likely means (``Regd Emial`` → ``email``)."""
    if is_ignorable(name):
        return None
    key = normalise_key(name).replace(".", "_")
    if not key:
        return None
    close = difflib.get_close_matches(key, list(_TABLE), n=1, cutoff=0.75)
    if close:
        return dotted(_TABLE[close[0]])
    words = key.split("_")
    squashed = key.replace("_", "")
    for word in words:
        if word in _FIELD_WORDS:
            return _FIELD_WORDS[word]
    for word, field in _FIELD_WORDS.items():
        if len(word) >= 5 and word in squashed:  # "Emailid", "MobileNo"
            return field
    for word in words:  # a misspelt word: "Regd Emial"
        near = difflib.get_close_matches(word, list(_FIELD_WORDS), n=1, cutoff=0.8)
        if near:
            return _FIELD_WORDS[near[0]]
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
