"""The memory floor of a browser context: N idle contexts, each with one page on the mock
portal's login page, in Chromium launched as the agent launches it (the headless shell where
one is installed), in the full browser in headless mode, and with flags that might make a
context cheaper.

    .venv/bin/python bench/context_memory.py [--contexts 1,8]

Each (flags, N) runs in a process of its own inside a memory cgroup (as root; see
``batch_throughput.MemoryCgroup``), which reports the peak of the whole tree's resident
memory, each page counted once. The slope between the lowest and highest N is what one
more context costs before a job has done anything: the floor under the per-context cost
that ``batch_throughput`` measures on real jobs. It prints; it does not assert.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from batch_throughput import MemoryCgroup

from demo.portal import mock_portal

FULL = "full:"  # a flag list starting with this runs the full browser (no headless shell)
VARIANTS = {
    "as the agent launches it": [],
    "full browser, headless": [FULL],
    "full, --js-flags=--lite-mode": [FULL, "--js-flags=--lite-mode"],
    "full, --renderer-process-limit=1": [FULL, "--renderer-process-limit=1"],
    "full, --disable-site-isolation-trials": [FULL, "--disable-site-isolation-trials"],
    "full, --single-process": [FULL, "--single-process"],
}


async def hold_contexts(flags: list[str], count: int, url: str) -> None:
    from playwright.async_api import async_playwright

    from rpa.browser import launch_options
    from rpa.config import load_settings

    full = flags[:1] == [FULL]
    settings = load_settings({"headless_shell": False} if full else {}, env_file=None)
    options = launch_options(settings)
    options["args"] = [*options["args"], *flags[full:]]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**options)
        for _ in range(count):
            context = await browser.new_context()
            page = await context.new_page()
            await page.goto(url + "webHP?requestType=ApplicationRH&actionVal=loginPage")
        await asyncio.sleep(2)  # let the tree settle at its size
        await browser.close()


def measure(flags: list[str], count: int, url: str) -> float | None:
    """Peak tree memory in MB of a process holding ``count`` contexts (None: it failed)."""
    cgroup = MemoryCgroup()
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--hold", json.dumps(flags), str(count), url],
            preexec_fn=cgroup.enter,  # before exec: only a file write, no locks
            capture_output=True,
            check=False,
        )
        peak = cgroup.peak()
    finally:
        cgroup.remove()
    if done.returncode != 0 or peak is None:
        return None
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", default="1,8", help="two or more counts, lowest first")
    parser.add_argument("--hold", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hold:
        flags, count, url = args.hold
        asyncio.run(hold_contexts(json.loads(flags), int(count), url))
        return
    counts = [int(c) for c in args.contexts.split(",")]
    lo, hi = counts[0], counts[-1]
    from rpa.browser import resolve_browser

    shell, full = (resolve_browser(None, headless=True, prefer_shell=p) for p in (True, False))
    print(f"the agent's headless browser: {shell.executable}; the full one: {full.executable}")
    print(f"idle contexts on the login page: {counts}; peak tree memory (cgroup), MB")
    with (
        tempfile.TemporaryDirectory(prefix="dgft-bench-ctx-") as tmp,
        mock_portal(Path(tmp)) as portal,
    ):
        # warm-up: both browsers' files into the page cache, charged to no measured run
        for warm_up in ([], [FULL]):
            measure(warm_up, 1, portal.portal_url)
        for name, flags in VARIANTS.items():
            peaks = {n: measure(flags, n, portal.portal_url) for n in counts}
            cells = "  ".join(
                f"N={n}: {p:5.0f}" if p else f"N={n}: failed" for n, p in peaks.items()
            )
            low, high = peaks[lo], peaks[hi]
            slope = f"{(high - low) / (hi - lo):5.1f} MB per extra context" if low and high else "-"
            print(f"  {name:38s} {cells}   {slope}", flush=True)


if __name__ == "__main__":
    main()
