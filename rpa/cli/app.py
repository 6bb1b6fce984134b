"""The Typer application, global options, and the error-to-exit-code mapping.

Exit codes: 0 success; 1 a job failed or needs input, or a check found problems;
2 bad usage (bad flags, bad settings, a file that cannot be read).

Start-up stays light (issue 16 §7): the app knows its commands from ``COMMANDS`` (name,
module, one-line help) and imports a command's module only when that command runs or shows
its help, so ``rpa --help`` imports no command module, and ``rpa jobs list`` only
``rpa.cli.jobs``. Nothing here imports the engine, Playwright, pydantic or Rich at import
time: settings, logging and the consoles are made on first use, and option values that
need no checking pass Typer's pydantic coercion by (``PlainValue``), so ``rpa jobs list``
imports no pydantic either. A module that registers a command on ``app`` must have its line
in ``COMMANDS`` (a unit test checks they agree). Help is Click's plain layout (flags shown
as flags, no Rich panels to import).
"""

from __future__ import annotations

import difflib
import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.config import Settings

    console: Console  # stdout; made on first use (see __getattr__)
    err_console: Console  # stderr


class Command(NamedTuple):
    module: str  # the module that registers it on ``app``
    help: str  # its one-line help, as the module's docstring says it


# In the order ``rpa --help`` lists them.
COMMANDS: dict[str, Command] = {
    "doctor": Command(
        "rpa.cli.system",
        "Check Python, Playwright, the browser and the playbooks; launch the browser "
        "headless and render a page.",
    ),
    "config": Command(
        "rpa.cli.system",
        "Print the effective settings and where each came from (secrets masked).",
    ),
    "clients": Command(
        "rpa.cli.clients", "Client files (CSV, Excel, YAML): check them before a run."
    ),
    "run": Command(
        "rpa.cli.playbooks",
        "Run one playbook once, in a browser of its own (recorded in the journal).",
    ),
    "batch": Command(
        "rpa.cli.batch",
        "Run a playbook for every client of a file; resumable, nothing submitted twice.",
    ),
    "replay": Command(
        "rpa.cli.batch",
        "Run a job again (with corrected client data), as a new job linked to the old one.",
    ),
    "jobs": Command("rpa.cli.jobs", "List and inspect jobs in the journal."),
    "report": Command(
        "rpa.cli.report",
        "Write a batch's report: per client outcome, ack number, certificate, errors.",
    ),
    "renew": Command(
        "rpa.cli.renew", "The annual IEC update (1 April – 30 June), for many clients."
    ),
    "worker": Command(
        "rpa.cli.worker",
        "Run the jobs of an office's batches whose DSC token is on this PC, and Aadhaar ones.",
    ),
    "fetch-trace": Command(
        "rpa.cli.worker",
        "Bring the trace a remote job left on its worker to this PC (then: rpa jobs show J).",
    ),
    "challenges": Command(
        "rpa.cli.challenges",
        "Challenges waiting for a person: which job, which client, where to answer.",
    ),
    "otp": Command("rpa.cli.challenges", "Give an OTP to a job waiting for one."),
    "captcha": Command("rpa.cli.challenges", "Give a captcha answer to a waiting job."),
    "validate": Command(
        "rpa.cli.playbooks",
        "Check playbooks without running them; every problem is listed with file:line.",
    ),
    "schema": Command(
        "rpa.cli.playbooks",
        "Print the JSON Schema of the playbook language (for editors; see docs/playbooks.md).",
    ),
    "serve": Command(
        "rpa.cli.console",
        "Run the office console: watch batches, answer challenges, replay failures.",
    ),
    "users": Command("rpa.cli.console", "People who may sign in to the console."),
    "workers": Command(
        "rpa.cli.workers", "Remote workers that may raise challenges through the console's API."
    ),
}


