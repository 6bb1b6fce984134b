"""Settings: defaults < ``.env`` < environment (``RPA_*``) < command-line flags.

Every setting is an ``RPA_``-prefixed environment variable (``RPA_PORTAL_URL``), may be
written in a ``.env`` file in the working directory, and the CLI passes its flags as
overrides. ``describe_settings`` tells where each effective value came from, with secret
values masked, for ``rpa config``. ``rpa.datadir`` finds the data folder alone, the same
way, for the commands that only read the journal.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rpa.datadir import DEFAULT_DATA_DIR, ENV_FILE, ENV_PREFIX, journal_path
from rpa.errors import ConfigError

TraceMode = Literal["on-retry", "on-failure", "always", "never"]


class Settings(BaseSettings):
    """Effective settings of one process. Build with ``load_settings``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    portal_url: str = Field(
        "http://127.0.0.1:8700/CP/", description="Base URL of the portal, ending in /CP/"
    )
    data_dir: Path = Field(
        DEFAULT_DATA_DIR, description="Journal, artifacts, certificates and logs live here"
    )
    browser_path: Path | None = Field(
        None, description="Chromium/Chrome executable to use instead of searching"
    )
    headless: bool = Field(True, description="Run the browser without a window")
    headless_shell: bool = Field(
        True,
        description="Headless runs use Chromium's headless shell when one is installed "
        "(less CPU and memory than the full browser)",
    )
    slow_mo_ms: int = Field(0, ge=0, description="Pause after each browser action (ms)")
    concurrency: int = Field(4, ge=1, le=64, description="Jobs run at once in a batch")
    step_timeout_ms: int = Field(15_000, ge=100, description="Default wait for a step's locator")
    navigation_timeout_ms: int = Field(30_000, ge=100, description="Default page-load wait")
    quiet_network: bool = Field(
        True,
        description="Stop Chromium's background traffic (needed on closed networks)",
    )
    trace: TraceMode = Field(
        "on-retry",
        description="Playwright traces: on-retry (recorded once a job retries, kept if it "
        "fails)|on-failure (recorded always, kept if it fails)|always|never",
    )
    documents_dir: Path | None = Field(
        None,
        description="A folder client documents may be in besides the client file's own "
        "(unset: only the client file's folder)",
    )
    playbooks_dir: Path | None = Field(
        None,
        description="A folder of your own playbooks, searched before the built-in ones: "
        "adds playbooks, or replaces a built-in of the same name (unset: the built-ins only)",
    )
    otp_provider: str = Field("prompt", description="prompt | queue | mock-outbox")
    captcha_provider: str = Field("prompt", description="prompt | queue | mock")
    challenges: str | None = Field(
        None,
        description="Where every OTP and captcha goes: console (the office console's "
        "inbox, `rpa serve`) | prompt | queue; overrides RPA_OTP_PROVIDER and "
        "RPA_CAPTCHA_PROVIDER (unset: they decide, prompt by default)",
    )
    relay_url: str | None = Field(
        None,
        description="Public address of the OTP relay pages (behind the office's reverse "
        "proxy), used in the links sent to clients (unset: the console's own address)",
    )
    relay_webhook_url: SecretStr | None = Field(
        None,
        description="URL that gets each OTP relay link as a JSON POST, for an SMS or "
        "WhatsApp gateway (unset: links go by email only)",
    )
    console_url: str | None = Field(
        None,
        description="The office console's address as people and workers reach it (e.g. "
        "https://rpa.office.example): reports link certificates to its download, and a "
        "worker's jobs ask their OTPs and captchas there (unset: reports name the "
        "certificate file and its SHA-256 only; workers use the otp/captcha providers)",
    )
    clients_file: Path | None = Field(
        None,
        description="The office's client file the console's Clients page plans renewals "
        "from (unset: the client file of the newest batch that can still be read)",
    )
    challenge_timeout_s: float = Field(
        600.0, gt=0, description="How long a queued OTP/captcha waits for a person"
    )
    mock_api_url: str | None = Field(
        None, description="Mock portal test API root (default: the portal URL's origin)"
    )
    log_level: str = Field("INFO", description="Console log level")
    smtp_password: SecretStr | None = Field(None, description="Password for notification email")
    smtp_host: str | None = Field(
        None, description="SMTP server for notification email (unset: no email is sent)"
    )
    smtp_port: int = Field(
        587, ge=1, le=65535, description="SMTP port (465 means TLS from the first byte)"
    )
    smtp_user: str | None = Field(
        None, description="SMTP login user (unset: send without logging in)"
    )
    smtp_starttls: bool = Field(
        True, description="Upgrade the SMTP connection with STARTTLS before sending"
    )
    notify_email_from: str | None = Field(
        None, description="From: address of notification email (default: dgft-rpa@HOSTNAME)"
    )
    notify_email_to: str = Field(
        "", description="Who gets the run summary by email: addresses separated by commas"
    )
    notify_webhook_url: SecretStr | None = Field(
        None, description="URL that gets the run summary as a JSON POST (Slack-compatible)"
    )
    renew_lock_path: Path | None = Field(
        None, description="Lock file of `rpa renew run` (default: DATA_DIR/renew.lock)"
    )
    # -- several PCs (docs/distributed.md) --
    embridge_url: str | None = Field(
        None,
        description="Where this PC's emBridge answers (unset: where the portal's pages call "
        "it, https://localhost.emudhra.com:26769); `rpa worker` lists its tokens there",
    )
    embridge_secret: SecretStr | None = Field(
        None,
        description="The emBridge integration key that seals a ListToken request (`rpa "
        "worker`; unset: the worker serves the tokens given with --tokens)",
    )
    token_relist_s: float = Field(
        60.0, gt=0, description="How often `rpa worker` lists its emBridge's tokens again (s)"
    )
    temporal_api_key: SecretStr | None = Field(
        None,
        description="API key of a Temporal Cloud namespace (set: the connection uses TLS)",
    )
    temporal_heartbeat_s: float = Field(
        60.0,
        gt=0,
        description="A remote job whose worker is silent this long is run again elsewhere (s)",
    )
    worker_token: SecretStr | None = Field(
        None, description="This worker's credential for the office console's API"
    )

    @field_validator("portal_url")
    @classmethod
    def _portal_url_has_scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value if value.endswith("/") else value + "/"

    @field_validator("challenges")
    @classmethod
    def _known_challenges(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        choice = value.strip().lower()
        if choice not in ("console", "prompt", "queue"):
            raise ValueError(f"unknown challenges setting {value!r}: console, prompt or queue")
        return choice

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @property
    def playbook_dirs(self) -> list[Path]:
        """Where ``rpa run NAME`` looks, in order, and ``use:``/``extends:`` after the file's
        own folder: the user's folder (``playbooks_dir``), then the built-in playbooks."""
        from rpa.playbook.builtin import builtin_playbooks_dir

        own = [] if self.playbooks_dir is None else [self.playbooks_dir]
        return [*own, builtin_playbooks_dir()]

    @property
    def journal_path(self) -> Path:
        return journal_path(self.data_dir)

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def certificates_dir(self) -> Path:
        return self.data_dir / "certificates"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def renew_lock_file(self) -> Path:
        return self.renew_lock_path or self.data_dir / "renew.lock"

    @property
    def notify_recipients(self) -> list[str]:
        """``notify_email_to`` split on commas (and semicolons), blanks dropped."""
        parts = self.notify_email_to.replace(";", ",").split(",")
        return [p.strip() for p in parts if p.strip()]


def load_settings(
    overrides: dict[str, Any] | None = None, *, env_file: str | Path | None = ENV_FILE
) -> Settings:
    """Build settings; ``overrides`` are CLI flags (``None`` values are ignored)."""
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    try:
        return Settings(_env_file=env_file, **given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc


_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:)[^/?#\s]*@")


def without_url_password(text: str) -> str:
    """``text`` with the password of any URL in it starred: ``https://user:****@host/``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}****@", text)


@dataclass(frozen=True)
class SettingSource:
    name: str
    env_var: str
    value: str
    source: str  # default | .env | environment | flag
    description: str


def describe_settings(
    settings: Settings,
    overrides: dict[str, Any] | None = None,
    *,
    env_file: str | Path | None = ENV_FILE,
) -> list[SettingSource]:
    """Each setting with its effective value (secrets masked) and where it came from."""
    given = {k for k, v in (overrides or {}).items() if v is not None}
    dotenv = {
        k.upper(): v
        for k, v in (
            dotenv_values(env_file) if env_file and Path(env_file).is_file() else {}
        ).items()
    }
    environ = {k.upper() for k in os.environ}
    rows: list[SettingSource] = []
    for name, field in Settings.model_fields.items():
        env_var = f"{ENV_PREFIX}{name.upper()}"
        if name in given:
            source = "flag"
        elif env_var in environ:
            source = "environment"
        elif env_var in dotenv:
            source = f"{env_file}"
        else:
            source = "default"
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = "********" if value.get_secret_value() else ""
        else:
            shown = "" if value is None else without_url_password(str(value))
        rows.append(SettingSource(name, env_var, shown, source, field.description or ""))
    return rows
