"""What Link IEC and Update IEC share about signing: DSC through emBridge, or Aadhaar eSign.

DSC: the portal makes a ``dataToSign`` (a nonce kept in the session), the page's
``embridge.js`` signs it on the user's token and the page posts ``signedText`` and
``certificate`` back; :func:`verify_dsc` checks the signature and the token-type rules
(``dsc.check_token_rules``).

Aadhaar: :func:`start_esign` records an eSign transaction and sends the browser to the
simulated eSign provider (``/esign/auth``); the provider sends it back to
``actionVal=esignResponse``, which calls the completer registered for the purpose.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from starlette.responses import Response

from mock_portal import state, wording
from mock_portal.web import Ctx

#: purpose → coroutine completing the journey after a successful eSign.
ESIGN_COMPLETERS: dict[str, Callable[[Ctx, dict[str, Any]], Awaitable[Response]]] = {}


def parse_date(text: str) -> date | None:
    """Dates as typed in the portal's forms: ``DD/MM/YYYY`` (or ``DD-MM-YYYY``, ISO)."""
    text = text.strip()
    for sep in ("/", "-"):
        parts = text.split(sep)
        if len(parts) == 3 and len(parts[2]) == 4:
            try:
                return date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def norm_name(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def new_sign_request(ctx: Ctx, purpose: str, iec: str) -> dict[str, str]:
    nonce = uuid.uuid4().hex
    data = f"DGFT|{purpose.upper()}|{iec}|{nonce}|{ctx.now.isoformat()}"
    ctx.data["sign"] = {"purpose": purpose, "iec": iec, "data": data}
    return {"data_to_sign": data, "embridge_url": ctx.embridge_url()}


def verify_dsc(ctx: Ctx, purpose: str, record: dict[str, Any]) -> str | None:
    """None when the posted signature is good and the DSC acceptable, else the message."""
    from mock_portal import dsc

    request = ctx.data.get("sign")
    if not request or request.get("purpose") != purpose or request.get("iec") != record["iec"]:
        return wording.SIGN_EXPIRED
    certificate, signed = ctx.field("certificate"), ctx.field("signedText")
    if not certificate or not signed:
        return wording.SIGN_INVALID
    if not dsc.verify_signature(certificate, request["data"], signed):
        return wording.SIGN_INVALID
    problem = dsc.check_token_rules(
        certificate,
        iec=record["iec"],
        pan=record["pan"],
        name_as_per_pan=record["name_as_per_pan"],
        nature_of_concern=record.get("nature_of_concern", ""),
        now=ctx.now,
    )
    if problem is None:
        ctx.data.pop("sign", None)
    return problem


def start_esign(
    ctx: Ctx,
    *,
    purpose: str,
    payload: dict[str, Any],
    signers: list[dict[str, Any]],
    description: str,
) -> Response:
    """``signers``: the (name, yob) pairs the Aadhaar holder must match."""
    tid = state.create_esign_txn(
        ctx.conn,
        session_id=ctx.session.id,
        purpose=purpose,
        payload={**payload, "signers": signers, "description": description},
        created_at=ctx.now,
    )
    return ctx.redirect(f"/esign/auth?txn={tid}")


def aadhaar_matches(aadhaar: dict[str, Any], signers: list[dict[str, Any]]) -> bool:
    return any(
        norm_name(aadhaar.get("name")) == norm_name(s.get("name"))
        and int(aadhaar.get("yob") or 0) == int(s.get("yob") or -1)
        for s in signers
    )
