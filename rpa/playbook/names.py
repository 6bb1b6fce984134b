"""Which names a template may use, checked at load time (where statically knowable)."""

from __future__ import annotations

from collections.abc import Collection

from jinja2 import nodes

from rpa.errors import TemplateError
from rpa.playbook import template as tpl
from rpa.playbook.issues import did_you_mean

ROOTS = frozenset({"inputs", "vars", "client", "secrets", "job"})
JINJA_GLOBALS = frozenset({"range", "dict", "true", "false", "none", "True", "False", "None"})


def template_problems(
    source: str,
    *,
    is_expr: bool,
    inputs: Collection[str],
    var_names: Collection[str],
    in_rescue: bool,
) -> list[str]:
    """What is wrong with a template: syntax, unsafe attributes, names that cannot exist.

    ``inputs`` are the declared inputs; ``var_names`` every variable some step sets;
    ``error`` exists only in rescue/always. ``client`` and ``secrets`` members are not
    known statically.
    """
    try:
        tree = tpl.parse(source, expression=is_expr)
    except TemplateError as exc:
        return [exc.message]
    problems = [
        f"unsafe expression refused: attribute {node.attr!r} "
        "(names starting with _ are not reachable)"
        for node in tree.find_all(nodes.Getattr)
        if node.attr.startswith("_")
    ]
    roots = ROOTS | ({"error"} if in_rescue else set())
    for root, member in tpl.references(tree):
        if root in JINJA_GLOBALS:
            continue
        if root not in roots:
            hint = (
                " (`error` exists only in rescue/always)"
                if root == "error"
                else did_you_mean(root, roots)
            )
            problems.append(
                f"undefined variable {root!r}{hint}; templates see {', '.join(sorted(roots))}"
            )
        elif root == "inputs" and member is not None and member not in inputs:
            known = ", ".join(inputs) or "none"
            problems.append(
                f"undefined variable inputs.{member}{did_you_mean(member, inputs)} "
                f"(declared inputs: {known})"
            )
        elif root == "vars" and member is not None and member not in var_names:
            known = ", ".join(sorted(var_names)) or "none"
            problems.append(
                f"undefined variable vars.{member}{did_you_mean(member, var_names)}: "
                f"nothing sets it (vars: {known})"
            )
    return problems
