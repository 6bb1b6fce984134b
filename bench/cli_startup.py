"""The command line's start-up: the bare interpreter, `rpa --help`, `rpa jobs list`.

    .venv/bin/python bench/cli_startup.py [--runs 20] [--rpa "python -m rpa"] [--uncached]

Prints, side by side, the median and the fastest wall time of each command (a fresh process
each run, started as a shell starts it) and the median CPU time it used (user + system),
each with its ratio to the bare interpreter's (`python -c pass`); on a busy machine the
fastest runs and the CPU times are the steadier estimates (a process waiting for a core
uses none). Target
(issue 16 §7): `rpa --help` and `rpa jobs list` within 10x the bare interpreter. It prints;
it does not assert. `--rpa` runs another command as rpa, e.g. `python -m rpa` with
PYTHONPATH pointing at an older checkout, to compare.

`rpa jobs list` runs on an empty data dir (no journal yet: it says so and exits 2), and
again on a journal holding 5 finished jobs (the journal's import on top). The commands take
turns, run after run, so a busy machine slows them alike; each runs once uncounted first so
its files are in the page cache and its modules compiled.

Compiled: the commands run with a bytecode cache of their own (``PYTHONPYCACHEPREFIX``, a
temporary folder), which the uncounted run fills, as an installed rpa has its modules
compiled by pip; so ``PYTHONDONTWRITEBYTECODE=1`` in the environment (a shared checkout)
does not make every run compile rpa. ``--uncached`` runs them in the environment as it is
(how rounds before the sixth measured, with ``PYTHONDONTWRITEBYTECODE=1``: rpa's modules
compiled at every start).

What `rpa jobs list` imports is kept small (issue 16 §7): no settings (``rpa.datadir``
reads the data folder alone), no pydantic (Typer's option coercion is passed by,
``rpa.cli.app.PlainValue``), no loguru, no Rich, no events; what is left over `--help` is
the journal's store and sqlite3. Without a journal it prints its error through Rich.
"""

from __future__ import annotations

import argparse
import os
import resource
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
    from rpa.journal import Journal
    from rpa.outcomes import Outcome

    journal = Journal(data_dir / "journal.sqlite3")
    batch_id = journal.create_batch("renew", source="clients.csv")
    for n in range(5):
        job = journal.add_job("renew", client=f"AAACB{1000 + n}F", batch_id=batch_id, row=n + 2)
        journal.job_finished(job, Outcome.CHANGED, duration_s=12.5 + n)


def cpu_of_children() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def time_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system) and exit code of one run."""
    cpu = cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started, cpu_of_children() - cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each command")
    parser.add_argument(
        "--uncached",
        action="store_true",
        help="no bytecode cache of the bench's own: the environment as it is",
    )
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
        if not args.uncached:
            base.pop("PYTHONDONTWRITEBYTECODE", None)
            base["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")
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
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        codes: dict[str, set[int]] = {name: set() for name, _, _ in cases}
        for name, argv, env in cases:  # warm-up, uncounted
            codes[name].add(time_once(argv, env, work)[2])
        for _ in range(args.runs):
            for name, argv, env in cases:
                seconds, cpu, code = time_once(argv, env, work)
                times[name].append(seconds)
                cpus[name].append(cpu)
                codes[name].add(code)

    bare = statistics.median(times[cases[0][0]])
    bare_fastest = min(times[cases[0][0]])
    bare_cpu = statistics.median(cpus[cases[0][0]])
    print(
        f"{'command':<31} {'median':>7} {'× bare':>6} {'fastest':>7} {'× bare':>6}"
        f" {'cpu':>7} {'× bare':>6}  exit"
    )
    for name, _, _ in cases:
        median = statistics.median(times[name])
        fastest = min(times[name])
        cpu = statistics.median(cpus[name])
        exits = ",".join(str(c) for c in sorted(codes[name]))
        print(
            f"{name:<31} {median * 1000:>5.0f}ms {median / bare:>5.1f}×"
            f" {fastest * 1000:>5.0f}ms {fastest / bare_fastest:>5.1f}×"
            f" {cpu * 1000:>5.0f}ms {cpu / bare_cpu:>5.1f}×  {exits}"
        )
    print(f"\n{args.runs} runs each, taking turns; target: rpa within {TARGET:.0f}× python -c pass")
    print(f"rpa is {' '.join(rpa)}")
    cache = "the environment's (--uncached)" if args.uncached else "compiled once, uncounted"
    print(f"bytecode: {cache}")


if __name__ == "__main__":
    main()
