"""The examples in docs/playbooks.md are valid: whole playbooks load, step snippets check."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from rpa.errors import PlaybookError
from rpa.playbook.loader import Loader

DOC = Path(__file__).parents[3] / "docs" / "playbooks.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
# Problems a snippet may have out of context: names it does not declare.
CONTEXT_FREE = ("undefined variable", "use: no playbook", "use: ")


def test_the_reference_has_examples() -> None:
    assert len(BLOCKS) > 20


@pytest.mark.parametrize("block", BLOCKS)
def test_every_yaml_example_is_valid_yaml(block: str) -> None:
    yaml.safe_load(block)


def test_the_whole_playbooks_in_the_reference_load(tmp_path: Path) -> None:
    files = [b for b in BLOCKS if b.startswith("# file: ")]
    assert files
    for block in files:
        name = block.splitlines()[0].removeprefix("# file: ").strip()
        (tmp_path / name).write_text(block, encoding="utf-8")
    for block in files:
        name = block.splitlines()[0].removeprefix("# file: ").strip()
        Loader([tmp_path]).load(tmp_path / name)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lstrip().startswith("- ")])
def test_every_step_example_in_the_reference_checks(block: str, tmp_path: Path) -> None:
    path = tmp_path / "snippet.yaml"
    path.write_text("steps:\n" + textwrap.indent(block, "  "), encoding="utf-8")
    try:
        Loader([tmp_path]).load(path)
    except PlaybookError as exc:
        real = [i for i in exc.issues if not i.message.startswith(CONTEXT_FREE)]
        assert not real, "\n".join(map(str, real))
