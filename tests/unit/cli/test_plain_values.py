"""Options whose values pass Typer's pydantic coercion by (``rpa.cli.app.PlainValue``) get
the values Typer would give them, and refusals in Typer's words (issue 16 §7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

import rpa.cli
from rpa.cli.app import PlainValue, _plain_kind, app, plain_values

SAMPLES: dict[type, list[Any]] = {
    str: [None, "", "AAACB1234F", "Bhārat Exports · नई दिल्ली", "--x", "12"],
    int: [None, 0, 1, 3, -2, "7", "abc", "", 2.5],
    bool: [None, True, False, "yes", "0"],
}


def every_command() -> Any:
    """The whole command tree, every CLI module's commands registered (a fresh build)."""
    for module in Path(rpa.cli.__file__).parent.glob("*.py"):
        if module.stem not in ("__init__", "__main__"):
            __import__(f"rpa.cli.{module.stem}")
    return typer.main.get_command(app)


def params(command: Any, ctx: Any) -> Iterator[tuple[str, Any]]:
    for param in command.get_params(ctx):
        yield f"{command.name} {param.name}", param
    for sub in getattr(command, "commands", {}).values():
        yield from params(sub, ctx)


def coerced(param: Any, value: Any, ctx: Any) -> tuple[str, Any]:
    """What coercing ``value`` for ``param`` gives: the value, or the refusal's message."""
    try:
        return "value", param.get_runtime_param().coerce(value, param=param, ctx=ctx)
    except typer.BadParameter as exc:
        return "refused", exc.format_message()


@pytest.fixture(scope="module")
def typers_and_ours() -> list[tuple[str, Any, Any, type]]:
    """Each plain option twice: as Typer coerces it, and with ``plain_values`` applied."""
    typers, ours = every_command(), every_command()
    ctx = typer.Context(typers)
    plain_values(ours, ctx)
    plain_values(ours, ctx, deep=False)
    pairs = []
    for (name, theirs), (_, mine) in zip(params(typers, ctx), params(ours, ctx), strict=True):
        kind = _plain_kind(theirs)
        if kind is not None:
            pairs.append((name, theirs, mine, kind))
    return pairs


def test_the_global_and_the_jobs_options_are_plain(
    typers_and_ours: list[tuple[str, Any, Any, type]],
) -> None:
    plain = {name for name, *_ in typers_and_ours}
    wanted = {"rpa verbose", "rpa data_dir", "rpa help", "list status", "list as_json"}
    assert wanted <= plain
    assert all(isinstance(mine.get_runtime_param(), PlainValue) for *_, mine, _ in typers_and_ours)


def test_a_plain_option_gets_what_typer_would_give_it(
    typers_and_ours: list[tuple[str, Any, Any, type]],
) -> None:
    ctx = typer.Context(typer.main.get_command(app))
    for name, theirs, mine, kind in typers_and_ours:
        for value in SAMPLES[kind]:
            mine._runtime_param = PlainValue(kind)  # a fallback replaces it with Typer's
            assert coerced(mine, value, ctx) == coerced(theirs, value, ctx), (name, value)


def test_a_bad_number_is_refused_in_typer_s_words(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    done = CliRunner().invoke(app, ["batch", str(tmp_path / "c.csv"), "--concurrency", "x"])
    assert done.exit_code == 2
    assert "Invalid value for '--concurrency'" in done.output
    assert "valid integer" in done.output  # Typer's own check (pydantic's words in 0.29)
