"""A mock of India's DGFT portal (IEC journeys) for developing and testing the RPA agent.

``create_app(db_path, test_mode=..., embridge_url=...)`` builds the Starlette app;
``python -m mock_portal`` runs it with the simulated emBridge. See docs/mock-portal.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["create_app"]

if TYPE_CHECKING:
    from starlette.applications import Starlette


def create_app(db_path: str, **kwargs: Any) -> Starlette:
    from mock_portal.app import create_app as factory

    return factory(db_path, **kwargs)
