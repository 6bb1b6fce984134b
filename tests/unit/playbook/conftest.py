from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from rpa.errors import LoadIssue, PlaybookError
from rpa.playbook.loader import Loader
from rpa.playbook.model import Playbook

Write = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def write(text: str, name: str = "main.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load(tmp_path: Path) -> Callable[[Path], Playbook]:
    return lambda path: Loader([tmp_path]).load(path)


@pytest.fixture
def issues(tmp_path: Path) -> Callable[[Path], list[LoadIssue]]:
    def issues(path: Path) -> list[LoadIssue]:
        try:
            Loader([tmp_path]).load(path)
        except PlaybookError as exc:
            return exc.issues
        raise AssertionError("the playbook loaded without errors")

    return issues
