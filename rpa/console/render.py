"""Pages rendered on the server: Jinja2 (autoescape on) with one base layout.

``render(request, "batches.html", {...})`` gives every template ``request``, ``user`` (or
None), ``csrf_token`` (forms put it in a hidden field ``csrf_token``), ``nav`` (the
console's sections, the current one marked) and ``now_ist``; the filters of
``rpa.console.words`` (``ist``, ``outcome_words``, ``tone``...) are registered.
Templates live in ``rpa/console/templates/``; ``base.html`` is the layout every page
extends (blocks ``title`` and ``main``).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES_DIR = Path(__file__).parent / "templates"
IST = ZoneInfo("Asia/Kolkata")

#: The console's sections, as the nav lists them: (label, path).
NAV: tuple[tuple[str, str], ...] = (
    ("Batches", "/batches"),
    ("Challenges", "/challenges"),
    ("Clients", "/clients"),
    ("Reports", "/reports"),
)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        from rpa.console import words
    except ImportError:  # pragma: no cover - words.py lands with engineer C's commit
        pass
    else:
        words.register(env)
    return env


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """``template`` rendered in the base layout, as an HTML response."""
    from rpa.console.auth import csrf_token, current_user

    path = request.url.path
    page = (
        environment()
        .get_template(template)
        .render(
            {
                "request": request,
                "user": current_user(request),
                "csrf_token": csrf_token(request),
                "nav": [(label, href, path.startswith(href)) for label, href in NAV],
                "now_ist": datetime.now(UTC).astimezone(IST).strftime("%d %b %Y, %H:%M IST"),
                **context,
            }
        )
    )
    return HTMLResponse(page, status_code=status)
