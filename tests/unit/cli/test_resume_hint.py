"""After Ctrl-C a batch says how to resume it with its real id (issue 16 §8)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from rpa.batch import BatchJob, BatchRunner, BatchSummary, JobEnd
from rpa.events import EventBus
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.outcomes import Outcome


class SlowRunner:
    async def __call__(self, job: BatchJob, session: object) -> JobEnd:
        await asyncio.sleep(5)
        return JobEnd(Outcome.CHANGED)


def test_the_resume_hint_after_ctrl_c_carries_the_batch_id(
    tmp_path: Path, run_async: Callable[[Coroutine[Any, Any, Any]], Any]
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    batch_id = journal.create_batch("renew")
    jobs = [
        BatchJob(journal.add_job("renew", client=iec, batch_id=batch_id), iec, 2, "renew", False)
        for iec in ("AAACB1234F", "1198002743")
    ]
    runner = BatchRunner(journal, bus, SlowRunner())

    async def run_then_stop() -> BatchSummary:
        task = asyncio.ensure_future(runner.run(batch_id, jobs, session=object()))
        await asyncio.sleep(0.3)
        runner.stop()  # what Ctrl-C does
        return await task

    summary: BatchSummary = run_async(run_then_stop())
    assert summary.status == "interrupted"
    hint = f"resume with: rpa batch --resume {batch_id}"
    assert hint in (summary.note or "")
    assert hint in (journal.batch(batch_id).note or "")
    journal.close()
