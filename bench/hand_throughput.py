"""The ceiling of this machine: the hand-written ``renew`` script of ``renew_overhead.py``
(no engine, no journal, no checks) over N clients at each concurrency, one browser with a
context per client, against the mock portal with a given latency.

    .venv/bin/python bench/hand_throughput.py [--clients 24] [--concurrency 1,8] [--latency 300]

If the bare script cannot reach a speed-up, the agent, which does the same clicks and
more, cannot either: ``batch_throughput.py``'s speed-up is to be read against this one.
The wall time starts with the browser already running. It prints; it does not assert.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from _mockrun import BenchPortal, mock_portal, write_client_file
from playwright.async_api import async_playwright
from renew_overhead import by_hand

from demo.seeding import DEMO_SECRETS
from rpa.browser import launch_options
from rpa.clients.records import ClientRecord
from rpa.config import load_settings


async def one_level(
    portal: BenchPortal, records: list[ClientRecord], concurrency: int, out: Path
) -> float:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options(load_settings(env_file=None)))
        gate = asyncio.Semaphore(concurrency)

        async def client(record: ClientRecord) -> str:
            async with gate:
                return await by_hand(browser, portal, record, out)

        started = time.perf_counter()
        acks = await asyncio.gather(*(client(r) for r in records))
        wall = time.perf_counter() - started
        await browser.close()
    assert all(acks), "a client got no acknowledgement"
    return wall


async def main(clients: int, levels: list[int], latency_ms: int) -> None:
    os.environ.update(DEMO_SECRETS)
    print(f"hand-written renew, {clients} clients, latency {latency_ms} ms; {os.cpu_count()} CPUs")
    walls: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="dgft-bench-hand-") as tmp, mock_portal() as portal:
        records = write_client_file(Path(tmp) / "clients.csv", clients)
        for level in levels:
            portal.seed_due(records, latency_ms=latency_ms)
            walls[level] = await one_level(portal, records, level, Path(tmp))
            done = portal.submitted(records)
            base = walls[levels[0]]
            print(
                f"  concurrency {level}: {walls[level]:6.1f} s, "
                f"{clients / walls[level] * 60:5.1f} clients/min, "
                f"speed-up {base / walls[level]:4.2f}x over concurrency {levels[0]}, "
                f"{done}/{clients} submitted",
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--concurrency", default="1,8", help="comma-separated, lowest first")
    parser.add_argument("--latency", type=int, default=300, help="the portal's latency (ms)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    asyncio.run(main(args.clients, levels, args.latency))
