"""``--help`` shows flags as flags, and every command (issue 16 §8)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

import rpa.cli
from rpa.cli import app


def every_command() -> list[list[str]]:
    """The path of every command, groups' subcommands included (all modules imported)."""
    for module in Path(rpa.cli.__file__).parent.glob("*.py"):
        if module.stem not in ("__init__", "__main__"):
            __import__(f"rpa.cli.{module.stem}")
    paths: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_help_shows_flags_as_flags_not_as_bool_values() -> None:
    runner = CliRunner()
    for path in every_command():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, (path, result.output)
    batch = runner.invoke(app, ["batch", "--help"], env={"COLUMNS": "80"}).output
    assert re.search(r"^\s+--check\s+Stop before submitting", batch, re.M), batch
    assert re.search(r"^\s+--headed\s+Show the browser", batch, re.M), batch


def test_rpa_help_lists_every_command_with_its_help() -> None:
    from rpa.cli.app import COMMANDS

    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:")[1]
    names = re.findall(r"^  (\S+)\s", listed, re.M)
    assert names == list(COMMANDS)
    assert "Check Python, Playwright" in listed


def test_a_mistyped_command_is_an_error_that_suggests_the_right_one() -> None:
    result = CliRunner().invoke(app, ["jbos", "list"])
    assert result.exit_code == 2
    assert "No such command 'jbos'" in result.output and "'jobs'" in result.output
