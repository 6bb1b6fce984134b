"""Turning problems into ``LoadIssue``s a person can act on: pydantic errors, template
references, near-miss names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from rpa.playbook.model import Condition


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def expected(choices: Iterable[str]) -> str:
    return "expected one of: " + ", ".join(choices)


def _model_at(model: type[BaseModel] | None, path: Sequence[Any]) -> type[BaseModel] | None:
    """The model class a validation error's location points into, when it is plain."""
    current = model
    for part in path:
        if current is None or not isinstance(part, str):
            return None
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return None
        annotation = field.annotation
        inner = [
            arg
            for arg in getattr(annotation, "__args__", (annotation,))
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        current = inner[0] if inner else None
    return current


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


_BRANCH_TAGS = frozenset({"str", "int", "float", "bool", "Locator", "Condition"})


def clean_loc(loc: Sequence[Any]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch and validator tags from a location."""
    return tuple(
        p
        for p in loc
        if not (
            isinstance(p, str)
            and (p.startswith(("function-", "list[", "dict[", "literal[")) or p in _BRANCH_TAGS)
        )
    )


def pydantic_problems(
    exc: ValidationError, model: type[BaseModel]
) -> list[tuple[tuple[Any, ...], str, bool]]:
    """``(location, message, at_key)`` for each error, one per location.

    ``at_key`` says the problem is a key itself (unknown key), to be reported at the key.
    """
    found: dict[tuple[Any, ...], tuple[str, bool]] = {}
    for error in exc.errors(include_url=False):
        loc = clean_loc(error["loc"])
        kind = error["type"]
        at_key = False
        where = ".".join(str(p) for p in loc)
        if kind == "extra_forbidden" and loc:
            parent = _model_at(model, loc[:-1])
            choices = _keys(parent) if parent is not None else []
            hint = did_you_mean(loc[-1], choices) if choices else ""
            tail = f"; {expected(choices)}" if choices and not hint else ""
            message = f"unknown argument {loc[-1]!r}{hint}{tail}"
            at_key = True
        elif kind == "missing":
            message = f"missing argument {where!r}"
        elif kind in ("value_error", "assertion_error"):
            text = str(error.get("ctx", {}).get("error", error["msg"]))
            message = f"{where}: {text}" if where else text
        else:
            got = error.get("input")
            shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
            message = f"{where}: {error['msg'].rstrip('.')} (got {shown})"
        # a failed union yields one error per branch, all at one location: keep the first
        found.setdefault((*loc, "#key") if at_key else loc, (message, at_key))
    return [
        (loc[:-1] if at_key else loc, message, at_key) for loc, (message, at_key) in found.items()
    ]


def template_fields(
    value: Any, path: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], str, bool]]:
    """Every string in a validated model: ``(path, text, is_expression)``."""
    found: list[tuple[tuple[Any, ...], str, bool]] = []
    if isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            item = getattr(value, name)
            key = field.alias or name
            if isinstance(value, Condition) and name == "expr" and isinstance(item, str):
                found.append(((*path, key), item, True))
            else:
                found.extend(template_fields(item, (*path, key)))
    elif isinstance(value, str):
        found.append((path, value, False))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(template_fields(item, (*path, key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(template_fields(item, (*path, index)))
    return found
