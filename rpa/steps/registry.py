"""Step handlers by kind name. A handler does one attempt: ``await handler(ctx, args)``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rpa.steps.base import StepContext

Handler = Callable[[StepContext, Any], Awaitable[Any]]
H = TypeVar("H", bound=Callable[..., Awaitable[Any]])

HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[H], H]:
    """Register the decorated coroutine as the handler of ``kind``."""

    def register(fn: H) -> H:
        if kind in HANDLERS:
            raise RuntimeError(f"two handlers for step kind {kind!r}")
        HANDLERS[kind] = fn
        return fn

    return register


def get_handler(kind: str) -> Handler:
    return HANDLERS[kind]
