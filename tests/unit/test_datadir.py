"""The data folder found alone (``rpa.datadir``) is the one ``Settings`` finds, in every case
of precedence: flag, environment, ``.env``, default (issue 16 §7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rpa.config import load_settings
from rpa.datadir import DEFAULT_DATA_DIR, data_dir, journal_path

# (flag, environment, .env file's text or None for no file), the folder both must find
CASES: dict[str, tuple[str | None, dict[str, str], str | None, Path]] = {
    "nothing set: the default": (None, {}, None, DEFAULT_DATA_DIR),
    "a .env without it: the default": (None, {}, "RPA_PORTAL_URL=http://x/CP/\n", DEFAULT_DATA_DIR),
    "the .env's": (None, {}, "RPA_DATA_DIR=from-dotenv\n", Path("from-dotenv")),
    "the environment's": (None, {"RPA_DATA_DIR": "from-env"}, None, Path("from-env")),
    "the environment over the .env": (
        None,
        {"RPA_DATA_DIR": "from-env"},
        "RPA_DATA_DIR=from-dotenv\n",
        Path("from-env"),
    ),
    "the flag over both": (
        "from-flag",
        {"RPA_DATA_DIR": "from-env"},
        "RPA_DATA_DIR=from-dotenv\n",
        Path("from-flag"),
    ),
    "the flag over the .env": (
        "from-flag",
        {},
        "RPA_DATA_DIR=from-dotenv\n",
        Path("from-flag"),
    ),
    "an empty flag: the current folder": ("", {"RPA_DATA_DIR": "from-env"}, None, Path()),
    "a lower-case variable": (None, {"rpa_data_dir": "lower"}, None, Path("lower")),
    "a mixed-case .env name": (None, {}, "Rpa_Data_Dir=mixed\n", Path("mixed")),
    "an empty variable: the current folder": (
        None,
        {"RPA_DATA_DIR": ""},
        "RPA_DATA_DIR=from-dotenv\n",
        Path(),
    ),
    "an empty .env value: the current folder": (None, {}, "RPA_DATA_DIR=\n", Path()),
    "a .env name without a value: the default": (None, {}, "RPA_DATA_DIR\n", DEFAULT_DATA_DIR),
    "a .env written as shell": (
        None,
        {},
        "# data\nexport RPA_DATA_DIR='/srv/rpa data'  # quoted\n",
        Path("/srv/rpa data"),
    ),
    "a .env value using a variable": (
        None,
        {"BASE_FOR_TEST": "/srv"},
        "RPA_DATA_DIR=${BASE_FOR_TEST}/rpa\n",
        Path("/srv/rpa"),
    ),
    "the last of two .env lines": (
        None,
        {},
        "RPA_DATA_DIR=first\nRPA_DATA_DIR=second\n",
        Path("second"),
    ),
    "a tilde kept as written": (None, {"RPA_DATA_DIR": "~/rpa"}, None, Path("~/rpa")),
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No RPA_ variable from outside, and a working folder of the test's own."""
    for name in list(os.environ):
        if name.upper().startswith("RPA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", list(CASES))
def test_the_data_folder_alone_is_the_one_settings_find(
    case: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag, environ, dotenv, expected = CASES[case]
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if dotenv is not None:
        (clean_env / ".env").write_text(dotenv, encoding="utf-8")
    settings = load_settings({"data_dir": flag})
    assert settings.data_dir == expected
    assert data_dir(flag) == expected
    assert journal_path(data_dir(flag)) == settings.journal_path


def test_a_folder_named_env_is_no_env_file_for_either(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").mkdir()
    assert data_dir() == load_settings().data_dir == DEFAULT_DATA_DIR


def test_without_an_env_file_only_the_environment_counts(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text("RPA_DATA_DIR=from-dotenv\n", encoding="utf-8")
    assert data_dir(env_file=None) == load_settings(env_file=None).data_dir == DEFAULT_DATA_DIR
    monkeypatch.setenv("RPA_DATA_DIR", "from-env")
    assert data_dir(env_file=None) == load_settings(env_file=None).data_dir == Path("from-env")
