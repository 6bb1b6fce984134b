"""``rpa validate`` and ``rpa schema``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rpa.cli import app
from rpa.playbook.kinds import KINDS

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RPA_DATA_DIR", str(tmp_path / "data"))


def test_validate_passes_good_playbooks_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "login.yaml").write_text("steps:\n  - goto: login\n")
    (tmp_path / "books" / "main.yml").write_text("steps:\n  - use: login\n")
    result = runner.invoke(app, ["validate", "books"])
    assert result.exit_code == 0, result.output
    assert "login.yaml" in result.output and "main.yml" in result.output


def test_validate_lists_every_problem_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - clik: A\n  - fill: {label: PAN}\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:2:5" in result.output and "bad.yaml:3:11" in result.output
    assert "2 problem(s)" in result.output


def test_validate_refuses_a_path_that_does_not_exist() -> None:
    result = runner.invoke(app, ["validate", "nowhere.yaml"])
    assert result.exit_code == 2


def test_schema_describes_every_step_kind() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    titles = {shape["title"] for shape in schema["$defs"]["Step"]["anyOf"]}
    assert titles == {f"{kind} step" for kind in KINDS}
    assert schema["required"] == ["steps"]
    assert "Locator" in schema["$defs"] and "Condition" in schema["$defs"]


def test_schema_can_be_written_to_a_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "--output", "schema.json"])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "schema.json").read_text())["title"] == "dgft-rpa playbook"


def test_the_schema_accepts_shorthand_and_full_forms_of_a_step() -> None:
    schema = json.loads(runner.invoke(app, ["schema"]).output)
    click = next(s for s in schema["$defs"]["Step"]["anyOf"] if s["title"] == "click step")
    kinds = [
        option.get("type") or option.get("$ref") for option in click["properties"]["click"]["anyOf"]
    ]
    assert ["string", "number"] in kinds and "#/$defs/ClickArgs" in kinds
    assert set(click["properties"]) >= {"name", "when", "retry", "submit", "guard", "register"}
