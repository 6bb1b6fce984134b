"""A job's page: timeline tree, artifacts, result, certificate."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
