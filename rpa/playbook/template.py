"""Sandboxed templates: ``{{ ... }}`` over inputs, vars, client, secrets and the job.

Rendering uses Jinja2's ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``:

- no access to attributes starting with ``_`` (``{{ ''.__class__ }}`` is refused), no
  mutating methods (``list.append``), no file, network or import, ranges capped, and the
  ``*``/``**`` operators refuse results large enough to exhaust memory;
- an undefined name is an error, never an empty string;
- the helper globals that exist only for HTML templates (``cycler``, ``joiner``,
  ``lipsum``, ``namespace``) are removed.

A string that is exactly one ``{{ expression }}`` renders to the expression's *value*
(a number stays a number, a dict stays a dict); any other string renders to text.
Compiled templates are cached by source, and text without ``{{``/``{%`` is returned as is.

At load time ``secret_problems`` holds templates to the one use of a secret there is: passed
whole (``{{ secrets.dsc_pin }}``, ``{{ inputs.password }}`` for a ``type: secret`` input)
to a place that types or hands it on (a ``fill`` value, a ``sign`` param, a ``use`` step's
secret input). Nothing else can build text from a secret, so nothing the agent records
can hold one (``rpa.masking``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rpa.errors import TemplateError

_SINGLE = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)
_MAX_REPEAT = 100_000  # characters/items a `*` may build
_MAX_POWER = 1_000


def _regex_search(value: Any, pattern: str, group: int | str = 0) -> str | None:
    found = re.search(pattern, str(value))
    return None if found is None else found.group(group)


def _iso_date(value: Any) -> str | None:
    """``21/05/2026`` (the portal's way) or ``2026-05-21`` → ``2026-05-21``; blank → None."""
    text = str(value or "").strip()
    if not text or text in ("-", "—"):
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _date_format(value: Any, fmt: str = "%d/%m/%Y") -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if not isinstance(value, date | datetime):
        raise TypeError(f"date_format expects a date, got {type(value).__name__}")
    return value.strftime(fmt)


def _fy_start(value: Any) -> str:
    """The first day (1 April) of the Indian financial year a date falls in, ISO:
    ``2026-05-21`` (or ``21/05/2026``) → ``2026-04-01``; ``2027-02-01`` → ``2026-04-01``."""
    iso = _iso_date(value)
    if iso is None:
        raise ValueError("fy_start expects a date")
    day = date.fromisoformat(iso)
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1).isoformat()


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_POWER:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if sized and len(seq) * count > _MAX_REPEAT:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


def _environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    for unsafe in ("cycler", "joiner", "lipsum", "namespace"):
        env.globals.pop(unsafe, None)
    env.filters["regex_search"] = _regex_search
    env.filters["date_format"] = _date_format
    env.filters["iso_date"] = _iso_date
    env.filters["fy_start"] = _fy_start
    return env


ENV = _environment()


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


def _fail(exc: Exception, source: str) -> TemplateError:
    if isinstance(exc, SecurityError):
        message = f"unsafe expression refused: {exc}"
    elif isinstance(exc, UndefinedError):
        message = f"undefined value: {exc.message}"
    elif isinstance(exc, TemplateSyntaxError):
        message = f"invalid template: {exc.message}"
    else:
        message = f"template failed: {type(exc).__name__}: {exc}"
    return TemplateError(f"{message} in {source!r}", expression=source)


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Callable[..., Any]:
    single = _SINGLE.match(source)
    if single and not is_template(single["expr"]):
        expression = ENV.compile_expression(single["expr"], undefined_to_none=False)
        return lambda ctx: expression(**ctx)
    template = ENV.from_string(source)
    return lambda ctx: template.render(**ctx)


@lru_cache(maxsize=4096)
def _compiled_expression(expr: str) -> Callable[..., Any]:
    return ENV.compile_expression(expr, undefined_to_none=False)


def render_value(source: str, context: Mapping[str, Any]) -> Any:
    """The value of a template: native for a lone ``{{ expr }}``, else text."""
    if not is_template(source):
        return source
    try:
        value = _compiled(source)(context)
        if isinstance(value, StrictUndefined):
            str(value)  # raises UndefinedError
        return value
    except TemplateError:
        raise
    except Exception as exc:  # jinja raises many types; all become TemplateError
        raise _fail(exc, source) from exc


def render(source: str, context: Mapping[str, Any]) -> str:
    """A template rendered to text."""
    value = render_value(source, context)
    return value if isinstance(value, str) else _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate(expr: str, context: Mapping[str, Any]) -> Any:
    """The value of a bare expression (``inputs.mode == 'update'``); ``{{ }}`` optional."""
    single = _SINGLE.match(expr)
    inner = single["expr"] if single else expr
    try:
        value = _compiled_expression(inner)(**context)
        if isinstance(value, StrictUndefined):
            bool(value)
        return value
    except Exception as exc:
        raise _fail(exc, expr) from exc


