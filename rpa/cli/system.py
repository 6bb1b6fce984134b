"""System commands: ``rpa doctor`` (can we drive a browser here?) and ``rpa config``."""

from __future__ import annotations

import asyncio
import platform
import sys
from typing import Annotated

import typer
from rich.table import Table

from rpa.browser import open_browser, playwright_version, resolve_browser
from rpa.cli.app import EXIT_FAILED, app, console, err_console, state
from rpa.config import Settings, describe_settings
from rpa.errors import BrowserError

DOCTOR_PAGE = "<html><head><title>rpa doctor</title></head><body><h1 id=t>ok</h1></body></html>"


async def _render_test_page(settings: Settings) -> tuple[str, str]:
    async with open_browser(settings, headless=True) as session:
        context = await session.new_context()
        try:
            page = await context.new_page()
            await page.set_content(DOCTOR_PAGE)
            text = await page.locator("#t").inner_text()
            return session.browser.version, text
        finally:
            await context.close()


@app.command()
def doctor() -> None:
    """Check Python, Playwright and the browser; launch it headless and render a page."""
    settings = state.settings()
    console.print(f"Python      {platform.python_version()} ({sys.executable})")
    console.print(f"Playwright  {playwright_version()}")
    try:
        choice = resolve_browser(
            settings.browser_path, headless=True, prefer_shell=settings.headless_shell
        )
    except BrowserError as exc:
        err_console.print(f"[red]Browser     not found[/red]\n{exc}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from exc
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
        raise typer.Exit(EXIT_FAILED) from exc
    if text != "ok":
        err_console.print(f"[red]Render      failed[/red]: page said {text!r}")
        raise typer.Exit(EXIT_FAILED)
    console.print(f"Launch      ok: Chromium {version}, headless, rendered a test page")
    console.print("[green]All good.[/green]")


@app.command("config")
def show_config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print the effective settings and where each came from (secrets masked)."""
    settings = state.settings()
    rows = describe_settings(settings, state.overrides)
    if as_json:
        import json

        payload = {r.name: {"value": r.value, "source": r.source, "env": r.env_var} for r in rows}
        typer.echo(json.dumps(payload, indent=2))
        return
    table = Table("setting", "value", "from", "description")
    for row in rows:
        table.add_row(row.env_var, row.value, row.source, row.description)
    console.print(table)
