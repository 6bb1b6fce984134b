"""A portal that misbehaves as the real one does in June, with clients that vary
(``clientmix``): work that went through is never reported failed or without its ack.

- A crash in the instant after the portal recorded an application: the next run reads the
  application (ack and status) from the portal instead of reporting ``changed`` without
  an ack, or ``ok`` as if someone else had renewed it.
- A slow portal (4–6 s a request): a signature the portal took but whose next page
  outlasts the step's timeout ends ``changed`` with the portal's ack, on both signing
  routes; nothing is signed twice.
- A busy portal (6 % "server busy") around the contacts' OTP re-verification: every client
  renewed once, for three fault seeds.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from batchkit import Portal, kill_group, latest_batch, mock_portal, query, rpa_env, start_rpa
from clientmix import MixClient, mix_clients, secrets_env, write_client_file

from tests.e2e.conftest import Dgft

pytestmark = [pytest.mark.browser]


def _forget_the_result(journal: Path, job_id: str) -> None:
    """The journal as a SIGKILL leaves it just after the portal recorded the application:
    the intent to submit, no result, the job not finished."""
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE submissions SET done_at = NULL WHERE job_id = ?", (job_id,))
        db.execute(
            "UPDATE jobs SET status = 'interrupted', result = '{}', finished_at = NULL"
            " WHERE id = ?",
            (job_id,),
        )


@pytest.mark.parametrize("sign_with", ["dsc", "aadhaar"])
def test_a_run_after_a_crash_that_followed_the_portals_record_reports_its_ack(
    dgft: Dgft, tmp_path: Path, sign_with: str
) -> None:
    clients = mix_clients(1, seed=61, sign_with=sign_with)
    dgft.seed_mix(clients)
    (record,) = write_client_file(tmp_path / "clients.csv", clients)
    first = dgft.run("update_iec", record)
    assert first.outcome == "changed", first.failure
    ack = first.outputs["ack_number"]
    assert ack
    jobs = dgft.agent.journal.jobs()
    _forget_the_result(dgft.settings.journal_path, jobs[-1].id)

    again = dgft.run("update_iec", record)
    assert again.outcome == "changed", again.failure  # the earlier run's work, not "ok"
    assert again.outputs["ack_number"] == ack
    assert again.outputs["application_status"]
    assert len(dgft.applications(record.iec)) == 1


@dataclass
class FaultyBatch:
    """One ``rpa batch`` against a portal with faults, and what it left."""

    clients: list[MixClient]
    returncode: int
    output: str
    held: dict[str, list[dict[str, Any]]]  # the portal's applications by IEC
    jobs: dict[str, dict[str, Any]]  # the batch's jobs by IEC


def _start(
    stack: ExitStack,
    work: Path,
    clients: list[MixClient],
    faults: dict[str, Any],
    playbook: str,
    concurrency: int,
) -> tuple[Portal, subprocess.Popen[bytes], Path]:
    file = work / "clients.csv"
    write_client_file(file, clients)
    portal = stack.enter_context(mock_portal(work / "portal"))
    portal.seed_mix(clients)
    portal.post("faults", faults)
    env = rpa_env(portal, work / "data", concurrency=concurrency) | secrets_env(clients)
    log = work / "batch.log"
    args = ("batch", str(file), "--playbook", playbook, "--output", "quiet")
    return portal, start_rpa(*args, env=env, log=log), log


def _finish(
    clients: list[MixClient], portal: Portal, process: subprocess.Popen[bytes], log: Path
) -> FaultyBatch:
    try:
        returncode = process.wait(timeout=1200)  # a hang guard, not a timing
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise
    held = {c.iec: portal.applications(c.iec) for c in clients}
    journal = log.parent / "data" / "journal.sqlite3"
    jobs = {
        str(row["client"]): dict(row)
        for row in query(
            journal,
            "SELECT client, status, error_code, error, result FROM jobs WHERE batch_id = ?",
            (latest_batch(journal),),
        )
    }
    return FaultyBatch(clients, returncode, log.read_text(errors="replace"), held, jobs)


SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def faulty_batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FaultyBatch]:
    """Side by side (each mostly waits on its portal): a batch against a portal answering
    in 4-6 s, and for three fault seeds a renew batch of 12 clients re-verifying their
    contacts against a portal answering 6 % of requests "server busy"."""
    plans: dict[str, tuple[list[MixClient], dict[str, Any], str, int]] = {
        "slow": (
            mix_clients(2, seed=62, sign_with="dsc") + mix_clients(2, seed=63, sign_with="aadhaar"),
            {"seed": 1, "latency_ms": 4000, "jitter_ms": 2000},
            "update_iec",
            4,
        ),
    }
    for seed in SEEDS:
        clients = mix_clients(12, seed=70 + seed, scenarios=["reverify"])
        plans[f"busy{seed}"] = (clients, {"seed": seed, "error_rate": 0.06}, "renew", 3)
    with ExitStack() as stack:
        started = {
            name: (clients, *_start(stack, tmp_path_factory.mktemp(name), clients, *rest))
            for name, (clients, *rest) in plans.items()
        }
        return {name: _finish(*run) for name, run in started.items()}


@pytest.mark.slow
def test_a_slow_portal_reports_every_application_it_holds_with_its_ack(
    faulty_batches: dict[str, FaultyBatch],
) -> None:
    run = faulty_batches["slow"]
    for client in run.clients:
        job, apps = run.jobs[client.iec], run.held[client.iec]
        assert len(apps) <= 1, (client.iec, apps)  # never signed twice
        if apps:  # the portal holds it: so does the report, ack included
            outputs = json.loads(job["result"] or "{}")
            assert job["status"] == "changed", (job, run.output)
            assert outputs.get("ack_number") == apps[0]["ack"], (job, apps)
    assert all(job["status"] == "changed" for job in run.jobs.values()), (run.jobs, run.output)
    assert run.returncode == 0, run.output


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_a_busy_portal_around_the_otp_reverification_still_renews_every_client_once(
    faulty_batches: dict[str, FaultyBatch], seed: int
) -> None:
    run = faulty_batches[f"busy{seed}"]
    assert sorted(run.jobs) == sorted(c.iec for c in run.clients)
    not_renewed = [j for j in run.jobs.values() if j["status"] != "changed"]
    assert not_renewed == [], run.output  # no needs-input for a fault that was the portal's
    for client in run.clients:
        assert len(run.held[client.iec]) == 1, client.iec
    assert run.returncode == 0, run.output
