"""View IEC Details and Print e-IEC (Services → IEC Profile Management)."""

from __future__ import annotations

from starlette.responses import Response

from mock_portal import eiec, state, wording
from mock_portal.areas.dashboard import describe
from mock_portal.web import DASHBOARD_URL, Ctx, action


@action("viewIecDetails", methods=("GET",))
async def view_iec_details(ctx: Ctx) -> Response:
    record = state.iec_of_user(ctx.conn, ctx.email)
    return ctx.render(
        "iec/view.html",
        title="View IEC Details",
        breadcrumb=[
            ("Home", "/CP/"),
            ("Services", None),
            ("IEC Profile Management", None),
            ("View IEC Details", None),
        ],
        iec=describe(ctx.conn, record, ctx.now.date()) if record else None,
        error="" if record else wording.NO_IEC_LINKED,
    )


@action("printEIEC", methods=("GET",))
async def print_eiec(ctx: Ctx) -> Response:
    record = state.iec_of_user(ctx.conn, ctx.email)
    if record is None:
        ctx.data["flash"] = ""
        return ctx.redirect(DASHBOARD_URL)
    view = describe(ctx.conn, record, ctx.now.date())
    pdf = eiec.render(view, generated_at=ctx.now)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="e-IEC_{record["iec"]}.pdf"'},
    )