def render_deep(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside dicts and lists (``set`` values, ``use`` inputs)."""
    if isinstance(value, str):
        return render_value(value, context)
    if isinstance(value, dict):
        return {k: render_deep(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render_deep(v, context) for v in value]
    return value


# --- static checks, at load time ------------------------------------------------------------


def parse(source: str, *, expression: bool = False) -> nodes.Template:
    """The template's syntax tree. Raises ``TemplateError`` on a syntax error."""
    single = _SINGLE.match(source) if expression else None
    text = source if not expression else "{{ (" + (single["expr"] if single else source) + ") }}"
    try:
        return ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise _fail(exc, source) from exc


def references(tree: nodes.Template) -> Iterator[tuple[str, str | None]]:
    """``(root, member)`` for each free name: ``inputs.pan`` → ("inputs", "pan")."""
    from jinja2 import meta

    try:
        free = meta.find_undeclared_variables(tree)  # compiles: an unknown filter fails here
    except TemplateSyntaxError as exc:
        raise _fail(exc, str(exc.source or "")) from exc
    members: set[tuple[str, str]] = set()
    for attr in tree.find_all(nodes.Getattr):
        if isinstance(attr.node, nodes.Name) and attr.node.name in free:
            members.add((attr.node.name, attr.attr))
    for item in tree.find_all(nodes.Getitem):
        key = item.arg
        if (
            isinstance(item.node, nodes.Name)
            and item.node.name in free
            and isinstance(key, nodes.Const)
            and isinstance(key.value, str)
        ):
            members.add((item.node.name, key.value))
    with_member = {root for root, _ in members}
    for root in sorted(free):
        if root not in with_member:
            yield root, None
    yield from sorted(members)


# --- secrets, at load time ------------------------------------------------------------------

SECRET_PLACES = "a fill step's value, a sign step's params or a use step's secret inputs"


def _secret_ref(node: nodes.Node, secret_inputs: Collection[str]) -> str | None:
    """``secrets.NAME`` / ``secrets['NAME']`` / ``inputs.NAME`` of a secret input, or None."""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        root, key = node.node.name, node.attr
    elif (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        root, key = node.node.name, node.arg.value
    else:
        return None
    if root == "secrets" or (root == "inputs" and key in secret_inputs):
        return f"{root}.{key}"
    return None


def _member_of_name(node: nodes.Node) -> bool:
    """``inputs.x`` / ``inputs['x']``: a named member of a root, not the root as a whole."""
    if isinstance(node, nodes.Getattr):
        return isinstance(node.node, nodes.Name)
    return (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and isinstance(node.arg, nodes.Const)
    )


def _how(parent: nodes.Node | None, child: nodes.Node) -> str:
    """What a template does with a secret, for the refusal."""
    if isinstance(parent, nodes.Filter) and parent.node is child:
        return f"goes through the filter `{parent.name}`"
    if isinstance(parent, nodes.Getitem) and parent.node is child:
        return "is sliced or indexed"
    if isinstance(parent, nodes.Getattr) and parent.node is child:
        return f"is read through `.{parent.attr}`"
    if isinstance(parent, nodes.Call):
        return "is passed to a function"
    if isinstance(parent, nodes.Concat | nodes.BinExpr | nodes.Output):
        return "is joined with other text"
    if isinstance(parent, nodes.CondExpr):
        return "is chosen by a condition (if ... else)"
    if isinstance(parent, nodes.Compare | nodes.Test | nodes.UnaryExpr):
        return "is compared or tested"
    if isinstance(parent, nodes.If):
        return "is tested"
    return "is used inside an expression"


def _walk(
    node: nodes.Node, parent: nodes.Node | None
) -> Iterator[tuple[nodes.Node, nodes.Node | None]]:
    yield node, parent
    for child in node.iter_child_nodes():
        yield from _walk(child, node)


def secret_problems(
    source: str,
    *,
    is_expr: bool,
    secret_inputs: Collection[str],
    place: str,
    may_pass: bool,
) -> list[str]:
    """How a template misuses a secret (``[]`` when it does not).

    A secret is ``secrets.NAME`` or ``inputs.NAME`` of a ``type: secret`` input. It may be
    passed only whole, as the template's entire value, and only where ``may_pass`` (a
    ``fill`` value, a ``sign`` param, a ``use`` step's secret input); ``place`` names the
    field in refusals (``goto: url``). ``secrets`` as a whole, or with a computed key, and
    ``inputs`` so when a secret input exists, are refused anywhere. A syntax error yields
    nothing here (``names.template_problems`` reports it).
    """
    single = _SINGLE.match(source)
    whole = is_expr or bool(single and not is_template(single["expr"]))
    try:
        tree = parse(source, expression=whole)
    except TemplateError:
        return []
    problems: list[str] = []
    skip: set[int] = set()  # Name nodes read as a member (inputs.x), not as a whole
    for node, parent in _walk(tree, None):
        if id(node) in skip:
            continue
        ref = _secret_ref(node, secret_inputs)
        if ref is not None:
            skip.update(id(n) for n, _ in _walk(node, None))
            if not may_pass:
                problems.append(
                    f"{ref} is a secret: it may go, whole, only into {SECRET_PLACES}; "
                    f"not into {place}"
                )
                continue
            outermost = isinstance(parent, nodes.Output) and len(parent.nodes) == 1
            if not (whole and outermost):
                problems.append(
                    f"{ref} is a secret and may be passed only whole, as the entire value "
                    f'("{{{{ {ref} }}}}"); in {place} it {_how(parent, node)}'
                )
            continue
        if _member_of_name(node):
            skip.add(id(node.node))  # type: ignore[attr-defined]
            continue
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if node.name == "secrets":
                problems.append(
                    f"`secrets` may be read only by name (secrets.NAME), not as a whole or "
                    f"with a computed key ({place})"
                )
            elif node.name == "inputs" and secret_inputs:
                names = ", ".join(sorted(secret_inputs))
                problems.append(
                    f"`inputs` as a whole or with a computed key would reach the secret "
                    f"input(s) {names}; name each input (inputs.NAME) ({place})"
                )
    return problems
