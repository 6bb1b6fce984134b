"""Update IEC: the annual update / modification application.

Update/Modify IEC → Start Fresh Application → (OTP re-verification of mobile and email when
they were last verified more than a year ago) → sections, each validated server-side in
turn (``wording.SECTIONS``) → Preview → Sign and Submit (DSC or Aadhaar eSign) →
acknowledgement. "No change in IEC details – confirm" jumps from the first section straight
to the Preview. The draft lives in the ``drafts`` table, one per user.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mock_portal import rules, signing, state, wording
from mock_portal.areas.dashboard import describe
from mock_portal.areas.update_form import SAVERS, changes, new_draft
from mock_portal.areas.update_form import apply as apply_draft
from mock_portal.web import DASHBOARD_URL, Ctx, action

SECTION_KEYS = [key for key, _ in wording.SECTIONS]
SECTION_TITLES = dict(wording.SECTIONS)

CRUMBS: list[tuple[str, str | None]] = [
    ("Home", "/CP/"),
    ("Services", None),
    ("IEC Profile Management", None),
    ("Update IEC", None),
]


def _record_and_draft(ctx: Ctx) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    record = state.iec_of_user(ctx.conn, ctx.email)
    draft = state.get_draft(ctx.conn, ctx.email)
    if record is None or draft is None or draft["iec"] != record["iec"]:
        return record, None
    return record, draft


def _landing(ctx: Ctx, *, error: str = "", message: str = "") -> Response:
    record = state.iec_of_user(ctx.conn, ctx.email)
    draft = state.get_draft(ctx.conn, ctx.email) if record else None
    return ctx.render(
        "update/landing.html",
        title="Update IEC",
        breadcrumb=CRUMBS,
        iec=describe(ctx.conn, record, ctx.now.date()) if record else None,
        has_draft=draft is not None and record is not None and draft["iec"] == record["iec"],
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
        return _section(ctx, record, draft, "preview", message=message)
    for key in SECTION_KEYS:
        if key not in draft["done"]:
            return _section(ctx, record, draft, key, message=message)
    return _section(ctx, record, draft, "preview", message=message)


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
        natures=wording.NATURES_OF_CONCERN,
        categories=wording.EXPORTER_CATEGORIES,
        designations=wording.DESIGNATIONS,
        states=wording.STATES,
        **extra,
    )


def _allowed(draft: dict[str, Any], key: str) -> bool:
    if key == "preview" and draft["no_change"]:
        return True
    index = SECTION_KEYS.index(key)
    return all(k in draft["done"] for k in SECTION_KEYS[:index])


@action("updateSection")
async def update_section(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    if not draft["verified"]:
        return _verify_page(ctx, record)
    key = ctx.field("section") or "general"
    if key not in SECTION_KEYS or not _allowed(draft, key):
        return _next_page(ctx, record, draft)
    if ctx.method == "GET" or key == "preview":
        return _section(ctx, record, draft, key)
    saver = SAVERS[key]
    outcome = await saver(ctx, record, draft)
    if outcome is not None:  # stay on the section: an error or an add/remove
        error, message = outcome
        state.put_draft(ctx.conn, ctx.email, draft)
        return _section(ctx, record, draft, key, error=error, message=message)
    if key not in draft["done"]:
        draft["done"].append(key)
    draft["no_change"] = False
    state.put_draft(ctx.conn, ctx.email, draft)
    nxt = SECTION_KEYS[SECTION_KEYS.index(key) + 1]
    message = wording.SECTION_SAVED.format(section=SECTION_TITLES[key])
    return _section(ctx, record, draft, nxt, message=message)


@action("noChangeConfirm", methods=("POST",))
async def no_change_confirm(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    fresh = new_draft(record, ctx.now)
    fresh.update(verified=draft["verified"], no_change=True)
    state.put_draft(ctx.conn, ctx.email, fresh)
    return _section(ctx, record, fresh, "preview", message=wording.NO_CHANGE_DONE)


# --- sign and submit ----------------------------------------------------------------------------


@action("submitUpdate", methods=("POST",))
async def submit_update(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    if not _allowed(draft, "preview"):
        return _next_page(ctx, record, draft)
    if rules.blocking_application(ctx.conn, record["iec"], ctx.now.date()):
        return _landing(ctx, error=wording.ALREADY_SUBMITTED)
    if ctx.field("declaration") != "on":
        return _section(ctx, record, draft, "preview", error=wording.DECLARATION_REQUIRED)
    method = ctx.field("signMethod")
    if method == "dsc":
        sign = signing.new_sign_request(ctx, "update", record["iec"])
        return _section(ctx, record, draft, "preview", sign=sign)
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
    return _section(ctx, record, draft, "preview", error=wording.SIGN_METHOD_REQUIRED)


@action("updateDscSubmit", methods=("POST",))
async def update_dsc_submit(ctx: Ctx) -> Response:
    record, draft = _record_and_draft(ctx)
    if record is None or draft is None:
        return _landing(ctx)
    problem = signing.verify_dsc(ctx, "update", record)
    if problem:
        sign = signing.new_sign_request(ctx, "update", record["iec"])
        return _section(ctx, record, draft, "preview", error=problem, sign=sign, autostart=False)
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
    account = draft["bank"].get("accountNumber", "")
    bank_status = wording.bank_status_for(account)
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
    )
    if status == wording.APP_APPROVED:
        apply_draft(record, draft)
        record["last_updated"] = today.isoformat()
        record["status"] = "active"
        state.put_iec(ctx.conn, record)
    state.delete_draft(ctx.conn, ctx.email)
    ctx.data["last_ack"] = ack
    return ctx.redirect(web_url_ack(ack))


def web_url_ack(ack: str) -> str:
    from mock_portal.web import web_url

    return web_url("acknowledgement", ack=ack)


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
