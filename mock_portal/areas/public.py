"""Public pages: the landing page, ``/CP/?opt=<slug>`` pages and captcha images."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_portal import captcha, rules, state
from mock_portal.web import Ctx, Settings, action, not_found

#: ``opt`` slug → (template, title). Slugs as on the real portal [S].
OPT_PAGES = {
    "iec-profile-management-help": ("public/iec_help.html", "IEC Profile Management"),
    "LIEC": ("public/liec.html", "List of IECs due for de-activation"),
    "notification": ("public/notices.html", "Notifications"),
    "trade-notice": ("public/notices.html", "Trade Notices"),
}


@action("home", login=False, methods=("GET",))
async def home(ctx: Ctx) -> Response:
    opt = ctx.request.query_params.get("opt")
    if not opt:
        return ctx.render("public/home.html", title="Home", breadcrumb=[("Home", None)])
    if opt not in OPT_PAGES:
        return not_found()
    template, title = OPT_PAGES[opt]
    extra: dict[str, Any] = {}
    if opt == "LIEC":
        today = ctx.now.date()
        fy = rules.financial_year(today)
        due = []
        for record in state.all_iecs(ctx.conn):
            if rules.due_for_deactivation(record, today):
                status = rules.effective_status(ctx.conn, record, today)
                due.append({**record, "status_word": rules.status_words(status)[0]})
        extra = {"due": due, "fy": f"{fy}-{(fy + 1) % 100:02d}"}
    return ctx.render(template, title=title, breadcrumb=[("Home", "/CP/"), (title, None)], **extra)


def new_captcha(ctx: Ctx) -> str:
    return state.create_captcha(ctx.conn, captcha.new_answer())


async def captcha_image(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    conn = state.connect(settings.db_path)
    try:
        answer = state.captcha_answer(conn, request.query_params.get("id", ""))
    finally:
        conn.close()
    if answer is None:
        return Response(status_code=404)
    png = captcha.render_png(answer, seed=request.query_params.get("id", ""))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@action("refreshCaptcha", login=False, methods=("POST",))
async def refresh_captcha(ctx: Ctx) -> Response:
    cid = new_captcha(ctx)
    return ctx.json({"captchaId": cid, "imageUrl": f"/CP/captchaImage?id={cid}"})
