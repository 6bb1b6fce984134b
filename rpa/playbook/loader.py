"""YAML files → checked ``Playbook``s, reporting every problem with file, line and column.

``Loader.load(path)`` reads a playbook and, recursively, the playbooks its ``use`` steps
name (cached; a cycle of ``use`` is an error). Nothing stops at the first problem: each
step is checked on its own, and ``PlaybookError.issues`` lists all of them in file order.

Checks made here, so that a run never starts with them:
YAML syntax; unknown top-level keys; each step has exactly one known kind; unknown,
missing and wrongly typed arguments (from the kind's model); option keys only where they
belong; template syntax; names a template uses that cannot exist (``inputs.x`` not declared,
``vars.y`` never set, an unknown root); a secret (``secrets.NAME``, a ``type: secret``
input) used other than whole in a ``fill`` value, a ``sign`` param or a ``use`` step's
secret input (``template.secret_problems``); ``use`` of a missing playbook, its inputs,
cycles. YAML aliases are bounded (``yamlpos``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from rpa.errors import LoadIssue, PlaybookError
from rpa.playbook import template as tpl
from rpa.playbook import yamlpos
from rpa.playbook.args import UseArgs
from rpa.playbook.issues import did_you_mean, expected, pydantic_problems, template_fields
from rpa.playbook.kinds import KINDS, normalise
from rpa.playbook.model import (
    BLOCK_OPTION_KEYS,
    STEP_OPTION_KEYS,
    TOP_LEVEL_KEYS,
    BlockOptions,
    InputType,
    Playbook,
    PlaybookHeader,
    Step,
    StepOptions,
    unguarded_submit_steps,
)
from rpa.playbook.names import template_problems

SUFFIXES = (".yaml", ".yml")
MAX_NESTING = 20  # blocks within blocks (a YAML alias could otherwise nest forever)


@dataclass
class _Template:
    node: Node | None
    source: str
    is_expr: bool
    step: str | None
    in_rescue: bool
    place: str  # the field, in a refusal: "goto: url"
    may_pass: bool  # a secret may be passed here, whole


class Loader:
    """Loads playbooks; ``search_dirs`` are where ``use: <name>`` and ``extends:`` look after
    the file's own folder (normally ``settings.playbook_dirs``: the user's folder, then the
    built-in playbooks)."""

    def __init__(self, search_dirs: Sequence[Path] = ()) -> None:
        self.search_dirs = [Path(d) for d in search_dirs]
        self._done: dict[Path, Playbook] = {}
        self._failed: dict[Path, list[LoadIssue]] = {}

    def load(self, path: str | Path) -> Playbook:
        """The playbook at ``path``. Raises ``PlaybookError`` listing every issue found."""
        playbook, issues = self._load(Path(path).resolve(), chain=())
        if issues or playbook is None:
            raise PlaybookError(issues)
        return playbook

    def _load(self, path: Path, chain: tuple[Path, ...]) -> tuple[Playbook | None, list[LoadIssue]]:
        if path in self._done:
            return self._done[path], []
        if path in self._failed:
            return None, self._failed[path]
        reader = _FileReader(self, path, chain)
        playbook = reader.read()
        issues = _unique(reader.issues)
        if issues:
            self._failed[path] = issues
            return None, issues
        assert playbook is not None
        self._done[path] = playbook
        return playbook, []

    def resolve(self, name: str, beside: Path) -> tuple[Path | None, list[Path]]:
        """Where ``use: name`` points, and the folders looked in."""
        looked = list(dict.fromkeys([beside.parent, *(d.resolve() for d in self.search_dirs)]))
        candidates: list[Path] = []
        for folder in looked:
            base = Path(name) if Path(name).is_absolute() else folder / name
            candidates.append(base)
            if base.suffix not in SUFFIXES:
                candidates.extend(base.with_name(base.name + s) for s in SUFFIXES)
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve(), looked
        return None, looked


def _unique(issues: Iterable[LoadIssue]) -> list[LoadIssue]:
    seen: set[tuple[Any, ...]] = set()
    result: list[LoadIssue] = []
    for issue in issues:
        key = (issue.file, issue.line, issue.column, issue.message)
        if key not in seen:
            seen.add(key)
            result.append(issue)
    return sorted(result, key=lambda i: (i.file, i.line or 0, i.column or 0))


class _FileReader:
    """Reads one file; collects its issues (and those of the playbooks it uses)."""

    def __init__(self, loader: Loader, path: Path, chain: tuple[Path, ...]) -> None:
        self.loader = loader
        self.path = path
        self.chain = (*chain, path)
        self.file = _display(path)
        self.issues: list[LoadIssue] = []
        self.templates: list[_Template] = []
        self.var_names: set[str] = set()
        self.header = PlaybookHeader()

    # --- reporting ----------------------------------------------------------------------

    def issue(self, node: Node | None, message: str, step: str | None = None) -> None:
        where = yamlpos.position(node)
        self.issues.append(LoadIssue(self.file, where.line, where.column, message, step))

    def validation(
        self,
        exc: ValidationError,
        model: type[BaseModel],
        node: Node | None,
        *,
        prefix: str = "",
        step: str | None = None,
    ) -> None:
        for loc, message, at_key in pydantic_problems(exc, model):
            target = yamlpos.locate(node, loc)
            if at_key:
                target = yamlpos.key_node(yamlpos.locate(node, loc[:-1]), loc[-1]) or target
            self.issue(target, prefix + message, step)

    # --- the file -----------------------------------------------------------------------

    def read(self) -> Playbook | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.issues.append(LoadIssue(self.file, None, None, f"cannot read the file: {exc}"))
            return None
        try:
            root = yamlpos.compose(text)
        except yamlpos.YamlProblem as exc:
            self.issues.append(LoadIssue(self.file, exc.line, exc.column, exc.message))
            return None
        if not isinstance(root, MappingNode):
            self.issue(root, "a playbook is a mapping with at least `steps:` (a list of steps)")
            return None
        return self._playbook(root)

    def _playbook(self, root: MappingNode) -> Playbook | None:
        raw: dict[str, Node] = {}
        for key_node, value_node in root.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key not in TOP_LEVEL_KEYS:
                hint = did_you_mean(str(key), TOP_LEVEL_KEYS)
                self.issue(key_node, f"unknown key {key!r}{hint}; {expected(TOP_LEVEL_KEYS)}")
            elif key in raw:
                self.issue(key_node, f"duplicate key {key!r}")
            else:
                raw[key] = value_node
        header_data = {k: self.plain(v) for k, v in raw.items() if k in PlaybookHeader.model_fields}
        try:
            self.header = PlaybookHeader.model_validate(header_data)
        except ValidationError as exc:
            self.validation(exc, PlaybookHeader, root)
        self.var_names.update(str(k) for k in self.header.vars)
        for path, source, is_expr in template_fields(self.header.detect, ("detect",)):
            self.template(yamlpos.locate(root, path), source, is_expr, None, place=_dotted(path))
        for name, source in self.header.outputs.items():
            path = ("outputs", name)
            self.template(yamlpos.locate(root, path), source, False, None, place=_dotted(path))
        for path, source, _ in template_fields(self.header.vars, ("vars",)):
            self.template(yamlpos.locate(root, path), source, False, None, place=_dotted(path))

        if "steps" not in raw:
            self.issue(root, "missing `steps:` (the list of steps to run)")
        steps = self.steps(raw.get("steps"), prefix="", what="steps")
        relogin = self.steps(
            raw.get("on_session_expired"), prefix="session.", what="on_session_expired"
        )
        self.check_templates()
        base = self.extended(raw.get("extends"))
        if self.issues:
            return None
        header = self.header
        detect = header.detect
        if base is not None:
            detect = detect.then(base.detect)
            if "on_session_expired" not in raw:
                relogin = list(base.on_session_expired)
        return Playbook(
            name=header.name or self.path.stem,
            file=str(self.path),
            steps=tuple(steps),
            description=header.description,
            inputs=dict(header.inputs),
            vars=dict(header.vars),
            outputs=dict(header.outputs),
            detect=detect,
            retry=header.retry,
            on_session_expired=tuple(relogin),
            max_relogins=header.max_relogins,
        )

    def extended(self, node: Node | None) -> Playbook | None:
        """The playbook named by ``extends:`` (its detectors and re-login are taken)."""
        name = self.header.extends
        if node is None or not name:
            return None
        target, looked = self.loader.resolve(name, self.path)
        if target is None:
            folders = ", ".join(_display(f) for f in looked)
            self.issue(node, f"extends: no playbook {name!r} (looked in {folders})")
            return None
        if target in self.chain:
            cycle = " → ".join(p.name for p in (*self.chain[self.chain.index(target) :], target))
            self.issue(node, f"extends: a cycle of playbooks: {cycle}")
            return None
        base, issues = self.loader._load(target, self.chain)
        if base is None:
            self.issue(node, f"extends: playbook {name!r} has errors (listed below)")
            self.issues.extend(issues)
        return base

    def plain(self, node: Node) -> Any:
        problems: list[yamlpos.YamlProblem] = []
        try:
            value = yamlpos.to_python(node, problems)
        except yamlpos.YamlProblem as exc:
            problems.append(exc)
            value = None
        for p in problems:
            self.issues.append(LoadIssue(self.file, p.line, p.column, p.message))
        return value

    # --- steps --------------------------------------------------------------------------

    def steps(
        self, node: Node | None, *, prefix: str, what: str, in_rescue: bool = False
    ) -> list[Step]:
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.issue(node, f"`{what}` must be a list of steps (each line starting with '- ')")
            return []
        if prefix.count(".") > MAX_NESTING:
            self.issue(node, f"blocks are nested more than {MAX_NESTING} deep")
            return []
        built = []
        for index, item in enumerate(node.value, start=1):
            step = self.step(item, f"{prefix}{index}", in_rescue=in_rescue)
            if step is not None:
                built.append(step)
        return built

    def step(self, node: Node, step_id: str, *, in_rescue: bool) -> Step | None:
        if not isinstance(node, MappingNode):
            self.issue(
                node,
                f"a step is a mapping with one kind, e.g. `- click: Validate`; {expected(KINDS)}",
                f"#{step_id}",
            )
            return None
        values: dict[str, Any] = {}
        nodes: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else repr(key_node)
            if key in nodes:
                self.issue(key_node, f"duplicate key {key!r}", f"#{step_id}")
                continue
            nodes[key] = value_node
            if key not in ("block", "rescue", "always"):
                values[key] = self.plain(value_node)
        name = values.get("name")
        label = str(name) if isinstance(name, str) and name else None
        kinds = [k for k in nodes if k in KINDS]
        options = {k for k in nodes if k in STEP_OPTION_KEYS or k in BLOCK_OPTION_KEYS}
        unknown = [k for k in nodes if k not in KINDS and k not in options]
        title = label or (f"#{step_id} {kinds[0]}" if kinds else f"#{step_id}")

        def key_of(key: str) -> Node | None:
            return yamlpos.key_node(node, key)

        if not kinds:
            if len(unknown) == 1:
                bad = unknown[0]
                self.issue(
                    key_of(bad),
                    f"unknown step kind {bad!r}{did_you_mean(bad, KINDS)}; {expected(KINDS)}",
                    title,
                )
            else:
                for bad in unknown:
                    self.issue(key_of(bad), f"unknown key {bad!r}{did_you_mean(bad, KINDS)}", title)
                self.issue(node, f"the step has no kind; {expected(KINDS)}", title)
            return None
        for bad in unknown:
            allowed = [*STEP_OPTION_KEYS, *(BLOCK_OPTION_KEYS if "block" in kinds else ())]
            self.issue(
                key_of(bad),
                f"unknown key {bad!r} on a {kinds[0]} step"
                f"{did_you_mean(bad, [*allowed, *KINDS])}; a step has one kind and options "
                f"({', '.join(allowed)})",
                title,
            )
        if len(kinds) > 1:
            self.issue(
                key_of(kinds[1]),
                "a step has exactly one kind; this one has " + " and ".join(kinds),
                title,
            )
            return None
        kind = kinds[0]
        if kind != "block":
            for misplaced in sorted(options & set(BLOCK_OPTION_KEYS)):
                self.issue(key_of(misplaced), f"{misplaced!r} only goes with `block:`", title)

        try:
            opts = StepOptions.model_validate(
                {k: values[k] for k in STEP_OPTION_KEYS if k in values}
            )
        except ValidationError as exc:
            self.validation(exc, StepOptions, node, step=title)
            opts = StepOptions()
        if opts.guard is not None and not opts.submit and kind != "block":
            self.issue(
                key_of("guard"), "`guard:` goes on a `submit: true` step or on a block", title
            )
        if opts.register_as:
            self.var_names.add(opts.register_as)
        for path, source, is_expr in template_fields(opts):
            self.template(
                yamlpos.locate(node, path),
                source,
                is_expr,
                title,
                in_rescue,
                place=_dotted(path),
            )

        line = yamlpos.position(node).line
        if kind == "block":
            return self.block(node, nodes, values, step_id, title, in_rescue, opts, line)
        arg_node = nodes[kind]
        spec = KINDS[kind]
        assert spec.model is not None
        try:
            args = spec.model.model_validate(normalise(kind, values[kind]))
        except ValidationError as exc:
            self.validation(exc, spec.model, arg_node, prefix=f"{kind}: ", step=title)
            return None
        self.var_names.update(spec.defines(args))
        used = self.use(args, arg_node, title) if isinstance(args, UseArgs) else None
        for path, source, is_expr in template_fields(args):
            if spec.wrap and path[:1] == (spec.wrap,):
                path = path[1:]
            may_pass, place = _secret_place(kind, path, used)
            self.template(
                yamlpos.locate(arg_node, path),
                source,
                is_expr,
                title,
                in_rescue,
                place=place,
                may_pass=may_pass,
            )
        return Step(
            id=step_id, kind=kind, args=args, options=opts, used=used, file=self.file, line=line
        )

    def block(
        self,
        node: MappingNode,
        nodes: dict[str, Node],
        values: dict[str, Any],
        step_id: str,
        title: str,
        in_rescue: bool,
        opts: StepOptions,
        line: int | None,
    ) -> Step | None:
        try:
            block_opts = BlockOptions.model_validate(
                {k: values[k] for k in ("session", "restart") if k in values}
            )
        except ValidationError as exc:
            self.validation(exc, BlockOptions, node, step=title)
            block_opts = BlockOptions()
        body = self.steps(nodes["block"], prefix=f"{step_id}.", what="block", in_rescue=in_rescue)
        if isinstance(nodes["block"], SequenceNode) and not nodes["block"].value:
            self.issue(nodes["block"], "a block needs at least one step", title)
        rescue = self.steps(
            nodes.get("rescue"), prefix=f"{step_id}.rescue.", what="rescue", in_rescue=True
        )
        always = self.steps(
            nodes.get("always"), prefix=f"{step_id}.always.", what="always", in_rescue=True
        )
        if block_opts.restart is not None and opts.guard is None:
            for unsafe in unguarded_submit_steps(body):
                self.issue(
                    yamlpos.key_node(node, "restart"),
                    f"restart: submit step {unsafe!r} has no guard inside the block; "
                    "running the block again could submit twice",
                    title,
                )
        return Step(
            id=step_id,
            kind="block",
            args=None,
            body=tuple(body),
            rescue=tuple(rescue),
            always=tuple(always),
            session=block_opts.session,
            restart=block_opts.restart,
            options=opts,
            file=self.file,
            line=line,
        )

    # --- use ------------------------------------------------------------------------------

    def use(self, args: UseArgs, node: Node, title: str) -> Playbook | None:
        if tpl.is_template(args.playbook):
            self.issue(node, "use: the playbook's name cannot be a template", title)
            return None
        target, looked = self.loader.resolve(args.playbook, self.path)
        where = yamlpos.child(node, "playbook") or node
        if target is None:
            folders = ", ".join(_display(f) for f in looked)
            self.issue(where, f"use: no playbook {args.playbook!r} (looked in {folders})", title)
            return None
        if target in self.chain:
            loop = (*self.chain[self.chain.index(target) :], target)
            cycle = " → ".join(p.name for p in loop)
            self.issue(where, f"use: a cycle of playbooks: {cycle}", title)
            return None
        used, issues = self.loader._load(target, self.chain)
        if used is None:
            self.issue(where, f"use: playbook {args.playbook!r} has errors (listed below)", title)
            self.issues.extend(issues)
            return None
        given_node = yamlpos.child(node, "inputs")
        for given in args.inputs:
            if given not in used.inputs:
                self.issue(
                    yamlpos.key_node(given_node, given) or node,
                    f"use: {used.name} has no input {given!r}{did_you_mean(given, used.inputs)}; "
                    + (expected(used.inputs) if used.inputs else "it has no inputs"),
                    title,
                )
        for needed, spec in used.inputs.items():
            if spec.is_required and needed not in args.inputs and needed not in self.header.inputs:
                self.issue(
                    node,
                    f"use: {used.name} needs input {needed!r}: give it under "
                    f"`inputs:` or declare an input of that name here",
                    title,
                )
            mine = self.header.inputs.get(needed)
            inherits_secret = mine is not None and mine.type is InputType.SECRET
            if inherits_secret and needed not in args.inputs and spec.type is not InputType.SECRET:
                self.issue(
                    node,
                    f"use: {used.name} would take the secret input {needed!r} into an input "
                    "that is not `type: secret`; a secret goes only into a secret input",
                    title,
                )
        return used

    # --- templates ------------------------------------------------------------------------

    def template(
        self,
        node: Node | None,
        source: str,
        is_expr: bool,
        step: str | None,
        in_rescue: bool = False,
        *,
        place: str,
        may_pass: bool = False,
    ) -> None:
        if is_expr or tpl.is_template(source):
            self.templates.append(
                _Template(node, source, is_expr, step, in_rescue, place, may_pass)
            )

    def check_templates(self) -> None:
        secret_inputs = {
            name for name, spec in self.header.inputs.items() if spec.type is InputType.SECRET
        }
        for t in self.templates:
            for problem in template_problems(
                t.source,
                is_expr=t.is_expr,
                inputs=self.header.inputs,
                var_names=self.var_names,
                in_rescue=t.in_rescue,
            ):
                self.issue(t.node, problem, t.step)
            for problem in tpl.secret_problems(
                t.source,
                is_expr=t.is_expr,
                secret_inputs=secret_inputs,
                place=t.place,
                may_pass=t.may_pass,
            ):
                self.issue(t.node, problem, t.step)


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(part) for part in path)


def _secret_place(kind: str, path: tuple[Any, ...], used: Playbook | None) -> tuple[bool, str]:
    """Whether a step argument may take a secret (whole), and how to name it in a refusal.
    A secret goes only where it is typed or handed on as a secret: a fill's value, a sign
    param, a used playbook's ``type: secret`` input."""
    place = f"{kind}: {_dotted(path)}"
    if kind == "fill" and path == ("value",):
        return True, place
    if kind == "sign" and len(path) == 2 and path[0] == "params":
        return True, place
    if kind == "use" and len(path) == 2 and path[0] == "inputs":
        spec = used.inputs.get(str(path[1])) if used is not None else None
        if spec is None or spec.type is InputType.SECRET:
            return True, place  # an unknown input is reported by ``use`` already
        assert used is not None
        return False, f"{place} (an input of {used.name} that is not `type: secret`)"
    return False, place


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- helpers for the command line -------------------------------------------------------------


def find_playbook(ref: str, playbook_dirs: Sequence[Path]) -> Path:
    """A playbook given as a path, or by name in the first of ``playbook_dirs`` that has it
    (``Settings.playbook_dirs``: the user's folder, then the built-ins)."""
    direct = Path(ref)
    if direct.is_file():
        return direct
    for folder in playbook_dirs:
        for candidate in (folder / ref, *(folder / (ref + s) for s in SUFFIXES)):
            if candidate.is_file():
                return candidate
    where = " or ".join(f"{d}/" for d in playbook_dirs) or "no playbook folder"
    raise PlaybookError(
        [LoadIssue(ref, None, None, f"no playbook {ref!r} (not a file, nor in {where})")]
    )


def playbook_files(paths: Iterable[Path]) -> list[Path]:
    """The playbook files named, with folders searched recursively for .yaml/.yml."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found
