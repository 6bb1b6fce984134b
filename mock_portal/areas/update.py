"""Update IEC: the annual update / modification application.

Update/Modify IEC → Start Fresh Application → (OTP re-verification of mobile and email when
they were last verified more than a year ago) → the form's sections (tabs,
``wording.SECTIONS``), each saved in turn with ``handleRequest&direction=next`` and
validated by the server [S: PORTAL.md section 6]; the first save gives the application its
number and draft id (``#applicationNumber``, ``#draftId``) → the Declaration (the check
box, Place and Date) → Sign and Submit (DSC or Aadhaar eSign) → acknowledgement.

Documents are uploaded inside the sections they belong to (``/CP/Upload``); State and
District are filled from the PIN Code (``pincodeData``). The one-click "No change in IEC
details – confirm" exists only behind the option ``no_change_button`` (``create_app`` or
``POST /__mock__/options``): no source shows it on the real portal. The draft lives in the
``drafts`` table, one per user.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_portal import pincodes, rules, signing, state, wording
from mock_portal.areas import testapi
from mock_portal.areas.dashboard import describe
from mock_portal.areas.update_form import (
    DOC_FIELDS,
    DRAFT_VERSION,
    SAVERS,
    bank_verification,
    changes,
    choices,
    new_draft,
    number_draft,
    save_declaration,
    upload_document,
)
from mock_portal.areas.update_form import apply as apply_draft
from mock_portal.web import DASHBOARD_URL, Ctx, _dispatch, action, web_url

SECTION_KEYS = [key for key, _ in wording.SECTIONS]
SECTION_TITLES = dict(wording.SECTIONS)
LAST = SECTION_KEYS[-1]  # the declaration, where the application is signed

CRUMBS: list[tuple[str, str | None]] = [
    ("Home", "/CP/"),
    ("Services", None),
    ("IEC Profile Management", None),
    ("Update IEC", None),
]

#: Mock options (``POST /__mock__/options``; reset with the rest of the state).
OPTION_KEYS = {"no_change_button", "renamed_inventions"}  # the latter: inventions.py


def no_change_button(ctx: Ctx) -> bool:
    """The unconfirmed one-click "no change" button: ``create_app(no_change_button=True)``
    or the test API's option."""
    if getattr(ctx.request.app.state, "no_change_button", False):
        return True
    return bool((state.get_meta(ctx.conn, "options") or {}).get("no_change_button"))


def _record_and_draft(ctx: Ctx) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    record = state.iec_of_user(ctx.conn, ctx.email)
    draft = state.get_draft(ctx.conn, ctx.email)
    if (
        record is None
        or draft is None
        or draft["iec"] != record["iec"]
        or draft.get("version") != DRAFT_VERSION
    ):
        return record, None
    return record, draft


def _landing(ctx: Ctx, *, error: str = "", message: str = "") -> Response:
    record, draft = _record_and_draft(ctx)
    return ctx.render(
        "update/landing.html",
        title="Update IEC",
        breadcrumb=CRUMBS,
        iec=describe(ctx.conn, record, ctx.now.date()) if record else None,
        has_draft=draft is not None,
        error=error or ("" if record else wording.NO_IEC_LINKED),
        message=message,
    )


@action("updateIec", methods=("GET",))
async def update_iec(ctx: Ctx) -> Response:
    return _landing(ctx)


@action("startFreshApplication", methods=("POST",))
async def start_fresh_application(ctx: Ctx) -> Response:
    record = state.iec_of_user(ctx.conn, ctx.email)
    if record is None:
        return _landing(ctx)
    if rules.blocking_application(ctx.conn, record["iec"], ctx.now.date()):
        return _landing(ctx, error=wording.ALREADY_SUBMITTED)
    draft = new_draft(record, ctx.now)
    state.put_draft(ctx.conn, ctx.email, draft)
    return _next_page(ctx, record, draft)


@action("continueApplication", methods=("POST",))
async def continue_application(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    return _next_page(ctx, record, draft)


def _next_page(
    ctx: Ctx,
    record: dict[str, Any],
    draft: dict[str, Any],
    message: str = "",
) -> Response:
    if not draft["verified"]:
        return _verify_page(ctx, record)
    if draft["no_change"]:
        return _section(ctx, record, draft, LAST, message=message)
    for key in SECTION_KEYS:
        if key not in draft["done"]:
            return _section(ctx, record, draft, key, message=message)
    return _section(ctx, record, draft, LAST, message=message)


# --- contact re-verification ------------------------------------------------------------------


def _verify_page(
    ctx: Ctx, record: dict[str, Any], *, otp_sent: bool = False, error: str = "", message: str = ""
) -> Response:
    verified = record.get("contacts_verified_on")
    return ctx.render(
        "update/verify_contacts.html",
        title="Verify Contact Details",
        breadcrumb=CRUMBS,
        record=record,
        info=wording.CONTACTS_REVERIFY.format(date=signing_date(verified) if verified else "never"),
        otp_sent=otp_sent,
        error=error,
        message=message,
    )


def signing_date(value: str) -> str:
    from mock_portal.eiec import display_date

    return display_date(value)


@action("sendContactOtp", methods=("POST",))
async def send_contact_otp(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    rules.issue_otp(
        ctx.conn,
        ctx.data,
        "upd_mobile",
        to=record["mobile"],
        channel="sms",
        purpose="IEC contact verification",
        now=ctx.now,
    )
    rules.issue_otp(
        ctx.conn,
        ctx.data,
        "upd_email",
        to=record["email"],
        channel="email",
        purpose="IEC contact verification",
        now=ctx.now,
    )
    return _verify_page(ctx, record, otp_sent=True, message=wording.OTP_SENT_BOTH)


@action("verifyContactOtp", methods=("POST",))
async def verify_contact_otp(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    for key, field, wrong in (
        ("upd_mobile", "mobileOtp", wording.OTP_MOBILE_WRONG),
        ("upd_email", "emailOtp", wording.OTP_EMAIL_WRONG),
    ):
        problem = rules.check_otp(ctx.data, key, ctx.field(field), ctx.now)
        if problem:
            error = wrong if problem == wording.OTP_WRONG else problem
            return _verify_page(ctx, record, otp_sent=True, error=error)
    rules.clear_otps(ctx.data, "upd_mobile", "upd_email")
    record["contacts_verified_on"] = ctx.now.date().isoformat()
    state.put_iec(ctx.conn, record)
    draft["verified"] = True
    state.put_draft(ctx.conn, ctx.email, draft)
    return _next_page(ctx, record, draft, message=wording.CONTACTS_VERIFIED)


# --- sections ---------------------------------------------------------------------------------


def _section(
    ctx: Ctx,
    record: dict[str, Any],
    draft: dict[str, Any],
    key: str,
    *,
    error: str = "",
    message: str = "",
    **extra: Any,
) -> Response:
    return ctx.render(
        f"update/section_{key}.html",
        title=f"Update IEC – {SECTION_TITLES[key]}",
        breadcrumb=[*CRUMBS, (SECTION_TITLES[key], None)],
        section=key,
        sections=wording.SECTIONS,
        record=record,
        draft=draft,
        error=error,
        message=message,
        changes=changes(record, draft),
        natures=choices(wording.NATURES_OF_CONCERN, record, "natureOfConcern"),
        categories=choices(wording.EXPORTER_CATEGORIES, record, "exporterCategory"),
        designations=wording.DESIGNATIONS,
        documents={field: label for field, label, _, _ in DOC_FIELDS},
        no_change_button=no_change_button(ctx),
        save_url=web_url("handleRequest", direction="next", section=key),
        **extra,
    )


def _allowed(draft: dict[str, Any], key: str) -> bool:
    if key == LAST and draft["no_change"]:
        return True
    index = SECTION_KEYS.index(key)
    return all(k in draft["done"] for k in SECTION_KEYS[:index])


@action("updateSection", methods=("GET",))
async def update_section(ctx: Ctx) -> Response:
    """Open a section (tab): one already saved, or the next to fill."""
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    if not draft["verified"]:
        return _verify_page(ctx, record)
    key = ctx.field("section")
    if key not in SECTION_KEYS or not _allowed(draft, key):
        return _next_page(ctx, record, draft)
    return _section(ctx, record, draft, key)


@action("handleRequest", methods=("POST",))
async def handle_request(ctx: Ctx) -> Response:
    """Save a section and go on (``direction=next``); the declaration's save signs."""
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    if not draft["verified"]:
        return _verify_page(ctx, record)
    key = ctx.field("section")
    if key not in SECTION_KEYS or not _allowed(draft, key) or ctx.field("direction") != "next":
        return _next_page(ctx, record, draft)
    if key == LAST:
        return _declare_and_sign(ctx, record, draft)
    outcome = await SAVERS[key](ctx, record, draft)
    if outcome is not None:  # stay on the section: an error, or an add/remove
        error, message = outcome
        state.put_draft(ctx.conn, ctx.email, draft)
        return _section(ctx, record, draft, key, error=error, message=message)
    if key not in draft["done"]:
        draft["done"].append(key)
    draft["no_change"] = False
    number_draft(ctx, draft)
    state.put_draft(ctx.conn, ctx.email, draft)
    nxt = SECTION_KEYS[SECTION_KEYS.index(key) + 1]
    message = wording.SECTION_SAVED.format(section=SECTION_TITLES[key])
    return _section(ctx, record, draft, nxt, message=message)


@action("noChangeConfirm", methods=("POST",))
async def no_change_confirm(ctx: Ctx) -> Response:
    """The one-click "no change" (only with the option ``no_change_button``)."""
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    if not no_change_button(ctx):
        return _next_page(ctx, record, draft)
    fresh = new_draft(record, ctx.now)
    fresh.update(verified=draft["verified"], no_change=True)
    number_draft(ctx, fresh)
    state.put_draft(ctx.conn, ctx.email, fresh)
    return _section(ctx, record, fresh, LAST, message=wording.NO_CHANGE_DONE)


@action("pincodeData")
async def pincode_data(ctx: Ctx) -> Response:
    """The state and district of a PIN Code, for the form's script (JSON)."""
    pin = ctx.field("pinCode")
    known = pincodes.lookup(pin)
    if known is None:
        return ctx.json({"pinCode": pin, "error": wording.FIELD_INVALID.format(field="PIN Code")})
    return ctx.json({"pinCode": pin, "state": known.state, "district": known.district})


@action("Upload", methods=("POST",))
async def upload(ctx: Ctx) -> Response:
    """A document uploaded inside its section (``/CP/Upload``, multipart): JSON."""
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return ctx.json({"error": wording.NO_OPEN_APPLICATION}, status=409)
    error, message = await upload_document(ctx, draft)
    if error:
        return ctx.json({"error": error})
    state.put_draft(ctx.conn, ctx.email, draft)
    field = ctx.field("docType")
    return ctx.json(
        {"docType": field, "name": draft["documents"][field]["name"], "message": message}
    )


async def upload_endpoint(request: Request) -> Response:
    return await _dispatch(request, public_endpoint=False, name_override="Upload")


# --- declare, sign and submit --------------------------------------------------------------------


def _declare_and_sign(ctx: Ctx, record: dict[str, Any], draft: dict[str, Any]) -> Response:
    if rules.blocking_application(ctx.conn, record["iec"], ctx.now.date()):
        return _landing(ctx, error=wording.ALREADY_SUBMITTED)
    problem = save_declaration(ctx, draft)
    number_draft(ctx, draft)
    state.put_draft(ctx.conn, ctx.email, draft)
    if problem:
        return _section(ctx, record, draft, LAST, error=problem)
    method = ctx.field("signMethod")
    if method == "dsc":
        sign = signing.new_sign_request(ctx, "update", record["iec"])
        return _section(ctx, record, draft, LAST, sign=sign)
    if method == "aadhaar":
        signers = [{"name": record["name_as_per_pan"], "yob": int(record["dob"][:4])}]
        signers += [
            {"name": p["name"], "yob": int(p["dob"][:4])}
            for p in record.get("directors") or []
            if p.get("dob")
        ]
        return signing.start_esign(
            ctx,
            purpose="update",
            payload={"iec": record["iec"]},
            signers=signers,
            description=f"Application for update of IEC {record['iec']}",
        )
    return _section(ctx, record, draft, LAST, error=wording.SIGN_METHOD_REQUIRED)


@action("updateDscSubmit", methods=("POST",))
async def update_dsc_submit(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    problem = signing.verify_dsc(ctx, "update", record)
    if problem:
        sign = signing.new_sign_request(ctx, "update", record["iec"])
        return _section(ctx, record, draft, LAST, error=problem, sign=sign, autostart=False)
    return _complete(ctx, record, draft, "dsc")


async def _complete_esign(ctx: Ctx, txn: dict[str, Any]) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    return _complete(ctx, record, draft, "aadhaar")


signing.ESIGN_COMPLETERS["update"] = _complete_esign


def _complete(
    ctx: Ctx,
    record: dict[str, Any],
    draft: dict[str, Any],
    signed_with: str,
) -> Response:
    today = ctx.now.date()
    if rules.blocking_application(ctx.conn, record["iec"], today):
        return _landing(ctx, error=wording.ALREADY_SUBMITTED)
    changed = changes(record, draft)
    bank_status, remarks = bank_verification(record, draft)
    needs_ra = any(k in changed for k in ("nature_of_concern", "directors"))
    if bank_status == wording.BANK_FAILED:
        status = wording.APP_DEFICIENT
    elif bank_status == wording.BANK_IN_PROGRESS or needs_ra:
        status = wording.APP_IN_PROGRESS
    else:
        status = wording.APP_APPROVED
    ack = state.add_application(
        ctx.conn,
        iec=record["iec"],
        kind="update",
        user=ctx.email,
        submitted_at=ctx.now,
        fy=rules.financial_year(today),
        signed_with=signed_with,
        status=status,
        bank_status=bank_status,
        changes=changed,
        ack=draft.get("application_number"),
        remarks=remarks,
        declaration=draft["declaration"],
    )
    if status == wording.APP_APPROVED:
        apply_draft(record, draft)
        record["last_updated"] = today.isoformat()
        record["status"] = "active"
        state.put_iec(ctx.conn, record)
    state.delete_draft(ctx.conn, ctx.email)
    ctx.data["last_ack"] = ack
    return ctx.redirect(web_url("acknowledgement", ack=ack))


@action("acknowledgement", methods=("GET",))
async def acknowledgement(ctx: Ctx) -> Response:
    ack = ctx.field("ack")
    record = state.iec_of_user(ctx.conn, ctx.email)
    apps = (
        [a for a in state.applications(ctx.conn, iec=record["iec"]) if a["ack"] == ack]
        if (record)
        else []
    )
    if not apps:
        return ctx.redirect(DASHBOARD_URL)
    return ctx.render(
        "update/acknowledgement.html",
        title="Acknowledgement",
        breadcrumb=[*CRUMBS, ("Acknowledgement", None)],
        app=apps[0],
        iec=describe(ctx.conn, record, ctx.now.date()) if record else None,
        message=wording.SUBMIT_SUCCESS,
    )


# --- mock options (test mode) ----------------------------------------------------------------


async def options(request: Request, conn: sqlite3.Connection) -> Response:
    """``POST /__mock__/options {"no_change_button": true}``; ``GET`` reads them."""
    if request.method == "POST":
        body = await request.json()
        unknown = set(body) - OPTION_KEYS
        if unknown:
            raise ValueError(f"unknown option keys: {sorted(unknown)}")
        state.set_meta(conn, "options", {k: v for k, v in body.items() if v})
    return JSONResponse(state.get_meta(conn, "options") or {})


ROUTES = [
    Route("/CP/Upload", upload_endpoint, methods=["POST"]),
    Route("/__mock__/options", testapi.guarded(options), methods=["GET", "POST"]),
]
