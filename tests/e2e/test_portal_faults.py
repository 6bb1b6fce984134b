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
from pathlib import Path

import pytest
from batchkit import latest_batch, mock_portal, query, rpa_env, run_rpa
from clientmix import mix_clients, secrets_env, write_client_file

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


@pytest.mark.slow
def test_a_slow_portal_reports_every_application_it_holds_with_its_ack(tmp_path: Path) -> None:
    clients = mix_clients(2, seed=62, sign_with="dsc") + mix_clients(
        2, seed=63, sign_with="aadhaar"
    )
    file = tmp_path / "clients.csv"
    write_client_file(file, clients)
    data = tmp_path / "data"
    with mock_portal(tmp_path / "portal") as portal:
        portal.seed_mix(clients)
        portal.post("faults", {"seed": 1, "latency_ms": 4000, "jitter_ms": 2000})
        env = rpa_env(portal, data, concurrency=4) | secrets_env(clients)
        result = run_rpa(
            "batch",
            str(file),
            "--playbook",
            "update_iec",
            "--output",
            "quiet",
            env=env,
            timeout=1500,
        )
        held = {c.iec: portal.applications(c.iec) for c in clients}
    journal = data / "journal.sqlite3"
    jobs = {
        row["client"]: row
        for row in query(
            journal,
            "SELECT client, status, error, result FROM jobs WHERE batch_id = ?",
            (latest_batch(journal),),
        )
    }
    output = result.stdout + result.stderr
    for client in clients:
        job, apps = jobs[client.iec], held[client.iec]
        assert len(apps) <= 1, (client.iec, apps)  # never signed twice
        if apps:  # the portal holds it: so does the report, ack included
            outputs = json.loads(job["result"] or "{}")
            assert job["status"] == "changed", (dict(job), output)
            assert outputs.get("ack_number") == apps[0]["ack"], (dict(job), apps)
    assert all(job["status"] == "changed" for job in jobs.values()), (
        [dict(j) for j in jobs.values()],
        output,
    )
    assert result.returncode == 0, output


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def busy_reverify_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    seed = request.param
    work = tmp_path_factory.mktemp(f"busy-otp-{seed}")
    clients = mix_clients(12, seed=70 + seed, scenarios=["reverify"])
    file = work / "clients.csv"
    write_client_file(file, clients)
    data = work / "data"
    with mock_portal(work / "portal") as portal:
        portal.seed_mix(clients)
        portal.post("faults", {"seed": seed, "error_rate": 0.06})
        env = rpa_env(portal, data, concurrency=4) | secrets_env(clients)
        result = run_rpa(
            "batch",
            str(file),
            "--playbook",
            "renew",
            "--output",
            "quiet",
            env=env,
            timeout=900,
        )
        held = {c.iec: portal.applications(c.iec) for c in clients}
    journal = data / "journal.sqlite3"
    jobs = [
        dict(row)
        for row in query(
            journal,
            "SELECT client, status, error_code, error FROM jobs WHERE batch_id = ?",
            (latest_batch(journal),),
        )
    ]
    return clients, result, held, jobs


@pytest.mark.slow
def test_a_busy_portal_around_the_otp_reverification_still_renews_every_client_once(
    busy_reverify_run,  # type: ignore[no-untyped-def]
) -> None:
    clients, result, held, jobs = busy_reverify_run
    output = result.stdout + result.stderr
    assert sorted(j["client"] for j in jobs) == sorted(c.iec for c in clients)
    not_renewed = [j for j in jobs if j["status"] != "changed"]
    assert not_renewed == [], output  # no needs-input for a fault that was the portal's
    for client in clients:
        assert len(held[client.iec]) == 1, client.iec
    assert result.returncode == 0, output
