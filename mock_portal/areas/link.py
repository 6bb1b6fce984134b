"""Link IEC: IEC Number → Validate → "E-sign with Aadhaar" or "Validate with DSC"."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from mock_portal import signing, state, wording
from mock_portal.web import DASHBOARD_URL, Ctx, action

IEC_RE = re.compile(r"^[A-Z0-9]{10}$")
PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
CRUMBS: list[tuple[str, str | None]] = [
    ("Home", "/CP/"),
    ("My Dashboard", DASHBOARD_URL),
    ("Link IEC", None),
]


def _page(ctx: Ctx, step: str, *, error: str = "", message: str = "", **kw: Any) -> Response:
    link = ctx.data.get("link") or {}
    record = state.get_iec(ctx.conn, link["iec"]) if link.get("iec") else None
    return ctx.render(
        "link/link.html",
        title="Link IEC",
        breadcrumb=CRUMBS,
        step=step,
        error=error,
        message=message,
        record=record,
        **kw,
    )


def _own_iec_error(ctx: Ctx) -> str:
    own = state.iec_of_user(ctx.conn, ctx.email)
    return wording.IEC_ONE_PER_USER.format(iec=own["iec"]) if own else ""


@action("linkIec", methods=("GET",))
async def link_iec(ctx: Ctx) -> Response:
    ctx.data.pop("link", None)
    error = _own_iec_error(ctx)
    return _page(ctx, "blocked" if error else "enter", error=error)


@action("validateIec", methods=("POST",))
async def validate_iec(ctx: Ctx) -> Response:
    iec = ctx.field("iecNumber").upper()
    ctx.data.pop("link", None)
    error = _own_iec_error(ctx)
    if error:
        return _page(ctx, "blocked", error=error)
    if not IEC_RE.match(iec):
        return _page(ctx, "enter", error=wording.IEC_FORMAT, iec=iec)
    record = state.get_iec(ctx.conn, iec)
    if record is None:
        return _page(ctx, "enter", error=wording.IEC_NOT_FOUND, iec=iec)
    if record.get("linked_user") and record["linked_user"] != ctx.email:
        return _page(ctx, "enter", error=wording.IEC_LINKED_OTHER, iec=iec)
    ctx.data["link"] = {"iec": iec}
    return _page(ctx, "choose", message=wording.IEC_VALIDATED)


def _linking(ctx: Ctx) -> dict[str, Any] | None:
    link = ctx.data.get("link")
    return state.get_iec(ctx.conn, link["iec"]) if link else None


# --- Aadhaar route -------------------------------------------------------------------------


@action("linkIecAadhaar")
async def link_iec_aadhaar(ctx: Ctx) -> Response:
    record = _linking(ctx)
    if record is None:
        return await link_iec(ctx)
    if ctx.method == "GET":
        return _page(ctx, "aadhaar", values={})
    values = {
        "pan": ctx.field("pan").upper(),
        "namePan": ctx.field("namePan"),
        "dob": ctx.field("dob"),
    }
    error = _check_pan(ctx, record, values)
    if error:
        return _page(ctx, "aadhaar", error=error, values=values)
    dob = signing.parse_date(values["dob"])
    assert dob is not None
    return signing.start_esign(
        ctx,
        purpose="link",
        payload={"iec": record["iec"], "pan": values["pan"]},
        signers=[{"name": values["namePan"], "yob": dob.year}],
        description=f"Link IEC {record['iec']} to the DGFT user profile {ctx.email}",
    )


def _check_pan(ctx: Ctx, record: dict[str, Any], values: dict[str, str]) -> str:
    pan, name = values["pan"], values["namePan"]
    if not PAN_RE.match(pan):
        return wording.PAN_FORMAT
    if not name:
        return wording.FIELD_REQUIRED.format(field="Name as per PAN")
    dob = signing.parse_date(values["dob"])
    if dob is None:
        return wording.FIELD_INVALID.format(field="Date of Birth (DD/MM/YYYY)")
    people = [
        {"pan": record["pan"], "name": record["name_as_per_pan"]},
        *record.get("directors", []),
    ]
    pans = {(p.get("pan") or "").upper() for p in people}
    if pan not in pans:
        # No PAN matches: only the name is matched [S].
        names = {signing.norm_name(p.get("name")) for p in people}
        if signing.norm_name(name) not in names:
            return wording.PAN_NOT_OF_IEC
    tax = state.pan_record(ctx.conn, pan)
    if tax is None:
        return wording.PAN_UNKNOWN
    if signing.norm_name(tax["name"]) != signing.norm_name(name):
        return wording.PAN_NAME_MISMATCH
    if tax["dob"] != dob.isoformat():
        return wording.PAN_DOB_MISMATCH
    return ""


async def _complete_esign(ctx: Ctx, txn: dict[str, Any]) -> Response:
    record = state.get_iec(ctx.conn, txn["payload"]["iec"])
    assert record is not None
    return _complete(ctx, record, "aadhaar")


signing.ESIGN_COMPLETERS["link"] = _complete_esign


# --- DSC route -----------------------------------------------------------------------------


@action("linkIecDsc", methods=("POST",))
async def link_iec_dsc(ctx: Ctx) -> Response:
    record = _linking(ctx)
    if record is None:
        return await link_iec(ctx)
    sign = signing.new_sign_request(ctx, "link", record["iec"])
    return _page(ctx, "dsc", sign=sign)


@action("linkIecDscSubmit", methods=("POST",))
async def link_iec_dsc_submit(ctx: Ctx) -> Response:
    record = _linking(ctx)
    if record is None:
        return await link_iec(ctx)
    problem = signing.verify_dsc(ctx, "link", record)
    if problem:
        sign = signing.new_sign_request(ctx, "link", record["iec"])
        return _page(ctx, "dsc", sign=sign, error=problem, autostart=False)
    return _complete(ctx, record, "dsc")


def _complete(ctx: Ctx, record: dict[str, Any], signed_with: str) -> Response:
    from mock_portal import rules

    error = _own_iec_error(ctx)
    if error and record.get("linked_user") != ctx.email:
        return _page(ctx, "blocked", error=error)
    if record.get("linked_user") and record["linked_user"] != ctx.email:
        return _page(ctx, "enter", error=wording.IEC_LINKED_OTHER)
    record["linked_user"] = ctx.email
    state.put_iec(ctx.conn, record)
    state.add_application(
        ctx.conn,
        iec=record["iec"],
        kind="link",
        user=ctx.email,
        submitted_at=ctx.now,
        fy=rules.financial_year(ctx.now.date()),
        signed_with=signed_with,
        status=wording.APP_APPROVED,
        bank_status=None,
        changes={},
    )
    ctx.data.pop("link", None)
    ctx.data["flash"] = wording.LINK_SUCCESS.format(iec=record["iec"])
    return ctx.redirect(DASHBOARD_URL)
