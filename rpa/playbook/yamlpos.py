"""YAML with positions: the composed node tree, plain values, and where each value is.

The loader validates plain Python values but reports problems at the line and column of
the YAML node they came from. ``Doc`` keeps the node tree; ``Doc.mark(node, path)`` walks
a path (mapping keys, sequence indexes) from a node as far as it exists and returns that
node's 1-based line and column.

Loading is bounded. An alias (``*name``) is cheap to compose (it is the anchored node
again) but everything after composing walks the document with aliases expanded, so nine
aliases of nine aliases... make a few hundred bytes a billion nodes. Aliases are allowed
(a shared locator or retry policy is a fair use), within a budget: the nodes aliases add,
counted as they are composed, may not pass ``ALIAS_BUDGET``; an alias inside the node it
names (it would nest without end) and nesting past ``MAX_COMPOSE_DEPTH`` are refused as
well, each at the line and column where it happens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 64  # a value's nesting (to_python)
# the document's nesting, blocks within blocks included (the loader allows 20 of those, two
# levels each); well within Python's recursion limit, which composing deeper would reach
MAX_COMPOSE_DEPTH = 200
# Nodes that aliases may add to a document: about three times the largest shipped playbook
# (update_iec, some 1,700 nodes, none by alias), while a shared locator or retry policy
# adds a handful per use. Loading 5,000 more nodes takes milliseconds.
ALIAS_BUDGET = 5_000


class YamlProblem(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _at(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. ``on``, ``yes``, ``no`` stay text (``retry: {on:
    [...]}``, ``value: no``), as most people expect. Composing is bounded: aliases may add
    at most ``ALIAS_BUDGET`` nodes, nesting may not pass ``MAX_COMPOSE_DEPTH``."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._sizes: dict[int, int] = {}  # id(node) → its nodes, aliases expanded
        self._added = 0  # nodes aliases added so far
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            alias = super().compose_node(parent, index)
            assert alias is not None
            size = self._sizes.get(id(alias))
            if size is None:  # its anchor is still being composed: the alias is inside it
                raise YamlProblem(
                    f"the alias *{event.anchor} is inside the node it names "
                    f"(&{event.anchor}): nested more than {MAX_DEPTH} deep, without end",
                    *_at(event.start_mark),
                )
            self._added += size
            if self._added > ALIAS_BUDGET:
                raise YamlProblem(
                    f"YAML aliases expand to more than {ALIAS_BUDGET} nodes (at "
                    f"*{event.anchor}); a playbook may repeat only small parts by alias: "
                    "use a `use:` step or write the part out",
                    *_at(event.start_mark),
                )
            return alias
        self._depth += 1
        try:
            if self._depth > MAX_COMPOSE_DEPTH:
                start = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlProblem(f"YAML nested more than {MAX_COMPOSE_DEPTH} deep", *_at(start))
            node = super().compose_node(parent, index)
            assert node is not None
        finally:
            self._depth -= 1
        if isinstance(node, SequenceNode):
            children: list[Node] = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in children)
        return node


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass(frozen=True)
class Position:
    line: int | None
    column: int | None


def position(node: Node | None) -> Position:
    if node is None or node.start_mark is None:
        return Position(None, None)
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def compose(text: str) -> Node | None:
    """The document's root node (``None`` for an empty file). Raises ``YamlProblem``."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(f"invalid YAML: {reason}", line, column) from exc
    except yaml.YAMLError as exc:  # reader errors: bad bytes, control characters
        raise YamlProblem(f"invalid YAML: {exc}", None, None) from exc
    if len(nodes) > 1:
        raise YamlProblem("a playbook file holds one YAML document", *_pos(nodes[1]))
    return nodes[0] if nodes else None


def _pos(node: Node) -> tuple[int | None, int | None]:
    p = position(node)
    return p.line, p.column


_SCALARS = _Loader("")


def to_python(node: Node, problems: list[YamlProblem] | None = None, depth: int = 0) -> Any:
    """Plain values (dict/list/str/int/float/bool/None/date).

    Problems a reader can fix without losing the rest (duplicate keys, merge keys) are
    appended to ``problems`` and the value is still built; others raise ``YamlProblem``.
    """
    found = problems if problems is not None else []
    if depth > MAX_DEPTH:
        raise YamlProblem("YAML nested too deeply", *_pos(node))
    if isinstance(node, ScalarNode):
        try:
            return _SCALARS.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise YamlProblem(f"invalid value: {exc}", *_pos(node)) from exc
    if isinstance(node, SequenceNode):
        return [to_python(item, found, depth + 1) for item in node.value]
    if isinstance(node, MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # a key is a name: `1:` or `null:` are the text "1" and "null"
            key = (
                key_node.value
                if isinstance(key_node, ScalarNode)
                else to_python(key_node, found, depth + 1)
            )
            if isinstance(key, dict | list):
                found.append(YamlProblem("a mapping key must be a plain value", *_pos(key_node)))
                continue
            if key == "<<":
                found.append(YamlProblem("merge keys (<<) are not supported", *_pos(key_node)))
                continue
            if key in result:
                found.append(YamlProblem(f"duplicate key {key!r}", *_pos(key_node)))
            result[key] = to_python(value_node, found, depth + 1)
        return result
    raise YamlProblem("unsupported YAML node", *_pos(node))


def child(node: Node | None, key: Any) -> Node | None:
    """The value node under ``key`` (a mapping key or a sequence index), if any."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and _same_key(key_node.value, key):
                found: Node = value_node
                return found
    elif isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        item: Node = node.value[key]
        return item
    return None


def key_node(node: Node | None, key: Any) -> Node | None:
    """The key node of ``key`` in a mapping: where an unknown key is reported."""
    if isinstance(node, MappingNode):
        for k, _ in node.value:
            if isinstance(k, ScalarNode) and _same_key(k.value, key):
                return k
    return None


def _same_key(text: str, key: Any) -> bool:
    return text == str(key)


def locate(node: Node | None, path: Sequence[Any]) -> Node | None:
    """The deepest node along ``path`` that exists (``node`` itself for an empty path)."""
    current = node
    for part in path:
        found = child(current, part)
        if found is None:
            break
        current = found
    return current


def items(node: Node | None) -> list[tuple[Node, Node]]:
    return list(node.value) if isinstance(node, MappingNode) else []


def elements(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []
