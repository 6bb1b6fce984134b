"""Several PCs on Temporal: what Temporal adds per job, and what a second PC brings.

    .venv/bin/python bench/temporal_overhead.py [--clients 12] [--scale-clients 40]
                                                [--concurrency 2]

Against one mock portal (reset and seeded "due" before each run), in one run:

1. **overhead**: ``rpa batch`` of ``--clients`` DSC clients run locally, then the same batch
   with ``--temporal`` on one ``rpa worker`` (same concurrency, all tokens on its PC):
   Temporal's added time per job in ms (wall-time difference / jobs) and the ratio of the
   two walls;
2. **scale**: ``--scale-clients`` clients with ``--temporal`` on one worker process holding
   every token, then on two worker processes holding half the tokens each (each at
   ``--concurrency``): wall time, clients per minute, speed-up.

Each Temporal run gets a fresh ``temporal server start-dev`` (headless, offline, its own
SQLite file), so workflow ids of an earlier run never say "done this year". Walls are of the
``rpa batch`` subprocess (start-up included); workers are started and ready before it.
On a 2-core machine the two worker processes share the cores with the portal: the second
PC's gain is bounded by the CPU, which real PCs each bring their own of. It prints; it does
not assert.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from _mockrun import ROOT, BenchPortal, agent_env, mock_portal, write_client_file

from demo.portal import free_port
from mock_portal.embridge import _SHARED_SECRET, run_embridge_in_thread
from rpa.clients.records import ClientRecord


def temporal_cli() -> str:
    return str(Path(sys.executable).with_name("temporal"))


@contextmanager
def temporal_server(folder: Path) -> Iterator[str]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [
            temporal_cli(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(port), "--http-port", str(free_port()),
            "--metrics-port", str(free_port()), "--db-filename", str(folder / "t.db"),
            "--log-level", "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(
            [temporal_cli(), "operator", "cluster", "health", "--address", f"127.0.0.1:{port}"],
            capture_output=True,
            check=False,
        ).returncode:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Temporal dev server did not start")
            time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def workers(
    portal: BenchPortal, target: str, folder: Path, pcs: list[list[str]], concurrency: int
) -> Iterator[None]:
    """One ``rpa worker`` per PC, each with its own emBridge holding its tokens."""
    db = str(portal.workdir / "portal.sqlite3")
    running: list[tuple[subprocess.Popen[bytes], object]] = []
    try:
        for n, tokens in enumerate(pcs, 1):
            embridge = run_embridge_in_thread(db, tokens=tokens, name=f"pc-{n}")
            env = agent_env(portal, folder / f"pc-{n}", concurrency)
            env.update(
                RPA_EMBRIDGE_URL=embridge.url,
                RPA_EMBRIDGE_SECRET=_SHARED_SECRET.decode(),
            )
            log = folder / f"pc-{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "rpa", "worker", "--temporal", target],
                    env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            running.append((process, embridge))
            while "serving rpa-shared" not in log.read_text():
                if process.poll() is not None:
                    raise RuntimeError(log.read_text())
                time.sleep(0.2)
        yield
    finally:
        for process, embridge in running:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
            embridge.stop()  # type: ignore[attr-defined]


def batch(
    portal: BenchPortal, clients: Path, data: Path, concurrency: int, target: str | None
) -> float:
    extra = ["--temporal", target] if target else []
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "rpa", "batch", str(clients), "--playbook", "renew",
         "--output", "quiet", *extra],
        env=agent_env(portal, data, concurrency), cwd=ROOT, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    if done.returncode != 0:
        print(f"  (batch exited {done.returncode}: {done.stdout[-500:]} {done.stderr[-500:]})")
    return wall


def remote(
    portal: BenchPortal,
    records: list[ClientRecord],
    clients: Path,
    folder: Path,
    pcs: int,
    concurrency: int,
) -> float:
    tokens = [str(r.dsc_token) for r in records]
    split = [tokens[n::pcs] for n in range(pcs)]
    portal.seed_due(records)
    with temporal_server(folder) as target, workers(portal, target, folder, split, concurrency):
        wall = batch(portal, clients, folder / "office", concurrency, target)
    print(f"  {portal.submitted(records)}/{len(records)} submitted")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--scale-clients", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    c = args.concurrency
    with tempfile.TemporaryDirectory(prefix="dgft-bench-temporal-") as tmp, mock_portal() as portal:
        folder = Path(tmp)
        few = write_client_file(folder / "few.csv", args.clients)
        many = write_client_file(folder / "many.csv", args.scale_clients)

        print(f"overhead: {args.clients} clients, concurrency {c}")
        portal.seed_due(few)
        local = batch(portal, folder / "few.csv", folder / "local", c, None)
        print(f"  local batch            {local:7.1f} s")
        on_one = remote(portal, few, folder / "few.csv", folder / "o1", 1, c)
        print(f"  --temporal, 1 worker   {on_one:7.1f} s")
        added_ms = (on_one - local) / args.clients * 1000
        print(f"  Temporal adds {added_ms:+.0f} ms per job; ratio {on_one / local:.2f}")

        print(f"scale: {args.scale_clients} clients, each worker at concurrency {c}")
        one = remote(portal, many, folder / "many.csv", folder / "s1", 1, c)
        two = remote(portal, many, folder / "many.csv", folder / "s2", 2, c)
        n = args.scale_clients
        print("  | workers | wall s | clients/min |")
        print(f"  | 1 | {one:.1f} | {n / one * 60:.1f} |")
        print(f"  | 2 | {two:.1f} | {n / two * 60:.1f} |")
        print(f"  two workers: {one / two:.2f}x one")


if __name__ == "__main__":
    main()