class LazyGroup(TyperGroup):
    """The root group: lists ``COMMANDS`` without importing them, imports on use."""

    def list_commands(self, ctx: Any) -> list[str]:
        loaded = super().list_commands(ctx)
        return [*COMMANDS, *(name for name in loaded if name not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            load_commands(COMMANDS[cmd_name].module)
            for name, command in _built_commands().items():
                self.commands.setdefault(name, command)
        command = super().get_command(ctx, cmd_name)
        plain_values(command, ctx)
        return command

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        plain_values(self, ctx, deep=False)  # the global options
        result: list[str] = super().parse_args(ctx, args)
        return result

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        known = self.list_commands(ctx)
        if name and not name.startswith("-") and name not in known:
            close = difflib.get_close_matches(name, known)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            # a module not imported yet is described by its line in COMMANDS
            command = self.commands.get(name) or TyperCommand(name, help=COMMANDS[name].help)
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class PlainValue:
    """Coercion of a str, int or bool option's value that needs no pydantic.

    Typer (0.2x) checks each option's value with a pydantic ``TypeAdapter`` that it builds
    on first use, so every command taking an option imported pydantic (~0.1 s; issue 16 §7).
    A value Click already gives in the option's own type (a ``str`` for a ``str`` option,
    an ``int`` for a count, a ``bool`` for a flag), or no value, comes out of that check as
    it went in; so ``plain_values`` puts one of these where Typer keeps its coercion until
    it builds it (``_runtime_param``), for the options where that holds. Any other value is
    handed to Typer's own coercion, built then, so errors read as Typer words them."""

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None or type(value) is self.kind:
            return value
        param._runtime_param = None  # Typer builds its own from here on
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


def _plain_kind(param: Any) -> type | None:
    """``str``, ``int`` or ``bool`` when Typer's coercion of ``param`` would pass a value of
    that type through unchanged (no parser, no bounds, one value) and is not built yet."""
    descriptor: Any = getattr(param, "type_descriptor", None)
    info: Any = getattr(descriptor, "parameter_info", None)
    if getattr(param, "_runtime_param", True) is not None or info is None:
        return None  # another Typer, or its coercion is built already
    kind = descriptor.annotation
    if kind not in (str, int, bool) or param.multiple or param.nargs != 1:
        return None
    if info.parser is not None or descriptor.file_annotation is not None:
        return None
    if kind is int and (info.min is not None or info.max is not None):
        return None
    return kind if isinstance(kind, type) else None


def plain_values(command: Any, ctx: Any, *, deep: bool = True) -> None:
    """Give ``command``'s plain str, int and bool options (and, ``deep``, its subcommands')
    a ``PlainValue``, so that running it imports no pydantic. Its ``--help`` option is one
    too, made now (Click keeps it) with the names ``ctx`` gives, which are a subcommand's own
    unless its ``context_settings`` name others."""
    if command is None:
        return
    own_help = "help_option_names" in (getattr(command, "context_settings", None) or {})
    for param in command.params if own_help else command.get_params(ctx):
        kind = _plain_kind(param)
        if kind is not None:
            param._runtime_param = PlainValue(kind)
    for sub in getattr(command, "commands", {}).values() if deep else ():
        plain_values(sub, ctx)


def load_commands(module: str) -> None:
    """Import a command module (it registers its commands on ``app``)."""
    importlib.import_module(module)


def _built_commands() -> dict[str, Any]:
    """The Click commands of everything registered on ``app`` so far."""
    built = typer.main.get_command(app)
    return dict(getattr(built, "commands", {}))


app = typer.Typer(
    name="rpa",
    help="Automates DGFT portal paperwork (IEC link, annual update, e-IEC) for many clients.",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


_consoles: dict[str, Console] = {}


def _console(name: str) -> Console:
    made = _consoles.get(name)
    if made is None:
        from rpa.cli.safe import SafeConsole  # shows no control character from any text

        made = _consoles[name] = SafeConsole(stderr=name == "err_console")
    return made


def __getattr__(name: str) -> Any:
    """``console`` and ``err_console``, made (Rich imported) when first asked for."""
    if name in ("console", "err_console"):
        return _console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class GlobalOptions:
    verbosity: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    log_path: Path | None = None  # the JSON-lines log, once there is one

    def settings(self, *, keep_log: bool = True, **more: Any) -> Settings:
        """Settings with the global flags and ``more`` command flags applied; logs set up:
        to the console and, with ``keep_log`` (commands that change something), to the
        log file in the data folder. A command that only reads passes ``keep_log=False``
        and so needs no writable data folder and creates nothing."""
        from rpa.clients.parts import DOCUMENTS_ROOT
        from rpa.config import load_settings
        from rpa.logs import configure_logging

        merged = {**self.overrides, **{k: v for k, v in more.items() if v is not None}}
        if self._settings is None or more:
            self._settings = load_settings(merged)
            level = {-1: "WARNING", 0: self._settings.log_level, 1: "DEBUG"}.get(
                max(-1, min(1, self.verbosity)), "INFO"
            )
            self.log_path = configure_logging(
                level=level, logs_dir=self._settings.logs_dir if keep_log else None
            )
            DOCUMENTS_ROOT.set(self._settings.documents_dir)
        return self._settings

    def with_log(self, message: str) -> str:
        """``message`` and where the log keeps its details, when there is a log."""
        kept = self.log_path is not None and self.log_path.is_file()
        return f"{message} (details: {self.log_path})" if kept else message


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
    from rpa.cli.safe import shown

    _console("err_console").print(
        f"[red]error:[/red] {shown(message)}", highlight=False, markup=True, soft_wrap=True
    )
    return typer.Exit(code)


def main() -> None:
    """Console-script entry point: maps our errors to messages and exit codes."""
    try:
        app()
    except Exception as exc:
        from rpa.errors import ConfigError, JournalError, RpaError

        if not isinstance(exc, RpaError):
            raise
        from rpa.cli.safe import shown

        text = state.with_log(str(exc)) if isinstance(exc, JournalError) else str(exc)
        _console("err_console").print(
            f"[red]error:[/red] {shown(text)}", highlight=False, soft_wrap=True
        )
        sys.exit(EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILED)
