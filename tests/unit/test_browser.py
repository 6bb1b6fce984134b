from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rpa.browser import QUIET_NETWORK_ARGS, launch_args, resolve_browser
from rpa.errors import BrowserNotFoundError


def make_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def empty(tmp_path: Path) -> dict[str, object]:
    """Search locations that hold nothing, so only what a test adds can be found."""
    (tmp_path / "bin").mkdir()
    return {
        "search_path": str(tmp_path / "bin"),
        "playwright_dir": tmp_path / "ms-playwright",
        "system_paths": (),
        "shell_paths": (),
    }


def test_the_browser_path_setting_wins_over_everything(tmp_path: Path, empty: dict) -> None:
    chosen = make_executable(tmp_path / "custom" / "chrome")
    make_executable(tmp_path / "ms-playwright" / "chromium-1100" / "chrome-linux" / "chrome")
    make_executable(tmp_path / "bin" / "chromium")
    choice = resolve_browser(chosen, **empty)  # type: ignore[arg-type]
    assert (choice.executable, choice.source) == (chosen, "setting")


def test_a_browser_path_setting_that_is_not_executable_is_refused(
    tmp_path: Path, empty: dict
) -> None:
    with pytest.raises(BrowserNotFoundError, match="RPA_BROWSER_PATH is set to"):
        resolve_browser(tmp_path / "nope", **empty)  # type: ignore[arg-type]


def test_playwrights_own_chromium_is_preferred_to_the_system_one(
    tmp_path: Path, empty: dict
) -> None:
    old = make_executable(tmp_path / "ms-playwright" / "chromium-1090" / "chrome-linux" / "chrome")
    new = make_executable(
        tmp_path / "ms-playwright" / "chromium-1100" / "chrome-linux64" / "chrome"
    )
    make_executable(tmp_path / "bin" / "chromium")
    choice = resolve_browser(None, **empty)  # type: ignore[arg-type]
    assert choice.source == "playwright"
    assert choice.executable == new != old


def test_a_system_chromium_on_path_is_found(tmp_path: Path, empty: dict) -> None:
    on_path = make_executable(tmp_path / "bin" / "google-chrome")
    choice = resolve_browser(None, **empty)  # type: ignore[arg-type]
    assert (choice.executable, choice.source) == (on_path, "system")
    assert "on PATH" in choice.reason


def test_a_system_chromium_in_a_usual_install_path_is_found(tmp_path: Path, empty: dict) -> None:
    installed = make_executable(tmp_path / "opt" / "chromium")
    empty["system_paths"] = (str(tmp_path / "missing"), str(installed))
    choice = resolve_browser(None, **empty)  # type: ignore[arg-type]
    assert choice.executable == installed


def test_a_file_that_is_not_executable_is_not_taken_for_a_browser(
    tmp_path: Path, empty: dict
) -> None:
    plain = tmp_path / "bin" / "chromium"
    plain.write_text("not a program")
    with pytest.raises(BrowserNotFoundError):
        resolve_browser(None, **empty)  # type: ignore[arg-type]


def test_when_nothing_is_found_the_error_names_both_fixes(empty: dict) -> None:
    with pytest.raises(BrowserNotFoundError) as caught:
        resolve_browser(None, **empty)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "playwright install chromium" in message
    assert "apt-get install -y chromium" in message


def test_a_headless_run_takes_playwrights_headless_shell_over_its_full_chromium(
    tmp_path: Path, empty: dict
) -> None:
    make_executable(tmp_path / "ms-playwright" / "chromium-1200" / "chrome-linux64" / "chrome")
    shell = make_executable(
        tmp_path
        / "ms-playwright"
        / "chromium_headless_shell-1200"
        / "chrome-headless-shell-linux64"
        / "chrome-headless-shell"
    )
    choice = resolve_browser(None, headless=True, **empty)  # type: ignore[arg-type]
    assert (choice.executable, choice.source, choice.headless_shell) == (shell, "playwright", True)


def test_a_headless_run_takes_the_systems_headless_shell_over_its_chromium(
    tmp_path: Path, empty: dict
) -> None:
    make_executable(tmp_path / "bin" / "chromium")
    shell = make_executable(tmp_path / "bin" / "chromium-headless-shell")
    choice = resolve_browser(None, headless=True, **empty)  # type: ignore[arg-type]
    assert (choice.executable, choice.headless_shell) == (shell, True)
    assert "headless shell" in choice.reason


def test_a_headed_run_never_takes_a_headless_shell(tmp_path: Path, empty: dict) -> None:
    make_executable(
        tmp_path
        / "ms-playwright"
        / "chromium_headless_shell-1200"
        / "chrome-linux"
        / "headless_shell"
    )
    make_executable(tmp_path / "bin" / "chromium-headless-shell")
    full = make_executable(tmp_path / "bin" / "chromium")
    choice = resolve_browser(None, headless=False, **empty)  # type: ignore[arg-type]
    assert (choice.executable, choice.headless_shell) == (full, False)


def test_a_headless_run_can_be_kept_on_the_full_browser(tmp_path: Path, empty: dict) -> None:
    make_executable(tmp_path / "bin" / "chromium-headless-shell")
    full = make_executable(tmp_path / "bin" / "chromium")
    choice = resolve_browser(None, headless=True, prefer_shell=False, **empty)  # type: ignore[arg-type]
    assert choice.executable == full


def test_a_headless_shell_alone_serves_headless_runs_but_a_headed_run_is_told_why_not(
    tmp_path: Path, empty: dict
) -> None:
    shell = make_executable(tmp_path / "bin" / "chromium-headless-shell")
    for prefer in (True, False):
        choice = resolve_browser(None, headless=True, prefer_shell=prefer, **empty)  # type: ignore[arg-type]
        assert choice.executable == shell
    with pytest.raises(BrowserNotFoundError, match="cannot show a window") as caught:
        resolve_browser(None, headless=False, **empty)  # type: ignore[arg-type]
    assert "apt-get install -y chromium" in str(caught.value)


def test_a_browser_path_setting_naming_a_headless_shell_is_refused_for_a_headed_run(
    tmp_path: Path, empty: dict
) -> None:
    shell = make_executable(tmp_path / "custom" / "headless_shell")
    assert resolve_browser(shell, headless=True, **empty).headless_shell  # type: ignore[arg-type]
    with pytest.raises(BrowserNotFoundError, match="cannot show a window"):
        resolve_browser(shell, headless=False, **empty)  # type: ignore[arg-type]


def test_no_sandbox_is_added_only_when_running_as_root() -> None:
    assert "--no-sandbox" in launch_args(as_root=True, quiet_network=False)
    assert "--no-sandbox" not in launch_args(as_root=False, quiet_network=False)


def test_quiet_network_flags_are_added_on_a_closed_network() -> None:
    quiet = launch_args(as_root=False, quiet_network=True)
    assert all(flag in quiet for flag in QUIET_NETWORK_ARGS)
    assert not set(QUIET_NETWORK_ARGS) & set(launch_args(as_root=False, quiet_network=False))


def test_this_machine_has_a_browser_to_run_the_suite_with() -> None:
    # The suite's own precondition: make test installs one when it is missing.
    choice = resolve_browser(None)
    assert os.access(choice.executable, os.X_OK)
