"""Finding and launching the browser: the only module that imports Playwright at run time.

Other modules use Playwright's *types* under ``TYPE_CHECKING`` and catch its errors
through the aliases exported here (``PlaywrightError``, ``PlaywrightTimeoutError``).

Where the browser comes from, in order:

1. the ``browser_path`` setting (``RPA_BROWSER_PATH``), if set;
2. Playwright's own Chromium, if ``playwright install chromium`` was run;
3. a system Chromium/Chrome: ``chromium``, ``chromium-browser``, ``google-chrome`` (and
   ``-stable``) on ``PATH``, then the usual install paths;
4. otherwise ``BrowserNotFoundError``, naming both fixes.

A headless run takes Chromium's *headless shell* where one is installed next to the full
browser (Playwright's ``chromium_headless_shell-*``, Debian's ``chromium-headless-shell``),
as Playwright itself does: it draws no window, so it needs about half the CPU and a third of
the memory per context of the full browser in headless mode (``docs/performance.md``).
A headed run (``--headed``) needs the full browser. The ``headless_shell`` setting
(``RPA_HEADLESS_SHELL=false``) keeps headless runs on the full browser.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from playwright.async_api import async_playwright

from rpa.errors import BrowserLaunchError, BrowserNotFoundError

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Playwright, Route

    from rpa.config import Settings

__all__ = [
    "BrowserChoice",
    "BrowserSession",
    "PlaywrightError",
    "PlaywrightTimeoutError",
    "launch_args",
    "open_browser",
    "playwright_version",
    "resolve_browser",
]

SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SYSTEM_PATHS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/lib/chromium/chromium",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/opt/google/chrome/chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "C:/Program Files/Google/Chrome/Application/chrome.exe",
)
SHELL_NAMES = ("chromium-headless-shell", "chrome-headless-shell")
SHELL_PATHS = (
    "/usr/bin/chromium-headless-shell",
    "/usr/lib/chromium/headless_shell",
)
# Inside a Playwright browsers folder, newest revision wins.
PLAYWRIGHT_GLOBS = (
    "chromium-*/chrome-linux*/chrome",
    "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
    "chromium-*/chrome-win*/chrome.exe",
)
PLAYWRIGHT_SHELL_GLOBS = (
    "chromium_headless_shell-*/chrome-headless-shell-*/chrome-headless-shell*",
    "chromium_headless_shell-*/chrome-*/headless_shell*",
)
QUIET_NETWORK_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
NOT_FOUND_HELP = (
    "No Chromium or Chrome browser was found. Fix it one of these ways:\n"
    "  - install Playwright's own build:   playwright install chromium\n"
    "  - or install the OS package:        apt-get install -y chromium   (Debian/Ubuntu)\n"
    "  - or point at one you have:         RPA_BROWSER_PATH=/path/to/chrome"
)
HEADED_HELP = (
    "A headed run needs the full browser; only Chromium's headless shell, which cannot show "
    "a window, was found."
)


@dataclass(frozen=True)
class BrowserChoice:
    executable: Path
    source: str  # setting | playwright | system
    reason: str
    headless_shell: bool = False  # Chromium's headless shell: headless runs only


def action_done(message: str) -> bool:
    """Whether a timed-out Playwright action had acted (its call log says the click was
    done) and then waited for the navigation it started: the portal took the action and
    is slow to answer, which is no sign that the portal changed."""
    return "action done" in message and "waiting for scheduled navigations" in message


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def is_headless_shell(path: Path) -> bool:
    """Whether ``path`` names Chromium's headless shell (by the names it ships under)."""
    name = path.name.lower().removesuffix(".exe")
    return name in {"headless_shell", *SHELL_NAMES}


def playwright_browsers_dir() -> Path:
    """Where ``playwright install`` puts browsers on this machine."""
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured and configured != "0":
        return Path(configured)
    if configured == "0":
        import playwright

        return Path(playwright.__file__).parent / "driver" / "package" / ".local-browsers"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ms-playwright"


def _newest_in(folder: Path, patterns: Sequence[str]) -> Path | None:
    if not folder.is_dir():
        return None
    for pattern in patterns:
        found = sorted((p for p in folder.glob(pattern) if _is_executable(p)), reverse=True)
        if found:
            return found[0]
    return None


def _on_system(
    names: Sequence[str], paths: Sequence[str], path_env: str, *, shell: bool
) -> BrowserChoice | None:
    what = "Chromium's headless shell " if shell else ""
    for name in names:
        found = shutil.which(name, path=path_env)
        if found:
            return BrowserChoice(Path(found), "system", f"{what}{name!r} found on PATH", shell)
    for candidate in paths:
        path = Path(candidate)
        if _is_executable(path):
            return BrowserChoice(path, "system", f"{what}found at {path}", shell)
    return None


