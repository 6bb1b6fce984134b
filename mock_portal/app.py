"""The app factory: routes, middlewares, settings."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mock_portal import state
from mock_portal.areas import (  # noqa: F401  (importing registers the actions)
    auth,
    dashboard,
    esign,
    iec,
    link,
    public,
    testapi,
    update,
)
from mock_portal.inventions import RenameMiddleware
from mock_portal.middleware import FaultInjector, FaultMiddleware, SessionMiddleware
from mock_portal.web import Settings, home_endpoint, web_endpoint, webhp_endpoint

STATIC = Path(__file__).parent / "static"


async def _root(request: Request) -> Response:
    return RedirectResponse("/CP/", status_code=302)


def create_app(
    db_path: str,
    *,
    test_mode: bool = False,
    embridge_url: str = "http://127.0.0.1:26769",
    session_ttl_s: float = 900.0,
    closed_embridge_url: str = "http://127.0.0.1:9",
    no_change_button: bool = False,
    renamed_inventions: bool = False,
) -> Starlette:
    """Build the mock DGFT portal on the SQLite file ``db_path`` (created if missing).

    ``embridge_url`` is where the signing pages' JavaScript finds emBridge;
    ``closed_embridge_url`` is used instead while the fault ``embridge_down`` is on.
    ``no_change_button`` shows Update IEC's one-click "no change" confirmation, which no
    source shows on the real portal (also ``POST /__mock__/options``).
    ``renamed_inventions`` spells every invented id, class and wording another way
    (``mock_portal/inventions.py``; also ``POST /__mock__/options`` in test mode): a check
    that the agent does not depend on them.
    """
    state.init_db(db_path)
    injector = FaultInjector()
    settings = Settings(
        db_path=db_path,
        test_mode=test_mode,
        embridge_url=embridge_url.rstrip("/"),
        session_ttl_s=session_ttl_s,
        closed_embridge_url=closed_embridge_url,
        injector=injector,
    )
    routes = [
        Route("/", _root),
        Route("/CP", _root),
        Route("/CP/", home_endpoint, methods=["GET"]),
        Route("/CP/index.jsp", home_endpoint, methods=["GET"]),
        Route("/CP/web", web_endpoint, methods=["GET", "POST"]),
        Route("/CP/webHP", webhp_endpoint, methods=["GET", "POST"]),
        Route("/CP/captchaImage", public.captcha_image, methods=["GET"]),
        *auth.ROUTES,  # /CP/j_spring_security_check, /CP/SimpleCaptcha
        Mount("/CP/static", app=StaticFiles(directory=str(STATIC)), name="static"),
        *esign.ROUTES,
        *update.ROUTES,  # /CP/Upload, /__mock__/options
        *testapi.ROUTES,
    ]
    middleware = [
        Middleware(RenameMiddleware, db_path=db_path, always=renamed_inventions, options=test_mode),
        Middleware(FaultMiddleware, db_path=db_path, injector=injector),
        Middleware(SessionMiddleware, db_path=db_path, session_ttl_s=session_ttl_s),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.settings = settings
    app.state.db_path = db_path
    app.state.no_change_button = no_change_button
    return app
