"""The dashboard after login, and the IEC details the other pages show."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from starlette.responses import Response

from mock_portal import rules, state, wording
from mock_portal.web import DASHBOARD_URL, Ctx, action

CRUMBS: list[tuple[str, str | None]] = [("Home", "/CP/"), ("My Dashboard", None)]


def describe(conn: sqlite3.Connection, record: dict[str, Any], today: date) -> dict[str, Any]:
    """An IEC record with its effective status and the status wording."""
    status = rules.effective_status(conn, record, today)
    word, detail = rules.status_words(status)
    apps = state.applications(conn, iec=record["iec"], kind="update")
    return {
        **record,
        "status": status,
        "status_word": word,
        "status_detail": detail,
        "latest_application": apps[0] if apps else None,
    }


@action("dashboard", methods=("GET",))
async def dashboard(ctx: Ctx) -> Response:
    record = state.iec_of_user(ctx.conn, ctx.email)
    return ctx.render(
        "dashboard/dashboard.html",
        title="My Dashboard",
        breadcrumb=CRUMBS,
        iec=describe(ctx.conn, record, ctx.now.date()) if record else None,
        message=ctx.data.pop("flash", ""),
    )


@action("applyIec", methods=("GET",))
async def apply_iec(ctx: Ctx) -> Response:
    return ctx.render(
        "dashboard/apply.html",
        title="Apply IEC",
        breadcrumb=[*CRUMBS[:1], ("My Dashboard", DASHBOARD_URL), ("Apply IEC", None)],
        message=wording.APPLY_IEC_INFO,
    )
