"""An office with two PCs on Temporal: each job on the PC holding its client's token.

Real parts throughout: the Temporal dev server, two ``rpa worker`` processes (each with its
own emBridge holding its own tokens, its own data folder and browser), the mock portal, and
``rpa batch --temporal`` as the office runs it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from rpa.renewal import financial_year, today_in_india
from tests.distributed.conftest import ROOT, Office

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def journal_rows(journal: Path, sql: str) -> list[sqlite3.Row]:
    if not journal.exists():
        return []
    conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def wait_for(what: str, check: object, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


async def workflow_runs(target: str, workflow_ids: list[str]) -> dict[str, int]:
    from temporalio.client import Client

    client = await Client.connect(target)
    runs = {}
    for wid in workflow_ids:
        runs[wid] = len([w async for w in client.list_workflows(f"WorkflowId = '{wid}'")])
    return runs


def test_a_batch_runs_each_job_on_the_pc_holding_its_token_and_survives_a_killed_worker(
    office: Office,
) -> None:
    dsc = [r for r in office.records if r.sign_with == "dsc"]
    aadhaar = [r for r in office.records if r.sign_with == "aadhaar"]
    assert len(office.records) == 12 and aadhaar
    tokens = {
        "pc-1": [str(r.dsc_token) for r in dsc[0::2]],
        "pc-2": [str(r.dsc_token) for r in dsc[1::2]],
    }
    for pc, held in tokens.items():
        office.add_pc(pc, held)
        office.start_worker(pc)
    log = (office.folder / "pc-1.log").read_text()
    assert all(token in log for token in tokens["pc-1"])  # it says which tokens it serves
    assert not any(token in log for token in tokens["pc-2"])

    batch = office.batch()
    worker_journal = office.data_dir("pc-1") / "journal.sqlite3"
    wait_for(
        "pc-1 to be running a job",
        lambda: journal_rows(worker_journal, "SELECT id FROM jobs WHERE status = 'running'"),
    )
    office.kill_worker("pc-1")  # switched off mid-batch
    time.sleep(2)
    office.start_worker("pc-1")
    out, err = batch.communicate(timeout=600)
    assert batch.returncode == 0, err[-3000:]

    office_journal = office.data_dir("office") / "journal.sqlite3"
    jobs = journal_rows(office_journal, "SELECT client, status, result FROM jobs")
    assert sorted(j["status"] for j in jobs) and all(
        j["status"] in ("changed", "ok") for j in jobs
    ), [(j["client"], j["status"]) for j in jobs]
    assert len(jobs) == 12
    for record in office.records:
        applications = office.portal.applications(record.iec)
        assert len(applications) == 1, (record.iec, applications)  # one application each
    holder = {token: pc for pc, held in tokens.items() for token in held}
    for record in dsc:
        signed = office.get("signatures", iec=record.iec)
        assert signed, record.iec
        # signed by its client's own token, on the PC that holds it
        assert {(s["token"], s["embridge"]) for s in signed} == {
            (record.dsc_token, holder[str(record.dsc_token)])
        }
    for job in jobs:  # the certificates reached the office
        result = json.loads(job["result"])
        assert Path(result["certificate_path"]).is_relative_to(
            office.data_dir("office") / "certificates" / job["client"]
        )
        assert Path(result["certificate_path"]).is_file()
        assert result["worker_job_id"]
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    finished = [e for e in events if e["event"] == "RunFinished"]
    assert len(finished) == 12  # the same live events as a local batch
    assert any(e["event"] == "StepStarted" for e in events)  # steps seen through heartbeats


def test_a_second_batch_of_the_same_file_starts_no_workflow_for_clients_done_this_year(
    office: Office, run_async: Callable[[Coroutine[Any, Any, Any]], Any]
) -> None:
    batch = office.batch()
    _, err = batch.communicate(timeout=300)
    assert batch.returncode == 0, err[-3000:]
    office_journal = office.data_dir("office") / "journal.sqlite3"
    latest = journal_rows(office_journal, "SELECT id FROM batches ORDER BY created_at DESC")[0]
    jobs = journal_rows(
        office_journal, f"SELECT client, status, result FROM jobs WHERE batch_id = '{latest['id']}'"
    )
    assert len(jobs) == 12
    assert all(j["status"] == "ok" for j in jobs)
    assert all(json.loads(j["result"])["already_done"] for j in jobs)
    fy = financial_year(today_in_india())
    ids = [f"renew:{record.iec}:{fy}" for record in office.records]
    assert run_async(workflow_runs(office.temporal.target, ids)) == dict.fromkeys(ids, 1)
    for record in office.records:
        assert len(office.portal.applications(record.iec)) == 1


def test_the_daily_renewal_run_on_temporal_starts_nothing_for_clients_done_this_year(
    office: Office,
) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rpa",
            "renew",
            "run",
            "--clients",
            str(office.clients_csv),
            "--force",
            "--temporal",
            office.temporal.target,
        ],
        env=office.env("office", RPA_TEMPORAL_HEARTBEAT_S="6"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "12 ok" in run.stdout
    for record in office.records:
        assert len(office.portal.applications(record.iec)) == 1
