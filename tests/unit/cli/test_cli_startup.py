"""The command line starts without importing what its command does not need (issue 16 §7).

What is imported is behaviour, so it is tested here, in fresh interpreters; how long it
takes is measured by bench/cli_startup.py, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from rpa.cli import app

HEAVY = ("playwright", "rpa.engine", "rpa.agent", "rpa.browser", "rpa.steps", "pydantic")
# what reading the journal does without: settings, records, logs, Rich, the events' classes
NOT_FOR_READING = (*HEAVY, "rpa.config", "rpa.clients", "rpa.logs", "loguru", "rich", "rpa.events")

PROBE = """
import json, sys
sys.argv = ["rpa", *json.loads(sys.argv[1])]
code = 0
try:
    from rpa.cli import main
    main()
except SystemExit as exc:
    code = exc.code or 0
tops = ("rpa", "playwright", "pydantic", "pydantic_settings", "loguru", "rich")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in tops)
print("\\n@@" + json.dumps({"code": code, "modules": loaded}))
"""


def modules_after(args: list[str], tmp_path: Path, *, data: Path | None = None) -> list[str]:
    """The modules of rpa, Playwright, pydantic, loguru and Rich loaded once ``rpa ARGS`` has
    run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env["RPA_DATA_DIR"] = str(data or tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "@@" in done.stdout, done.stderr
    report = json.loads(done.stdout.rsplit("@@", 1)[1])
    modules: list[str] = report["modules"]
    return modules


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(HEAVY)]


def test_importing_the_cli_app_imports_neither_playwright_nor_the_engine(tmp_path: Path) -> None:
    code = "import sys, rpa.cli.app; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    loaded = done.stdout.split()
    assert "rpa.cli.app" in loaded
    assert heavy(loaded) == []
    assert [m for m in loaded if m.startswith("rpa.cli.") and m != "rpa.cli.app"] == []


def test_rpa_help_imports_no_command_module(tmp_path: Path) -> None:
    loaded = modules_after(["--help"], tmp_path)
    assert heavy(loaded) == []
    assert [m for m in loaded if m.startswith("rpa.cli.") and m != "rpa.cli.app"] == []


def journal_with_a_job(tmp_path: Path) -> tuple[Path, str]:
    from rpa.journal import Journal
    from rpa.outcomes import Outcome

    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    job = journal.add_job("renew", client="AAACB1234F")
    journal.job_finished(job, Outcome.CHANGED, duration_s=1.0)
    journal.close()
    return data, job


def test_rpa_jobs_list_imports_no_settings_no_logs_no_pydantic_no_engine(tmp_path: Path) -> None:
    data, _ = journal_with_a_job(tmp_path)
    loaded = modules_after(["-v", "jobs", "list", "--client", "AAACB1234F"], tmp_path, data=data)
    assert "rpa.cli.jobs" in loaded
    assert "rpa.journal.store" in loaded
    assert [m for m in loaded if m.startswith(NOT_FOR_READING)] == []


def test_rpa_jobs_show_imports_no_settings_no_logs_no_pydantic_no_engine(tmp_path: Path) -> None:
    data, job = journal_with_a_job(tmp_path)
    loaded = modules_after(["jobs", "show", job], tmp_path, data=data)
    assert "rpa.journal.store" in loaded
    assert [m for m in loaded if m.startswith(NOT_FOR_READING) and m.split(".")[0] != "rich"] == []


def test_rpa_jobs_list_without_a_journal_imports_no_pydantic(tmp_path: Path) -> None:
    loaded = modules_after(["jobs", "list"], tmp_path)
    assert "rpa.cli.jobs" in loaded
    assert heavy(loaded) == []


@pytest.fixture(scope="module")
def registered() -> dict[str, str]:
    """Every command the CLI's modules register, by name: its help."""
    import rpa.cli

    for module in Path(rpa.cli.__file__).parent.glob("*.py"):
        if module.stem not in ("__init__", "__main__"):
            __import__(f"rpa.cli.{module.stem}")
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    return {name: " ".join((cmd.help or "").split()) for name, cmd in commands.items()}


def test_the_command_table_names_every_command_the_modules_register(
    registered: dict[str, str],
) -> None:
    from rpa.cli.app import COMMANDS

    assert set(COMMANDS) == set(registered)


def test_the_command_table_gives_each_command_its_own_help(registered: dict[str, str]) -> None:
    from rpa.cli.app import COMMANDS

    for name, command in COMMANDS.items():
        assert registered[name].startswith(command.help), name
