"""The JSON Schema of the playbook language, built from the pydantic models.

Editors use it for completion and checking as you type (see docs/playbooks.md for VS Code).
A step is "one kind key plus options": the schema lists one object shape per kind.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rpa.playbook.kinds import KINDS
from rpa.playbook.model import BlockOptions, PlaybookHeader, StepOptions

SCHEMA_ID = "https://dgft-rpa.local/schemas/playbook.json"
STEP_REF = {"$ref": "#/$defs/Step"}


def _defs(models: list[type[BaseModel]]) -> tuple[dict[str, Any], dict[str, Any]]:
    refs, top = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/$defs/{model}"
    )
    return {m.__name__: refs[(m, "validation")] for m in models}, top.get("$defs", {})


def _kind_schema(name: str, refs: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    spec = KINDS[name]
    if spec.model is None:  # block
        return {"type": "array", "items": STEP_REF, "minItems": 1, "description": spec.summary}
    ref = refs[spec.model.__name__]
    if spec.wrap is not None:  # the mapping written is the wrapped field's value
        wrapped = defs[spec.model.__name__]["properties"][spec.wrap]
        return {
            "type": "object",
            "description": spec.summary,
            "additionalProperties": wrapped.get("additionalProperties", True),
        }
    if spec.shorthand is None:
        return {**ref, "description": spec.summary}
    short = {"type": ["string", "number"], "description": spec.shorthand_doc or ""}
    return {"anyOf": [short, ref], "description": spec.summary}


def playbook_schema() -> dict[str, Any]:
    arg_models = [s.model for s in KINDS.values() if s.model is not None]
    refs, defs = _defs([*arg_models, StepOptions, BlockOptions, PlaybookHeader])
    options = defs["StepOptions"]["properties"]
    block_options = {key: value for key, value in defs["BlockOptions"]["properties"].items()}
    block_options["rescue"] = {"type": "array", "items": STEP_REF, "description": "Run on failure"}
    block_options["always"] = {"type": "array", "items": STEP_REF, "description": "Run always"}
    shapes = []
    for name, spec in KINDS.items():
        properties = {**options, name: _kind_schema(name, refs, defs)}
        if spec.model is None:
            properties.update(block_options)
        shapes.append(
            {
                "type": "object",
                "title": f"{name} step",
                "description": spec.summary,
                "required": [name],
                "properties": properties,
                "additionalProperties": False,
            }
        )
    defs["Step"] = {"anyOf": shapes}
    header = defs.pop("PlaybookHeader")
    for unused in ("StepOptions", "BlockOptions"):
        defs.pop(unused, None)
    header["properties"]["steps"] = {"type": "array", "items": STEP_REF, "minItems": 1}
    header["properties"]["on_session_expired"] = {
        "type": "array",
        "items": STEP_REF,
        "description": "Steps that log in again when detect.session_expired holds",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "dgft-rpa playbook",
        **{k: v for k, v in header.items() if k != "title"},
        "required": ["steps"],
        "additionalProperties": False,
        "$defs": defs,
    }
