"""Batches: the list (newest first, paginated) and a batch's page, live."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rpa.console.auth import Role, require
from rpa.console.render import render


async def batch_list(request: Request) -> Response:
    await require(request, Role.VIEWER)
    return render(request, "batches.html", {"batches": []})


routes: list[BaseRoute] = [Route("/batches", batch_list)]
