"""The command line's start-up: the bare interpreter, `rpa --help`, `rpa jobs list`.

    .venv/bin/python bench/cli_startup.py [--runs 20] [--rpa "python -m rpa"]

Prints, side by side, the median and the fastest wall time of each command (a fresh process
each run, started as a shell starts it), each with its ratio to the bare interpreter's
(`python -c pass`); on a busy machine the fastest runs are the steadier estimate. Target
(issue 16 §7): `rpa --help` and `rpa jobs list` within 10x the bare interpreter. It prints;
it does not assert. `--rpa` runs another command as rpa, e.g. `python -m rpa` with
PYTHONPATH pointing at an older checkout, to compare.

`rpa jobs list` runs on an empty data dir (no journal yet: it says so and exits 2), and
again on a journal holding 5 finished jobs (the journal's import on top). The commands take
turns, run after run, so a busy machine slows them alike; each runs once uncounted first so
its files are in the page cache.

The floor: any command that takes an option value, `rpa jobs list` included, goes through
Typer's parameter coercion, which (Typer 0.2x) builds pydantic TypeAdapters and so imports
pydantic; `rpa --help` does not.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 10.0


def rpa_command() -> list[str]:
    """The `rpa` console script installed beside this interpreter (else `python -m rpa`)."""
    script = Path(sys.executable).with_name("rpa")
    if script.is_file():
        return [str(script)]
    found = shutil.which("rpa")
    return [found] if found else [sys.executable, "-m", "rpa"]


def seed_journal(data_dir: Path) -> None:
    """A journal with one batch of 5 finished jobs (in this process, not timed)."""
    from rpa.events import Outcome
    from rpa.journal import Journal

    journal = Journal(data_dir / "journal.sqlite3")
    batch_id = journal.create_batch("renew", source="clients.csv")
    for n in range(5):
        job = journal.add_job("renew", client=f"AAACB{1000 + n}F", batch_id=batch_id, row=n + 2)
        journal.job_finished(job, Outcome.CHANGED, duration_s=12.5 + n)


def time_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each command")
    parser.add_argument(
        "--rpa",
        help="the command that runs rpa, e.g. 'python -m rpa' with PYTHONPATH set to another"
        " checkout, to compare (default: the rpa script beside this interpreter)",
    )
    args = parser.parse_args()

    rpa = shlex.split(args.rpa) if args.rpa else rpa_command()
    with tempfile.TemporaryDirectory(prefix="rpa-startup-") as tmp:
        work = Path(tmp)
        empty, filled = work / "empty", work / "filled"
        empty.mkdir()
        filled.mkdir()
        seed_journal(filled)
        base = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
        base["COLUMNS"] = "80"
        cases: list[tuple[str, list[str], dict[str, str]]] = [
            ("python -c pass", [sys.executable, "-c", "pass"], base),
            ("rpa --help", [*rpa, "--help"], base),
            (
                "rpa jobs list (empty data dir)",
                [*rpa, "jobs", "list"],
                {**base, "RPA_DATA_DIR": str(empty)},
            ),
            (
                "rpa jobs list (5 jobs)",
                [*rpa, "jobs", "list"],
                {**base, "RPA_DATA_DIR": str(filled)},
            ),
        ]
        times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        codes: dict[str, set[int]] = {name: set() for name, _, _ in cases}
        for name, argv, env in cases:  # warm-up, uncounted
            codes[name].add(time_once(argv, env, work)[1])
        for _ in range(args.runs):
            for name, argv, env in cases:
                seconds, code = time_once(argv, env, work)
                times[name].append(seconds)
                codes[name].add(code)

    bare = statistics.median(times[cases[0][0]])
    bare_fastest = min(times[cases[0][0]])
    print(f"{'command':<32} {'median':>8} {'× bare':>7} {'fastest':>8} {'× bare':>7}  exit")
    for name, _, _ in cases:
        median = statistics.median(times[name])
        fastest = min(times[name])
        exits = ",".join(str(c) for c in sorted(codes[name]))
        print(
            f"{name:<32} {median * 1000:>6.0f}ms {median / bare:>6.1f}×"
            f" {fastest * 1000:>6.0f}ms {fastest / bare_fastest:>6.1f}×  {exits}"
        )
    print(f"\n{args.runs} runs each, taking turns; target: rpa within {TARGET:.0f}× python -c pass")
    print(f"rpa is {' '.join(rpa)}")


if __name__ == "__main__":
    main()
