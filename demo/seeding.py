"""Mock-portal seed data made from client records, so a client file and the portal agree.

Each client gets a scenario that decides its state on the portal (``SCENARIOS``). The
demo's passwords, PINs and Aadhaar numbers are fixed, fictional values (``DEMO_SECRETS``),
given to the agent through the environment as the client file's ``env:`` references say.
"""

from __future__ import annotations

from typing import Any

from rpa.clients.records import ClientRecord

DEMO_SECRETS = {
    "DEMO_PORTAL_PASSWORD": "Demo#Passw0rd",
    "DEMO_DSC_PIN": "246810",
    # one Aadhaar number per Aadhaar signer: env:DEMO_AADHAAR_<last 4 of the IEC>
    "DEMO_AADHAAR_2847": "499118665246",
    "DEMO_AADHAAR_123L": "499118665247",
    "DEMO_AADHAAR_410G": "499118665248",
    "DEMO_AADHAAR_1976": "499118665249",
}
PORTAL_NOW = "2026-05-12T10:00:00"  # inside the annual window of FY 2026-27

SCENARIOS = {
    "due": "not yet updated this financial year",
    "renewed": "already updated this financial year (nothing to submit)",
    "deactivated": "de-activated last year for not updating (an update re-activates it)",
    "reverify": "contacts last verified over a year ago (OTP re-verification first)",
    "pan-mismatch": "the DSC carries another PAN (the portal refuses the signature)",
}


def _aadhaar_number(record: ClientRecord) -> str:
    return DEMO_SECRETS[f"DEMO_AADHAAR_{record.iec[-4:]}"]


def iec_seed(record: ClientRecord, scenario: str) -> dict[str, Any]:
    last_updated = {"renewed": "2026-04-20", "deactivated": "2024-05-02"}.get(
        scenario, "2025-05-20"
    )
    verified = "2024-03-01" if scenario == "reverify" else "2026-01-15"
    address = {
        "line1": "1 Demo Road",
        "line2": "",
        "city": "Mumbai",
        "state": "Maharashtra",
        "pin": "400001",
    }
    seed: dict[str, Any] = {
        "iec": record.iec,
        "pan": record.pan,
        "firm_name": record.firm_name,
        "name_as_per_pan": record.name_as_per_pan,
        "dob": record.dob.isoformat(),
        "nature_of_concern": str(record.nature_of_concern or "Proprietorship"),
        "address": address,
        "email": record.email,
        "mobile": record.mobile,
        "status": "deactivated" if scenario == "deactivated" else "active",
        "last_updated": last_updated,
        "contacts_verified_on": verified,
        "linked_user": record.portal_user,
        "directors": [
            {"name": record.name_as_per_pan, "pan": record.pan, "designation": "Proprietor"}
        ],
        "bank": {
            "account_holder": record.firm_name,
            "account_number": "5012345678901",
            "ifsc": "SBIN0001234",
            "bank_name": "State Bank of India",
        },
    }
    if record.sign_with == "dsc" and record.dsc_token:
        proprietor = "proprietor" in seed["nature_of_concern"].lower()
        token: dict[str, Any] = {
            "token": record.dsc_token,
            "cn": record.dsc_cert or record.name_as_per_pan,
            "pin": DEMO_SECRETS["DEMO_DSC_PIN"],
            "valid_to": "2030-12-31",
        }
        if proprietor or scenario == "pan-mismatch":
            wrong = "ZZZPZ9999Z" if scenario == "pan-mismatch" else record.pan
            token.update(type="individual", pan=wrong)
        else:
            token.update(type="organisation", org=record.name_as_per_pan)
        seed["dsc"] = [token]
    if record.sign_with == "aadhaar":
        seed["aadhaar"] = {
            "number": _aadhaar_number(record),
            "name": record.name_as_per_pan,
            "yob": record.dob.year,
            "mobile": record.mobile,
        }
    return seed


def build_seed(clients: list[tuple[ClientRecord, str]]) -> dict[str, Any]:
    """The body of ``POST /__mock__/seed`` for these clients and scenarios."""
    users = [
        {
            "email": r.portal_user,
            "password": DEMO_SECRETS["DEMO_PORTAL_PASSWORD"],
            "mobile": r.mobile,
            "name": r.name_as_per_pan,
        }
        for r, _ in clients
    ]
    return {"users": users, "iecs": [iec_seed(r, s) for r, s in clients]}
