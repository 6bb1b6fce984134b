"""The Typer application, global options, and the error-to-exit-code mapping.

Exit codes: 0 success; 1 a job failed or needs input, or a check found problems;
2 bad usage (bad flags, bad settings, a file that cannot be read).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Console

from rpa.config import Settings, load_settings
from rpa.errors import ConfigError, RpaError
from rpa.logs import configure_logging

app = typer.Typer(
    name="rpa",
    help="Automates DGFT portal paperwork (IEC link, annual update, e-IEC) for many clients.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass
class GlobalOptions:
    verbosity: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None

    def settings(self, **more: Any) -> Settings:
        """Settings with the global flags and ``more`` command flags applied; logs set up."""
        merged = {**self.overrides, **{k: v for k, v in more.items() if v is not None}}
        if self._settings is None or more:
            self._settings = load_settings(merged)
            level = {-1: "WARNING", 0: self._settings.log_level, 1: "DEBUG"}.get(
                max(-1, min(1, self.verbosity)), "INFO"
            )
            configure_logging(level=level, logs_dir=self._settings.logs_dir)
        return self._settings


state = GlobalOptions()


@app.callback()
def _global(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More output")] = 0,
    quiet: Annotated[int, typer.Option("--quiet", "-q", count=True, help="Less output")] = 0,
    data_dir: Annotated[str | None, typer.Option(help="Data directory (RPA_DATA_DIR)")] = None,
    portal_url: Annotated[str | None, typer.Option(help="Portal base URL (RPA_PORTAL_URL)")] = None,
    browser_path: Annotated[
        str | None, typer.Option(help="Browser executable (RPA_BROWSER_PATH)")
    ] = None,
) -> None:
    state.verbosity = verbose - quiet
    state.overrides = {
        "data_dir": data_dir,
        "portal_url": portal_url,
        "browser_path": browser_path,
    }
    state._settings = None


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def main() -> None:
    """Console-script entry point: maps our errors to messages and exit codes."""
    try:
        app()
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    except RpaError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(EXIT_FAILED)