def resolve_browser(
    browser_path: Path | None,
    *,
    headless: bool = False,
    prefer_shell: bool = True,
    search_path: str | None = None,
    playwright_dir: Path | None = None,
    system_paths: Sequence[str] = SYSTEM_PATHS,
    shell_paths: Sequence[str] = SHELL_PATHS,
) -> BrowserChoice:
    """Pick the browser to launch; raise ``BrowserNotFoundError`` when there is none.

    ``headless``: the run draws no window, so (with ``prefer_shell``) Chromium's headless
    shell is taken first where a source has one; a headed run never takes it.
    ``search_path``, ``playwright_dir``, ``system_paths`` and ``shell_paths`` exist so tests
    can point the search at folders of their own; by default they are this machine's.
    """
    if browser_path is not None:
        path = Path(browser_path).expanduser()
        if not _is_executable(path):
            raise BrowserNotFoundError(
                f"RPA_BROWSER_PATH is set to {path}, which is not an executable file.\n"
                + NOT_FOUND_HELP
            )
        shell = is_headless_shell(path)
        if shell and not headless:
            raise BrowserNotFoundError(
                f"RPA_BROWSER_PATH is set to {path}, Chromium's headless shell, which cannot "
                "show a window. Unset it (or point it at the full browser) for --headed runs."
            )
        return BrowserChoice(path, "setting", f"RPA_BROWSER_PATH is set to {path}", shell)

    folder = playwright_dir if playwright_dir is not None else playwright_browsers_dir()
    path_env = os.environ.get("PATH", "") if search_path is None else search_path
    found = _newest_in(folder, PLAYWRIGHT_SHELL_GLOBS)
    reason = f"Playwright's own Chromium headless shell in {folder}"
    bundled_shell = BrowserChoice(found, "playwright", reason, True) if found else None
    found = _newest_in(folder, PLAYWRIGHT_GLOBS)
    reason = f"Playwright's own Chromium in {folder}"
    bundled = BrowserChoice(found, "playwright", reason) if found else None
    system_shell = _on_system(SHELL_NAMES, shell_paths, path_env, shell=True)
    system = _on_system(SYSTEM_NAMES, system_paths, path_env, shell=False)

    shells = [bundled_shell, system_shell]
    if headless and prefer_shell:
        order = [bundled_shell, bundled, system_shell, system]
    else:  # a headless run takes a shell only when there is no full browser
        order = [bundled, system, *(shells if headless else [])]
    for choice in order:
        if choice:
            return choice
    if any(shells):  # only shells, for a headed run
        raise BrowserNotFoundError(f"{HEADED_HELP}\n{NOT_FOUND_HELP}")
    raise BrowserNotFoundError(NOT_FOUND_HELP)


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def launch_args(*, as_root: bool, quiet_network: bool) -> list[str]:
    """Chromium flags for where we run: no sandbox only as root; quiet on closed networks."""
    args = ["--no-first-run", "--no-default-browser-check"]
    if as_root:
        args.append("--no-sandbox")
    if quiet_network:
        args.extend(QUIET_NETWORK_ARGS)
    return args


def launch_options(
    settings: Settings, *, headless: bool | None = None, slow_mo_ms: int | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``chromium.launch`` (also used by the test suite's conftest)."""
    run_headless = settings.headless if headless is None else headless
    choice = resolve_browser(
        settings.browser_path, headless=run_headless, prefer_shell=settings.headless_shell
    )
    return {
        "executable_path": str(choice.executable),
        "args": launch_args(as_root=running_as_root(), quiet_network=settings.quiet_network),
        "headless": run_headless,
        "slow_mo": float(settings.slow_mo_ms if slow_mo_ms is None else slow_mo_ms),
    }


def playwright_version() -> str:
    return package_version("playwright")


class BrowserSession:
    """One launched browser shared by many jobs, each in its own context.

    ``recycle`` closes and relaunches the browser (between jobs) so memory stays flat
    over long batches.
    """

    def __init__(self, playwright: Playwright, options: dict[str, Any], settings: Settings) -> None:
        self._playwright = playwright
        self._options = options
        self._settings = settings
        self._browser: Browser | None = None

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise BrowserLaunchError("the browser is not running")
        return self._browser

    async def start(self) -> None:
        try:
            self._browser = await self._playwright.chromium.launch(**self._options)
        except PlaywrightError as exc:
            raise BrowserLaunchError(
                f"could not start {self._options['executable_path']}: {exc.message}"
            ) from exc

    async def recycle(self) -> None:
        await self.close()
        await self.start()

    async def close(self) -> None:
        if self._browser is not None:
            browser, self._browser = self._browser, None
            with contextlib.suppress(PlaywrightError):  # already gone: nothing to free
                await browser.close()

    async def new_context(self, **options: Any) -> BrowserContext:
        """A fresh context with the settings' default timeouts and downloads accepted."""
        options.setdefault("accept_downloads", True)
        context = await self.browser.new_context(**options)
        context.set_default_timeout(self._settings.step_timeout_ms)
        context.set_default_navigation_timeout(self._settings.navigation_timeout_ms)
        if self._settings.embridge_url:
            await _route_embridge(context, self._settings.embridge_url)
        return context


_EMBRIDGE_CALL = re.compile(r"^https?://[^/]+/DSC/")


async def _route_embridge(context: BrowserContext, embridge_url: str) -> None:
    """Send the portal pages' emBridge calls (``<emBridge>/DSC/...``) to this PC's emBridge
    at ``embridge_url`` (``RPA_EMBRIDGE_URL``): where the real one answers
    (``localhost.emudhra.com``, which resolves to this PC) when it listens elsewhere, and
    how each worker of a test finds its own."""
    root = embridge_url.rstrip("/")

    async def rewrite(route: Route) -> None:
        url = route.request.url
        target = root + url[url.index("/DSC/") :]
        if target == url:
            await route.continue_()
        else:
            await route.continue_(url=target)

    await context.route(_EMBRIDGE_CALL, rewrite)


@asynccontextmanager
async def open_browser(
    settings: Settings, *, headless: bool | None = None, slow_mo_ms: int | None = None
) -> AsyncIterator[BrowserSession]:
    """Start Playwright and one browser; close both on exit."""
    options = launch_options(settings, headless=headless, slow_mo_ms=slow_mo_ms)
    async with async_playwright() as playwright:
        session = BrowserSession(playwright, options, settings)
        await session.start()
        try:
            yield session
        finally:
            await session.close()
