"""Batch throughput: ``rpa batch CLIENTS --playbook renew`` over N fictional DSC clients, at
each portal latency x concurrency, against a fresh mock portal each time.

    .venv/bin/python bench/batch_throughput.py [--clients 40] [--concurrency 1,2,4,8]
                                                [--latency 0,300] [--full-browser]

For each run: wall time of the CLI subprocess (Python start-up and browser launch included)
-> clients per minute and speed-up over concurrency 1 at the same latency; and the peak
memory of the whole process tree of ``rpa batch`` (Python, the Playwright driver, every
Chromium process) -> MB per extra context (the slope from the previous concurrency level).

Memory is measured three ways:

- **tree**: the kernel's own count. As root, each ``rpa batch`` runs in a memory cgroup
  of its own (v1 ``memory.max_usage_in_bytes`` or v2 ``memory.peak``): the peak of the
  pages the tree has resident (anonymous, shared memory, and page cache it brought in),
  each page once however many processes map it. This is the RSS of the tree as a whole,
  and what the target is read against. ``-`` when no cgroup can be made.
- **RSS sum**: psutil's RSS of every process, summed, sampled every 0.2 s. It counts each
  shared page (Chromium's libraries, its shared memory) once per process mapping it, so
  every renderer looks ~100 MB dearer than it is.
- **PSS sum**: shared pages split between their sharers; close to the tree figure.

A warm-up batch of one client runs first (not counted), so Chromium's files are in the
page cache before any measured run and are charged to none of them.

The agent's headless runs use Chromium's headless shell where one is installed;
``--full-browser`` runs them in the full browser instead (``RPA_HEADLESS_SHELL=false``), the
baseline the headless shell is compared against in ``docs/performance.md``.

``--watched``: each run is made twice, plain and watched: the office console (``rpa serve``)
serving the same data folder and a signed-in client subscribed to the batch's live view
(server-sent events, as a browser's page is) for the whole batch; printed side by side
with the ratio of their wall times (the live view should add no measurable cost) and the
console's own CPU seconds.

Targets: with 300 ms latency, concurrency 8 at least 6x concurrency 1; at most 60 MB per
extra context. It prints; it does not assert.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from _mockrun import ROOT, agent_env, mock_portal, write_client_file

from rpa.clients.records import ClientRecord

SAMPLE_S = 0.2


def tree_memory(process: psutil.Process) -> tuple[int, int]:
    """(RSS, PSS) summed over ``process`` and all its descendants, in bytes.

    PSS splits each shared page between the processes sharing it, so unlike the RSS sum it
    does not count Chromium's shared libraries once per renderer. Gone processes count 0.
    """
    rss = pss = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            full = member.memory_full_info()
            rss += full.rss
            pss += getattr(full, "pss", full.rss)
    return rss, pss


def role(process: psutil.Process, root: psutil.Process) -> str:
    """What a process of the tree is: python (the agent), driver (Playwright's node), or
    chromium-<type> (browser, renderer, gpu-process, utility, zygote)."""
    if process.pid == root.pid:
        return "python"
    command = process.cmdline()
    if "node" in process.name() or any("playwright" in part for part in command[:2]):
        return "driver"
    kind = next((part.split("=", 1)[1] for part in command if part.startswith("--type=")), "")
    return f"chromium-{kind or 'browser'}"


class PeakSampler:
    """Samples a process tree every ``SAMPLE_S`` seconds in a thread: keeps the peak RSS and
    PSS sums, and each process's CPU time as last seen (by role, see ``role``)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self.peak_pss = 0
        self.samples = 0
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds so far)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def cpu_by_role(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for name, seconds in self.cpu.values():
            totals[name] = totals.get(name, 0.0) + seconds
        return totals

    def _sample_cpu(self) -> None:
        try:
            members = [self.process, *self.process.children(recursive=True)]
        except psutil.Error:
            return
        for member in members:
            with contextlib.suppress(psutil.Error):
                times = member.cpu_times()
                known = self.cpu.get(member.pid)
                name = known[0] if known else role(member, self.process)
                self.cpu[member.pid] = (name, times.user + times.system)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = tree_memory(self.process)
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._sample_cpu()
            self.samples += 1
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class MemoryCgroup:
    """A memory cgroup for one process tree; its peak usage, in bytes (None: no cgroup)."""

    _serial = itertools.count()
    V1 = Path("/sys/fs/cgroup/memory")
    V2 = Path("/sys/fs/cgroup")

    def __init__(self) -> None:
        name = f"dgft-bench-{os.getpid()}-{next(self._serial)}"
        self.path: Path | None = None
        self.peak_file = ""
        candidates = [(self.V1 / name, "memory.max_usage_in_bytes")]
        if (self.V2 / "cgroup.controllers").is_file():
            candidates.append((self.V2 / name, "memory.peak"))
        for path, peak in candidates:
            with contextlib.suppress(OSError):
                path.mkdir()
                if (path / peak).is_file() and (path / "cgroup.procs").is_file():
                    self.path, self.peak_file = path, peak
                    return
                path.rmdir()

    def enter(self) -> None:
        """Called in the child before exec (``preexec_fn``): move it into the cgroup."""
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def peak(self) -> int | None:
        if self.path is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            return int((self.path / self.peak_file).read_text())
        return None

    def remove(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.rmdir()


@dataclass
class Run:
    latency_ms: int
    concurrency: int
    wall_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    submitted: int
    exit_code: int
    peak_tree_mb: float | None = None
    cpu_s: dict[str, float] | None = None  # CPU seconds by process role (last samples)
    watched: bool = False
    live_events: int = 0  # updates the live view sent while watched
    console_cpu_s: float = 0.0


class Watcher:
    """The console over a data folder (``rpa serve`` in a process of its own) and a client
    signed in to it that follows the newest batch's live view until it ends."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        from demo.portal import free_port
        from rpa.console.auth import hash_password
        from rpa.journal import Journal
        from rpa.journal.people import People

        journal = Journal(data_dir / "journal.sqlite3")
        self.password = "bench-watcher-password"
        People(journal).put_user("bench", "viewer", hash_password(self.password))
        journal.close()
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rpa", "serve", "--port", self.url.rsplit(":", 1)[1]],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.events = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Watcher:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/login", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the console did not start")
            time.sleep(0.2)
        self._thread.start()
        return self

    def _watch(self) -> None:
        import re

        import httpx

        with httpx.Client(base_url=self.url, timeout=30) as client:
            page = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            form = {"username": "bench", "password": self.password, "next": "/batches"}
            client.post("/login", data={**form, "csrf_token": token[1] if token else ""})
            batch = None
            while batch is None and not self._stop.is_set():
                found = re.search(
                    r'href="/batches/(b[0-9]{8}-[0-9a-f]+)"', client.get("/batches").text
                )
                batch = found[1] if found else None
                self._stop.wait(0.2)
            if batch is None:
                return
            with client.stream("GET", f"/batches/{batch}/events", timeout=None) as stream:
                for line in stream.iter_lines():
                    if line == "event: update":
                        self.events += 1
                    if line == "event: done" or self._stop.is_set():
                        return

    def cpu_s(self) -> float:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(self.process.pid).cpu_times()
            return float(times.user + times.system)
        return 0.0

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_once(
    records: list[ClientRecord],
    clients_file: Path,
    latency_ms: int,
    concurrency: int,
    *,
    full_browser: bool = False,
    watched: bool = False,
) -> Run:
    with (
        mock_portal() as portal,
        tempfile.TemporaryDirectory(prefix="dgft-bench-data-") as data_dir,
        contextlib.ExitStack() as stack,
    ):
        portal.seed_due(records, latency_ms=latency_ms)
        command = [
            sys.executable,
            "-m",
            "rpa",
            "batch",
            str(clients_file),
            "--playbook",
            "renew",
            "--output",
            "quiet",
        ]
        env = agent_env(portal, Path(data_dir), concurrency)
        env["RPA_HEADLESS_SHELL"] = "false" if full_browser else "true"
        watcher = stack.enter_context(Watcher(Path(data_dir), env)) if watched else None
        cgroup = MemoryCgroup()
        started = time.perf_counter()
        batch = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=cgroup.enter,  # before exec: only a file write, no locks
        )
        with PeakSampler(batch.pid) as sampler:
            _, stderr = batch.communicate()
        wall_s = time.perf_counter() - started
        console_cpu_s = watcher.cpu_s() if watcher else 0.0
        tree = cgroup.peak()
        cgroup.remove()
        if batch.returncode != 0:
            print(f"  ! rpa batch exited {batch.returncode}: {stderr.decode()[-400:]}")
        return Run(
            latency_ms,
            concurrency,
            wall_s,
            sampler.peak / 2**20,
            sampler.peak_pss / 2**20,
            portal.submitted(records),
            batch.returncode,
            tree / 2**20 if tree is not None else None,
            sampler.cpu_by_role(),
            watched,
            watcher.events if watcher else 0,
            console_cpu_s,
        )


def print_watched(pairs: list[tuple[Run, Run]]) -> None:
    """Each run beside the same run with the console watching it, their ratio, and the
    median ratio per level."""
    print()
    print("With the console serving the data folder and a client on the batch's live view:")
    print(
        f"{'latency':>8} {'conc':>5} {'plain s':>8} {'watched s':>10} {'ratio':>6} "
        f"{'live updates':>13} {'console CPU s':>14}"
    )
    for p, w in pairs:
        print(
            f"{p.latency_ms:>6}ms {p.concurrency:>5} {p.wall_s:8.1f} {w.wall_s:10.1f} "
            f"{w.wall_s / p.wall_s:6.2f} {w.live_events:>13} {w.console_cpu_s:14.2f}"
        )
    for level in sorted({(p.latency_ms, p.concurrency) for p, _ in pairs}):
        ratios = [w.wall_s / p.wall_s for p, w in pairs if (p.latency_ms, p.concurrency) == level]
        print(
            f"latency {level[0]} ms, concurrency {level[1]}: watched/plain, median of "
            f"{len(ratios)} pairs: {statistics.median(ratios):.2f}"
        )


def print_table(runs: list[Run], clients: int) -> None:
    print()
    print(
        f"{'latency':>8} {'conc':>5} {'ok':>7} {'wall s':>8} {'clients/min':>12} "
        f"{'speed-up':>9} {'tree MB':>8} {'tree MB/ctx':>12} {'RSS sum MB':>11} "
        f"{'RSS MB/ctx':>11} {'PSS sum MB':>11} {'PSS MB/ctx':>11}"
    )
    for latency in sorted({r.latency_ms for r in runs}):
        rows = sorted((r for r in runs if r.latency_ms == latency), key=lambda r: r.concurrency)
        base = next((r for r in rows if r.concurrency == 1), None)
        previous: Run | None = None
        for r in rows:
            speed_up = f"{base.wall_s / r.wall_s:8.2f}x" if base else f"{'-':>9}"
            rss_slope = pss_slope = f"{'-':>11}"
            tree_slope = f"{'-':>12}"
            if previous:
                extra = r.concurrency - previous.concurrency
                rss_slope = f"{(r.peak_rss_mb - previous.peak_rss_mb) / extra:11.1f}"
                pss_slope = f"{(r.peak_pss_mb - previous.peak_pss_mb) / extra:11.1f}"
                if r.peak_tree_mb is not None and previous.peak_tree_mb is not None:
                    tree_slope = f"{(r.peak_tree_mb - previous.peak_tree_mb) / extra:12.1f}"
            tree = f"{r.peak_tree_mb:8.0f}" if r.peak_tree_mb is not None else f"{'-':>8}"
            print(
                f"{latency:>6}ms {r.concurrency:>5} {f'{r.submitted}/{clients}':>7} "
                f"{r.wall_s:8.1f} {clients / r.wall_s * 60:12.1f} {speed_up} "
                f"{tree} {tree_slope} {r.peak_rss_mb:11.0f} {rss_slope} "
                f"{r.peak_pss_mb:11.0f} {pss_slope}"
            )
            previous = r
    print()
    print("CPU seconds per client, by process (each as last sampled, up to 0.2 s short):")
    for r in runs:
        cpu = r.cpu_s or {}
        total = sum(cpu.values())
        parts = ", ".join(
            f"{k} {v / clients:.2f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])
        )
        print(
            f"  {r.latency_ms:>4} ms, concurrency {r.concurrency}: {total / clients:.2f} "
            f"({parts}); {total / r.wall_s:.2f} of {psutil.cpu_count()} CPUs busy"
        )
    print()
    for latency in sorted({r.latency_ms for r in runs}):
        rows = sorted((r for r in runs if r.latency_ms == latency), key=lambda r: r.concurrency)
        if len(rows) >= 2:
            lo, hi = rows[0], rows[-1]
            extra = hi.concurrency - lo.concurrency
            rss = (hi.peak_rss_mb - lo.peak_rss_mb) / extra
            pss = (hi.peak_pss_mb - lo.peak_pss_mb) / extra
            tree = (
                f"tree {(hi.peak_tree_mb - lo.peak_tree_mb) / extra:.1f} (target <= 60), "
                if hi.peak_tree_mb is not None and lo.peak_tree_mb is not None
                else ""
            )
            print(
                f"latency {latency} ms: MB per extra context, concurrency "
                f"{lo.concurrency}->{hi.concurrency}: {tree}RSS sum {rss:.1f}, PSS sum {pss:.1f}"
            )
    for r in runs:
        if r.latency_ms == 300 and r.concurrency == 8:
            base = next((b for b in runs if b.latency_ms == 300 and b.concurrency == 1), None)
            if base:
                print(
                    f"latency 300 ms: concurrency 8 speed-up {base.wall_s / r.wall_s:.2f}x "
                    "(target >= 6x)"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--concurrency", default="1,2,4,8", help="comma-separated levels")
    parser.add_argument("--latency", default="0,300", help="comma-separated latencies (ms)")
    parser.add_argument(
        "--full-browser", action="store_true", help="the full Chromium, not its headless shell"
    )
    parser.add_argument(
        "--watched",
        action="store_true",
        help="each run also with the console serving and a client on the live view",
    )
    parser.add_argument(
        "--pairs", type=int, default=1, help="with --watched: plain/watched pairs per level"
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    latencies = [int(x) for x in args.latency.split(",")]
    cpus = psutil.cpu_count()
    print(
        f"clients: {args.clients} (DSC, no changes, all due); concurrency {levels}; "
        f"latency {latencies} ms; {cpus} CPUs, load average "
        f"{', '.join(f'{x:.1f}' for x in psutil.getloadavg())}"
    )
    from rpa.browser import resolve_browser

    browser = resolve_browser(None, headless=True, prefer_shell=not args.full_browser)
    print(f"browser: {browser.executable} ({browser.reason})")
    runs: list[Run] = []
    watched: list[tuple[Run, Run]] = []
    with tempfile.TemporaryDirectory(prefix="dgft-bench-clients-") as tmp:
        clients_file = Path(tmp) / "clients.csv"
        records = write_client_file(clients_file, args.clients)
        warm_file = Path(tmp) / "warm-up.csv"
        warm = write_client_file(warm_file, 1)
        # Chromium's files into the page cache; not counted
        run_once(warm, warm_file, 0, 1, full_browser=args.full_browser)
        for latency in latencies:
            for concurrency in levels:
                run = run_once(
                    records, clients_file, latency, concurrency, full_browser=args.full_browser
                )
                runs.append(run)
                print(
                    f"  latency {latency:>4} ms, concurrency {concurrency}: "
                    f"{run.wall_s:6.1f} s, peak tree {run.peak_tree_mb or 0:5.0f} MB, "
                    f"RSS sum {run.peak_rss_mb:5.0f} MB, PSS sum {run.peak_pss_mb:5.0f} MB, "
                    f"{run.submitted}/{args.clients} submitted (exit {run.exit_code})",
                    flush=True,
                )
                for pair in range(args.pairs if args.watched else 0):
                    # alternate which goes first, so a drift in the machine's load is shared
                    plain = run if pair == 0 else None
                    order = ("watched", "plain") if pair % 2 else ("plain", "watched")
                    seen = None
                    for kind in order:
                        level = (records, clients_file, latency, concurrency)
                        if kind == "plain" and plain is None:
                            plain = run_once(*level, full_browser=args.full_browser)
                        elif kind == "watched":
                            seen = run_once(*level, full_browser=args.full_browser, watched=True)
                    assert plain is not None and seen is not None
                    watched.append((plain, seen))
                    print(
                        f"  latency {latency:>4} ms, concurrency {concurrency}, pair {pair + 1}: "
                        f"plain {plain.wall_s:6.1f} s, watched {seen.wall_s:6.1f} s "
                        f"({seen.live_events} live updates, {seen.submitted}/{args.clients} "
                        f"submitted, exit {seen.exit_code})",
                        flush=True,
                    )
    print_table(runs, args.clients)
    if watched:
        print_watched(watched)


if __name__ == "__main__":
    main()
