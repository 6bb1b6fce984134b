"""Rendering a step's argument model just before it runs.

Every string field is rendered as a template (dict fields keep native values:
``set: {n: "{{ 1 + 1 }}"}`` sets a number). Conditions are left alone: they are
evaluated, when needed, by the code that tests them. The rendered strings are returned
too, so the engine can tell whether a step is about to type a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from rpa.playbook.model import Condition
from rpa.playbook.template import is_template, render, render_deep

M = TypeVar("M", bound=BaseModel)
_CONDITION_FIELDS = frozenset(Condition.model_fields)  # tested, not rendered (assert, wait_for)


def _strings(value: Any, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, into)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, into)


def _render(value: Any, context: Mapping[str, Any], seen: list[str]) -> Any:
    if isinstance(value, str):
        text = render(value, context) if is_template(value) else value
        seen.append(text)
        return text
    if isinstance(value, Condition):
        return value
    if isinstance(value, BaseModel):
        return render_model(value, context, seen)
    if isinstance(value, list):
        return [_render(item, context, seen) for item in value]
    if isinstance(value, dict):
        rendered = render_deep(value, context)
        _strings(rendered, seen)
        return rendered
    return value


def render_model(model: M, context: Mapping[str, Any], seen: list[str] | None = None) -> M:
    """A copy of ``model`` with its templates rendered; rendered text appended to ``seen``."""
    found = seen if seen is not None else []
    changes: dict[str, Any] = {}
    skip = _CONDITION_FIELDS if isinstance(model, Condition) else frozenset()
    for name in type(model).model_fields:
        if name in skip:
            continue
        value = getattr(model, name)
        if value is None or isinstance(value, bool | int | float):
            continue
        rendered = _render(value, context, found)
        if rendered is not value:
            changes[name] = rendered
    return model.model_copy(update=changes) if changes else model
