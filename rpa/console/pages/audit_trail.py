"""The audit trail (admins): who did what in the console, newest first, 100 a page;
``?who=`` and ``?action=`` narrow it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rpa.console.auth import Role, require
from rpa.console.deps import people
from rpa.console.render import render

PER_PAGE = 100


async def audit_page(request: Request) -> Response:
    await require(request, Role.ADMIN)
    who = request.query_params.get("who") or None
    action = request.query_params.get("action") or None
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    rows = people(request).audit(
        who=who, action=action, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE
    )
    return render(
        request,
        "audit.html",
        {
            "rows": rows[:PER_PAGE],
            "more": len(rows) > PER_PAGE,
            "page": page,
            "who": who or "",
            "action": action or "",
        },
    )


routes: list[BaseRoute] = [Route("/audit", audit_page)]
