"""What a batch shows while it runs: a live Rich display, JSON lines, or nothing.

All three are event listeners. The live display has an overall bar with counts and an
ETA, and one line per worker with the client and its current step. While a person is asked
something at this terminal (``live_paused``, the hook the CLI's prompter uses) the live
display steps aside, and comes back once the question is answered.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from enum import StrEnum
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rpa.cli.safe import shown
from rpa.events import (
    BatchFinished,
    BatchPaused,
    BatchStarted,
    ChallengeWaiting,
    Event,
    JobQueued,
    RunFinished,
    StepRetried,
    StepStarted,
)
from rpa.masking import mask

COUNTED = ("ok", "changed", "would-change", "failed", "needs-input", "interrupted")
COLOURS = {
    "ok": "green",
    "changed": "blue",
    "would-change": "magenta",
    "failed": "red",
    "needs-input": "yellow",
    "interrupted": "grey50",
}


class OutputMode(StrEnum):
    LIVE = "live"
    JSON = "json"
    QUIET = "quiet"


class JsonLinesOutput:
    """One JSON object per event on stdout, for cron and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: Event) -> None:
        payload = {"event": type(event).__name__, **asdict(event)}
        self.stream.write(mask(json.dumps(payload, default=str)) + "\n")
        self.stream.flush()


_running: list[LiveDisplay] = []  # the live displays on this process's terminal


@contextmanager
def live_paused() -> Iterator[None]:
    """Every running live display stepped aside while the body runs (a question is open),
    and drawn again after; nothing happens when none runs."""
    with ExitStack() as stack:
        for display in list(_running):
            stack.enter_context(display.paused())
        yield


class LiveDisplay:
    """The live display. Use as a context manager around the batch."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()  # entering, leaving and pausing, from any thread
        self._entered = False
        self.counts: Counter[str] = Counter()
        self.workers: dict[int, tuple[str, str]] = {}  # worker -> (client, step)
        self.worker_of: dict[str, int] = {}  # job id -> worker
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = self.progress.add_task("batch", total=None, counts="")
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=False)

    def __enter__(self) -> LiveDisplay:
        with self._lock:
            self.live.__enter__()
            self._entered = True
            _running.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._entered = False
            if self in _running:
                _running.remove(self)
            self.live.update(self._render())
            if not self.live.is_started:  # left while paused: draw the last state once
                self.live.start()
            self.live.__exit__(None, None, None)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Off the terminal while the body runs (erased, not left behind), then back."""
        with self._lock:
            stopped = self._entered and self.live.is_started
            if stopped:
                self.live.transient = True
                self.live.stop()
                self.live.transient = False
        try:
            yield
        finally:
            with self._lock:
                if stopped and self._entered:
                    self.live.start(refresh=True)

    def _counts_text(self) -> str:
        return "  ".join(
            f"[{COLOURS[name]}]{self.counts[name]} {name}[/]"
            for name in COUNTED
            if self.counts[name]
        )

    def _render(self) -> Group:
        table = Table.grid(padding=(0, 2))
        for worker in sorted(self.workers):
            client, step = self.workers[worker]
            table.add_row(
                f"[dim]worker {worker + 1}[/dim]", shown(client), f"[dim]{shown(step)}[/dim]"
            )
        return Group(self.progress, table)

    def __call__(self, event: Event) -> None:
        match event:
            case BatchStarted():
                self.progress.update(
                    self.task,
                    total=event.total,
                    description=shown(f"{event.playbook} {event.batch_id}"),
                )
            case JobQueued():
                self.worker_of[event.job_id] = event.worker
                self.workers[event.worker] = (event.client, "starting")
            case StepStarted() if event.job_id in self.worker_of:
                worker = self.worker_of[event.job_id]
                self.workers[worker] = (self.workers[worker][0], mask(event.step))
            case StepRetried() if event.job_id in self.worker_of:
                worker = self.worker_of[event.job_id]
                note = f"{mask(event.step)} (retry {event.attempt}: {event.error_kind})"
                self.workers[worker] = (self.workers[worker][0], note)
            case ChallengeWaiting() if event.job_id in self.worker_of:
                worker = self.worker_of[event.job_id]
                self.workers[worker] = (self.workers[worker][0], f"waiting: {mask(event.prompt)}")
            case RunFinished() if event.job_id in self.worker_of:
                worker = self.worker_of.pop(event.job_id)
                self.workers.pop(worker, None)
                self.counts[str(event.outcome)] += 1
                self.progress.update(self.task, advance=1, counts=self._counts_text())
            case BatchPaused():
                self.console.print(
                    f"[yellow]paused:[/yellow] {shown(event.reason)}", highlight=False
                )
            case BatchFinished():
                self.workers.clear()
            case _:
                return
        self.live.update(self._render())
