"""The simulated Aadhaar eSign Service Provider (``/esign/...``) and the portal's return.

The provider's pages are plain forms (no portal JavaScript): Aadhaar Number / VID, a consent
checkbox, "Get OTP" (a 6-digit OTP to the Aadhaar-linked mobile, via the outbox; error 112
when the Aadhaar has no mobile), then "Verify" (or "Resend OTP"), then a redirect back to
``/CP/web?...&actionVal=esignResponse&txn=<id>``. Each form carries the transaction's own
token; a POST without it is refused (403).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mock_portal import rules, signing, state, wording
from mock_portal.web import Ctx, Settings, action, env, web_url

AADHAAR_RE = re.compile(r"^\d{12}$|^\d{16}$")


def _page(
    txn: dict[str, Any] | None,
    *,
    step: str,
    error: str = "",
    message: str = "",
    status: int = 200,
    **kw: Any,
) -> HTMLResponse:
    html = env.get_template("esign/esign.html").render(
        txn=txn, step=step, error=error, message=message, **kw
    )
    return HTMLResponse(html, status_code=status)


def _masked(mobile: str) -> str:
    return "XXXXXX" + mobile[-4:]


def _send_otp(conn: sqlite3.Connection, txn: dict[str, Any], mobile: str, now: datetime) -> None:
    otp = rules.new_otp()
    state.update_esign_txn(conn, txn["id"], otp=otp, otp_sent_at=now.isoformat())
    state.send(
        conn,
        to=mobile,
        channel="sms",
        otp=otp,
        sent_at=now,
        text=wording.otp_sms(otp, "Aadhaar eSign"),
    )


async def _context(request: Request) -> tuple[sqlite3.Connection, dict[str, Any] | None]:
    settings: Settings = request.app.state.settings
    conn = state.connect(settings.db_path)
    tid = request.query_params.get("txn", "")
    if request.method == "POST":
        form = await request.form()
        tid = str(form.get("txn") or tid)
    txn = state.get_esign_txn(conn, tid) if tid else None
    return conn, txn


async def esign_auth(request: Request) -> Response:
    conn, txn = await _context(request)
    try:
        if txn is None or txn["state"] not in ("new", "otp"):
            return _page(None, step="invalid", error=wording.ESP_TXN_UNKNOWN, status=404)
        return _page(txn, step="aadhaar")
    finally:
        conn.close()


async def esign_action(request: Request) -> Response:
    """POST /esign/{op}: otp (Get OTP), resend (Resend OTP), verify (Verify), cancel."""
    op = request.path_params["op"]
    conn, txn = await _context(request)
    try:
        if txn is None or txn["state"] not in ("new", "otp"):
            return _page(None, step="invalid", error=wording.ESP_TXN_UNKNOWN, status=404)
        form = await request.form()
        if form.get("_token") != txn["token"]:
            return HTMLResponse(f"<h1>403 Forbidden</h1><p>{wording.CSRF_REFUSED}</p>", 403)
        now = state.now(conn)
        if op == "cancel":
            state.update_esign_txn(conn, txn["id"], state="cancelled")
            return RedirectResponse(web_url("esignResponse", txn=txn["id"]), status_code=303)
        if op == "otp":
            return _get_otp(conn, txn, str(form.get("aadhaar") or ""), form.get("consent"), now)
        if op == "resend":
            holder = state.find_aadhaar(conn, (txn["aadhaar"] or {}).get("number", ""))
            if holder is None or not holder["mobile"]:
                return _page(txn, step="aadhaar", error=wording.ESP_TXN_UNKNOWN)
            _send_otp(conn, txn, holder["mobile"], now)
            return _page(
                txn,
                step="otp",
                masked=_masked(holder["mobile"]),
                message=wording.ESP_OTP_SENT.format(masked=_masked(holder["mobile"])),
            )
        if op == "verify":
            return _verify(conn, txn, str(form.get("otp") or "").strip(), now)
        return _page(txn, step="aadhaar", status=404)
    finally:
        conn.close()


def _get_otp(
    conn: sqlite3.Connection, txn: dict[str, Any], aadhaar: str, consent: Any, now: datetime
) -> Response:
    aadhaar = aadhaar.replace(" ", "")
    if not AADHAAR_RE.match(aadhaar):
        return _page(txn, step="aadhaar", error=wording.ESP_AADHAAR_FORMAT, aadhaar=aadhaar)
    if consent != "on":
        return _page(txn, step="aadhaar", error=wording.ESP_CONSENT, aadhaar=aadhaar)
    holder = state.find_aadhaar(conn, aadhaar)
    if holder is None:
        return _page(txn, step="aadhaar", error=wording.ESP_UNKNOWN, aadhaar=aadhaar)
    if not holder["mobile"]:
        return _page(
            txn, step="aadhaar", error=wording.ESP_NO_MOBILE, aadhaar=aadhaar, error_code="112"
        )
    info = {"number": holder["number"], "name": holder["name"], "yob": holder["yob"]}
    state.update_esign_txn(conn, txn["id"], state="otp", aadhaar=info)
    _send_otp(conn, txn, holder["mobile"], now)
    masked = _masked(holder["mobile"])
    return _page(
        state.get_esign_txn(conn, txn["id"]),
        step="otp",
        masked=masked,
        message=wording.ESP_OTP_SENT.format(masked=masked),
    )


def _verify(conn: sqlite3.Connection, txn: dict[str, Any], otp: str, now: datetime) -> Response:
    holder = state.find_aadhaar(conn, (txn["aadhaar"] or {}).get("number", ""))
    masked = _masked(holder["mobile"]) if holder is not None and holder["mobile"] else ""
    if txn["state"] != "otp" or not txn["otp"]:
        return _page(txn, step="aadhaar", error=wording.OTP_NOT_SENT)
    if now - datetime.fromisoformat(txn["otp_sent_at"]) > rules.OTP_VALIDITY:
        return _page(txn, step="otp", error=wording.OTP_EXPIRED, masked=masked)
    if otp != txn["otp"]:
        return _page(txn, step="otp", error=wording.OTP_WRONG, masked=masked)
    state.update_esign_txn(conn, txn["id"], state="signed")
    return RedirectResponse(web_url("esignResponse", txn=txn["id"]), status_code=303)


ROUTES = [
    Route("/esign/auth", esign_auth, methods=["GET"]),
    Route("/esign/{op}", esign_action, methods=["POST"]),
]


# --- back on the portal -------------------------------------------------------------------------


@action("esignResponse", methods=("GET",))
async def esign_response(ctx: Ctx) -> Response:
    txn = state.get_esign_txn(ctx.conn, ctx.field("txn"))
    if txn is None or txn["state"] not in ("signed", "cancelled"):
        return ctx.redirect(web_url("dashboard"))
    purpose = txn["purpose"]
    state.update_esign_txn(ctx.conn, txn["id"], state="used")
    back = web_url("linkIec") if purpose == "link" else web_url("updateIec")
    if txn["state"] == "cancelled":
        return _failure(ctx, wording.ESIGN_CANCELLED, back)
    if not signing.aadhaar_matches(txn["aadhaar"] or {}, txn["payload"]["signers"]):
        return _failure(ctx, wording.AADHAAR_MISMATCH, back)
    return await signing.ESIGN_COMPLETERS[purpose](ctx, txn)


def _failure(ctx: Ctx, error: str, back: str) -> Response:
    return ctx.render(
        "esign/failed.html",
        title="Aadhaar eSign",
        breadcrumb=[("Home", "/CP/"), ("Aadhaar eSign", None)],
        error=error,
        back=back,
    )
