from __future__ import annotations

from pathlib import Path

import pytest

from rpa.config import describe_settings, load_settings
from rpa.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("RPA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text)
    return path


def test_defaults_apply_when_nothing_is_set(tmp_path: Path) -> None:
    settings = load_settings(env_file=tmp_path / "absent.env")
    assert settings.portal_url == "http://127.0.0.1:8700/CP/"
    assert settings.headless is True
    assert settings.concurrency == 4


def test_a_dotenv_file_overrides_the_defaults(tmp_path: Path) -> None:
    env = write_env(tmp_path, "RPA_CONCURRENCY=3\nRPA_PORTAL_URL=http://dotenv/CP/\n")
    settings = load_settings(env_file=env)
    assert (settings.concurrency, settings.portal_url) == (3, "http://dotenv/CP/")


def test_the_environment_overrides_the_dotenv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = write_env(tmp_path, "RPA_CONCURRENCY=3\n")
    monkeypatch.setenv("RPA_CONCURRENCY", "5")
    assert load_settings(env_file=env).concurrency == 5


def test_a_cli_flag_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = write_env(tmp_path, "RPA_CONCURRENCY=3\n")
    monkeypatch.setenv("RPA_CONCURRENCY", "5")
    settings = load_settings({"concurrency": 7, "headless": None}, env_file=env)
    assert settings.concurrency == 7
    assert settings.headless is True  # a flag left unset does not override


def test_each_setting_reports_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = write_env(tmp_path, "RPA_SLOW_MO_MS=50\n")
    monkeypatch.setenv("RPA_HEADLESS", "false")
    flags = {"concurrency": 2}
    settings = load_settings(flags, env_file=env)
    sources = {row.name: row.source for row in describe_settings(settings, flags, env_file=env)}
    assert sources["concurrency"] == "flag"
    assert sources["headless"] == "environment"
    assert sources["slow_mo_ms"] == str(env)
    assert sources["portal_url"] == "default"


def test_secret_settings_are_masked_in_the_description(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RPA_SMTP_PASSWORD", "hunter2-smtp")
    settings = load_settings(env_file=None)
    rows = {row.name: row for row in describe_settings(settings, env_file=None)}
    assert rows["smtp_password"].value == "********"
    assert all("hunter2-smtp" not in row.value for row in rows.values())


def test_an_invalid_setting_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RPA_CONCURRENCY", "lots")
    with pytest.raises(ConfigError, match="RPA_CONCURRENCY"):
        load_settings(env_file=None)


def test_a_portal_url_without_a_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="RPA_PORTAL_URL"):
        load_settings({"portal_url": "dgft.gov.in/CP/"}, env_file=None)
