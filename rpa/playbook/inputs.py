"""Checking and normalising a job's inputs against the playbook's ``inputs:`` declaration."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rpa.clients import identifiers
from rpa.errors import RecordError
from rpa.masking import register_secret
from rpa.playbook.model import InputSpec, InputType

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def convert(name: str, spec: InputSpec, value: Any) -> Any:
    """The value normalised for its type. Raises ``ValueError`` (never echoing a secret)."""
    kind = spec.type
    if kind is InputType.SECRET:
        if value is None or str(value) == "":
            raise ValueError("a secret cannot be empty")
        text = str(value)
        register_secret(text)
        return text
    if kind is InputType.BOOL:
        return _bool(value)
    if kind is InputType.DATE:
        return identifiers.parse_date(value, name=name)
    text = str(value).strip()
    if kind is InputType.IEC:
        return identifiers.parse_iec(text)
    if kind is InputType.PAN:
        return identifiers.parse_pan(text)
    if kind is InputType.EMAIL:
        return identifiers.parse_email(text, name=name)
    if kind is InputType.MOBILE:
        return identifiers.parse_mobile(text, name=name)
    if kind is InputType.ENUM:
        choices = spec.choices or []
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {text!r}")
        return text
    if kind is InputType.PATH:
        path = Path(text).expanduser()
        if not path.exists():
            raise ValueError(f"no such file: {path}")
        return str(path.resolve())
    return str(value)


def bind_inputs(
    specs: Mapping[str, InputSpec],
    given: Mapping[str, Any],
    *,
    inherited: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The job's inputs: given values checked and normalised, defaults filled in.

    ``inherited`` (the calling playbook's inputs, for ``use``) supplies inputs not given.
    Raises ``RecordError`` naming every bad or missing input; unknown names are refused.
    """
    problems: list[tuple[str, str]] = []
    bound: dict[str, Any] = {}
    for name in given:
        if name not in specs:
            known = ", ".join(specs) or "none"
            problems.append((name, f"unknown input {name!r} (inputs: {known})"))
    for name, spec in specs.items():
        if name in given and given[name] is not None:
            raw = given[name]
        elif inherited is not None and name in inherited and inherited[name] is not None:
            raw = inherited[name]
        elif spec.default is not None:
            raw = spec.default
        elif spec.is_required:
            problems.append((name, f"input {name!r} ({spec.type}) is required"))
            continue
        else:
            bound[name] = None
            continue
        try:
            bound[name] = convert(name, spec, raw)
        except ValueError as exc:
            problems.append((name, f"input {name!r}: {exc}"))
    if problems:
        raise RecordError("; ".join(message for _, message in problems), field=problems[0][0])
    return bound
