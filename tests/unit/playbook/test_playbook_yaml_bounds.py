"""Loading a playbook is bounded: YAML aliases may not expand past a small budget, nor
nesting past a depth, and either is refused at its file:line:column."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rpa.errors import LoadIssue
from rpa.playbook import yamlpos
from rpa.playbook.model import Playbook

Write = Callable[..., Path]
Issues = Callable[[Path], list[LoadIssue]]
Load = Callable[[Path], Playbook]


def laughs(levels: int = 8) -> str:
    """The billion laughs as a playbook's ``vars:``, each level nine aliases of the one
    before: 9**8 strings (43 million) from a few hundred bytes."""
    lines = ["vars:", '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"[: levels + 1]
    for before, name in itertools.pairwise(names):
        lines.append(f"  {name}: &{name} [{','.join([f'*{before}'] * 9)}]")
    lines.append("steps: [{log: hello}]")
    return "\n".join(lines) + "\n"


def test_the_billion_laughs_is_refused_at_the_alias_that_passes_the_budget() -> None:
    text = laughs()
    assert len(text.encode()) < 400
    with pytest.raises(yamlpos.YamlProblem) as refused:
        yamlpos.compose(text)
    problem = refused.value
    # aliases add: b 9 × 10 nodes, c 9 × 91, d 9 × 820 each: d's 5th *c passes 5,000
    assert (problem.line, problem.column) == (5, 22)
    assert "aliases expand to more than 5000 nodes (at *c)" in problem.message


# `rpa validate` with 1 GiB of address space: before the budget, the file exhausted it
VALIDATE_IN_1_GIB = (
    "import resource, runpy, sys; "
    "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    "sys.argv = ['rpa', 'validate', sys.argv[1]]; "
    "runpy.run_module('rpa', run_name='__main__')"
)


def test_rpa_validate_refuses_the_billion_laughs_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", VALIDATE_IN_1_GIB, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=300,  # a safety net for a regression, not a measure
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "laughs.yaml:5:22" in result.stdout + result.stderr
    assert "aliases expand to more than" in result.stdout + result.stderr


def test_a_few_small_aliases_still_load(write: Write, load: Load) -> None:
    path = write(
        """
        steps:
          - fill: &pan {label: PAN, exact: true, value: "{{ client.pan }}"}
          - block:
              - fill: *pan
              - click: {role: button, name: Save}
            retry: &again {attempts: 3, delay: 1}
          - block:
              - fill: *pan
            retry: *again
        """
    )
    playbook = load(path)
    assert [step.kind for step in playbook.steps] == ["fill", "block", "block"]
    assert playbook.steps[2].options.retry == playbook.steps[1].options.retry


def test_an_alias_inside_the_node_it_names_is_refused_where_it_is(
    write: Write, issues: Issues
) -> None:
    path = write("steps: &a\n  - log: x\n  - block: *a\n")
    found = issues(path)
    assert [(i.line, i.column) for i in found] == [(3, 12)]
    assert "the alias *a is inside the node it names" in found[0].message


def test_yaml_nested_past_the_limit_is_refused_at_its_position_not_a_crash(
    write: Write, issues: Issues
) -> None:
    depth = yamlpos.MAX_COMPOSE_DEPTH + 50
    path = write("steps: " + "[" * depth + "]" * depth + "\n")
    found = issues(path)
    assert len(found) == 1 and found[0].line == 1
    assert f"nested more than {yamlpos.MAX_COMPOSE_DEPTH} deep" in found[0].message
