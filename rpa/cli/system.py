"""System commands: ``rpa doctor`` (can we drive a browser here, and find the playbooks?)
and ``rpa config``."""

from __future__ import annotations

import platform
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from rpa.cli.app import EXIT_FAILED, app, state

if TYPE_CHECKING:
    from rpa.config import Settings

DOCTOR_PAGE = "<html><head><title>rpa doctor</title></head><body><h1 id=t>ok</h1></body></html>"
# The DGFT playbooks the commands run by name (``portal`` is only extended, never run).
SHIPPED_PLAYBOOKS = ("login", "link_iec", "update_iec", "download_certificate", "iec_status",
                     "renew")  # fmt: skip


async def _render_test_page(settings: Settings) -> tuple[str, str]:
    from rpa.browser import open_browser

    async with open_browser(settings, headless=True) as session:
        context = await session.new_context()
        try:
            page = await context.new_page()
            await page.set_content(DOCTOR_PAGE)
            text = await page.locator("#t").inner_text()
            return session.browser.version, text
        finally:
            await context.close()


def check_browser(settings: Settings) -> bool:
    """Playwright and the browser: found, launched headless, a page rendered."""
    import asyncio

    from rpa.browser import playwright_version, resolve_browser
    from rpa.cli.app import console, err_console
    from rpa.errors import BrowserError

    console.print(f"Playwright  {playwright_version()}")
    try:
        choice = resolve_browser(
            settings.browser_path, headless=True, prefer_shell=settings.headless_shell
        )
    except BrowserError as exc:
        err_console.print(f"[red]Browser     not found[/red]\n{exc}", highlight=False)
        return False
    console.print(f"Browser     {choice.executable} ({choice.source}: {choice.reason})")
    try:
        headed = resolve_browser(settings.browser_path, headless=False)
    except BrowserError as exc:  # headless runs still work: a warning, not a failure
        err_console.print(f"[yellow]Headed      unavailable[/yellow]: {exc}", highlight=False)
    else:
        if headed.executable != choice.executable:
            console.print(f"Headed      {headed.executable} ({headed.source}: {headed.reason})")
    try:
        version, text = asyncio.run(_render_test_page(settings))
    except BrowserError as exc:
        err_console.print(f"[red]Launch      failed[/red]: {exc}", highlight=False)
        return False
    if text != "ok":
        err_console.print(f"[red]Render      failed[/red]: page said {text!r}")
        return False
    console.print(f"Launch      ok: Chromium {version}, headless, rendered a test page")
    return True


def check_playbooks(settings: Settings) -> bool:
    """The DGFT playbooks: found where ``rpa run NAME`` looks (RPA_PLAYBOOKS_DIR, then the
    built-in ones), and load."""
    from rich.markup import escape

    from rpa.cli.app import console, err_console
    from rpa.errors import PlaybookError
    from rpa.playbook.loader import Loader, find_playbook

    own, folders = settings.playbooks_dir, settings.playbook_dirs
    if own is not None and not own.is_dir():
        err_console.print(
            f"[red]Playbooks   not found[/red]: no folder {escape(str(own.resolve()))}; set "
            "RPA_PLAYBOOKS_DIR to a folder of your playbooks, or unset it for the built-in ones",
            highlight=False,
        )
        return False
    loader = Loader(folders)
    missing, broken, overridden = [], [], []
    for name in SHIPPED_PLAYBOOKS:
        try:
            path = find_playbook(name, folders)
        except PlaybookError:
            missing.append(name)
            continue
        if own is not None and path.parent == own:
            overridden.append(name)
        try:
            loader.load(path)
        except PlaybookError as exc:
            broken.append(str(exc.issues[0]) if exc.issues else name)
    where = escape(" then ".join(str(folder.resolve()) for folder in folders))
    if missing:
        err_console.print(
            f"[red]Playbooks   missing[/red] in {where}: {', '.join(missing)}; the built-in "
            "playbooks ship with the package (reinstall it), RPA_PLAYBOOKS_DIR adds your own",
            highlight=False,
        )
    for problem in broken:
        err_console.print(f"[red]Playbooks   broken[/red]: {escape(problem)}", highlight=False)
    if missing or broken:
        return False
    mine = f", yours: {', '.join(overridden)}" if overridden else ""
    console.print(
        f"Playbooks   {where}: {len(SHIPPED_PLAYBOOKS)} found{mine}, all load", highlight=False
    )
    return True


@app.command()
def doctor() -> None:
    """Check Python, Playwright, the browser and the playbooks; launch the browser headless
    and render a page."""
    from rpa.cli.app import console

    settings = state.settings()
    console.print(f"Python      {platform.python_version()} ({sys.executable})")
    good = check_browser(settings)
    good = check_playbooks(settings) and good
    if not good:
        raise typer.Exit(EXIT_FAILED)
    console.print("[green]All good.[/green]")


@app.command("config")
def show_config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print the effective settings and where each came from (secrets masked)."""
    from rpa.config import describe_settings

    settings = state.settings(keep_log=False)  # reading: no log file, no writable folder
    rows = describe_settings(settings, state.overrides)
    if as_json:
        import json

        payload = {r.name: {"value": r.value, "source": r.source, "env": r.env_var} for r in rows}
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.table import Table

    from rpa.cli.app import console

    table = Table("setting", "value", "from", "description")
    for row in rows:
        table.add_row(row.env_var, row.value, row.source, row.description)
    console.print(table)
