"""Batch reliability: ``rpa batch`` against a faulty portal, killed mid-run, and secret-free.

Everything runs as a user runs it (see ``demo/__main__.py``): the mock portal and ``rpa`` are
subprocesses; the journal is only read, through a read-only SQLite connection.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from batchkit import (
    kill_group,
    latest_batch,
    mock_portal,
    query,
    rpa_env,
    run_rpa,
    start_rpa,
    write_clients,
)
from pypdf import PdfReader

from demo.seeding import DEMO_SECRETS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# 5% of requests answered "server busy", latency with jitter, every session ended a minute
# after its login
FAULTS = {
    "seed": 3,
    "error_rate": 0.05,
    "latency_ms": 20,
    "jitter_ms": 40,
    "session_max_age_s": 60,
}
FAULTY_CLIENTS = 30
FINAL_GOOD = {"changed", "ok"}


@dataclass
class FaultyRun:
    iecs: list[str]
    returncode: int
    output: str
    jobs: list[dict[str, object]]
    applications: dict[str, list[dict[str, object]]]


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> FaultyRun:
    """One renew batch of 30 clients at concurrency 4 against a portal injecting faults."""
    work = tmp_path_factory.mktemp("faulty")
    clients = work / "clients.csv"
    iecs = write_clients(clients, FAULTY_CLIENTS)
    with mock_portal(work / "portal") as portal:
        portal.seed_file(clients)
        portal.post("faults", FAULTS)
        env = rpa_env(portal, work / "data", concurrency=4)
        # The timeout only guards against a hang: an acknowledgement page the portal answers
        # busy costs a step timeout (15 s) per attempt before the rescue, so an unlucky run
        # of the draws takes minutes longer than the usual ~3.
        result = run_rpa(
            "batch", str(clients), "--playbook", "renew", "--output", "quiet", env=env, timeout=480
        )
        journal = work / "data" / "journal.sqlite3"
        batch_id = latest_batch(journal)
        jobs = [
            dict(row)
            for row in query(
                journal, "SELECT client, status, error FROM jobs WHERE batch_id = ?", (batch_id,)
            )
        ]
        applications = {iec: portal.applications(iec) for iec in iecs}
    return FaultyRun(iecs, result.returncode, result.stdout + result.stderr, jobs, applications)


def test_a_faulty_portal_never_gets_a_duplicate_or_an_unrecorded_application(
    faulty_run: FaultyRun,
) -> None:
    assert sorted(str(j["client"]) for j in faulty_run.jobs) == sorted(faulty_run.iecs)
    for job in faulty_run.jobs:
        assert job["status"] in FINAL_GOOD | {"failed"}, job
        submitted = faulty_run.applications[str(job["client"])]
        assert len(submitted) <= 1, (job, submitted)
        if job["status"] == "changed":
            assert len(submitted) == 1, (job, submitted)
            assert submitted[0]["kind"] == "update"


def test_a_faulty_portal_still_gets_every_client_renewed_once(faulty_run: FaultyRun) -> None:
    not_changed = [j for j in faulty_run.jobs if j["status"] != "changed"]
    assert not not_changed, f"{faulty_run.returncode=}\n{faulty_run.output}\n{not_changed}"
    assert faulty_run.returncode == 0
    for iec in faulty_run.iecs:
        assert len(faulty_run.applications[iec]) == 1, iec


@dataclass
class KilledRun:
    iecs: list[str]
    first_statuses: list[str]
    resumed: subprocess.CompletedProcess[str]
    jobs: list[dict[str, object]]
    applications: dict[str, list[dict[str, object]]]
    leases: list[dict[str, object]]


@pytest.fixture(scope="module", params=["after-some-jobs", "at-a-submit-intent"])
def killed_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> KilledRun:
    """A batch of 5 clients SIGKILLed (with its browser) at a point, then ``--resume``d."""
    point = request.param
    work = tmp_path_factory.mktemp(f"killed-{point}")
    clients = work / "clients.csv"
    iecs = write_clients(clients, 5)
    journal = work / "data" / "journal.sqlite3"
    with mock_portal(work / "portal") as portal:
        portal.seed_file(clients)
        env = rpa_env(portal, work / "data", concurrency=3)
        log = work / "first-run.log"
        process = start_rpa(
            "batch", str(clients), "--playbook", "renew", "--output", "quiet", env=env, log=log
        )
        try:
            deadline = time.monotonic() + 150
            while not _kill_point_reached(journal, point):
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the kill point was never reached"
                time.sleep(0.05)
        finally:
            kill_group(process)
        batch_id = latest_batch(journal)
        first = [r["status"] for r in query(journal, "SELECT status FROM jobs")]
        resumed = run_rpa("batch", "--resume", batch_id, "--output", "quiet", env=env)
        jobs = [
            dict(r)
            for r in query(
                journal,
                "SELECT client, status, error, result FROM jobs WHERE batch_id = ?",
                (batch_id,),
            )
        ]
        applications = {iec: portal.applications(iec) for iec in iecs}
        leases = [dict(r) for r in query(journal, "SELECT client, holder FROM leases")]
    return KilledRun(iecs, first, resumed, jobs, applications, leases)


def _kill_point_reached(journal: Path, point: str) -> bool:
    if point == "after-some-jobs":
        rows = query(
            journal, "SELECT count(*) AS n FROM jobs WHERE status NOT IN ('pending', 'running')"
        )
        return bool(rows) and rows[0]["n"] >= 2
    rows = query(journal, "SELECT count(*) AS n FROM submissions WHERE done_at IS NULL")
    return bool(rows) and rows[0]["n"] >= 1


def test_a_resumed_batch_keeps_one_job_per_client_and_never_duplicates_an_application(
    killed_run: KilledRun,
) -> None:
    assert any(s not in FINAL_GOOD for s in killed_run.first_statuses), "killed too late"
    assert sorted(str(j["client"]) for j in killed_run.jobs) == sorted(killed_run.iecs)
    for job in killed_run.jobs:
        assert job["status"] in FINAL_GOOD | {"failed"}, job  # nothing left running
        submitted = killed_run.applications[str(job["client"])]
        assert len(submitted) <= 1, (job, submitted)
        if job["status"] == "changed":
            assert len(submitted) == 1, (job, submitted)
        elif job["status"] != "ok":  # ok: the guard found the update already there
            raise AssertionError(f"a job did not end renewed after the resume: {job}")


def test_every_application_the_portal_took_before_the_kill_is_reported_with_its_ack(
    killed_run: KilledRun,
) -> None:
    # killed at an intent: the portal may have taken the application and the journal not
    # heard; the resumed job reads it from the portal, ack and status
    for job in killed_run.jobs:
        held = killed_run.applications[str(job["client"])]
        outputs = json.loads(str(job["result"] or "{}"))
        if held:
            assert outputs.get("ack_number") == held[0]["ack"], (job, held)
            assert outputs.get("application_status"), job


def test_a_batch_killed_partway_ends_with_every_client_renewed_once_after_resume(
    killed_run: KilledRun,
) -> None:
    resumed = killed_run.resumed
    not_done = [j for j in killed_run.jobs if j["status"] not in FINAL_GOOD]
    assert not_done == [], resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    for iec in killed_run.iecs:
        assert len(killed_run.applications[iec]) == 1, iec


def _secret_forms() -> dict[str, re.Pattern[bytes]]:
    """Each secret as typed, URL-encoded and JSON-escaped; digits not inside longer numbers."""
    forms: dict[str, re.Pattern[bytes]] = {}
    for name, value in DEMO_SECRETS.items():
        variants = {value, quote(value), quote_plus(value), json.dumps(value)[1:-1]}
        alternatives = b"|".join(re.escape(v.encode()) for v in variants)
        forms[name] = re.compile(rb"(?<![0-9])(?:" + alternatives + rb")(?![0-9])")
    return forms


def _leaks(name: str, blob: bytes, forms: dict[str, re.Pattern[bytes]]) -> list[str]:
    return [f"{secret} in {name}" for secret, pattern in forms.items() if pattern.search(blob)]


def test_no_secret_is_left_in_the_data_directory_after_a_batch(tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    iecs = write_clients(clients, 2, aadhaar_signer=True)
    failing = iecs[-1]
    data = tmp_path / "data"
    with mock_portal(tmp_path / "portal") as portal:
        portal.seed_file(clients, {failing: "pan-mismatch"})
        env = rpa_env(portal, data, concurrency=4)
        env["RPA_TRACE"] = "always"  # every job's traces kept, so every one is searched
        result = run_rpa("batch", str(clients), "--playbook", "renew", "--output", "quiet", env=env)
        assert result.returncode == 1, result.stdout + result.stderr  # the failing client
        journal = data / "journal.sqlite3"
        batch_id = latest_batch(journal)
        for fmt in ("html", "csv", "json"):
            report = run_rpa("report", batch_id, "--format", fmt, env=env)
            assert report.returncode == 0, report.stdout + report.stderr

    statuses = dict(
        query(journal, "SELECT client, status FROM jobs WHERE batch_id = ?", (batch_id,))
    )
    assert statuses == {**dict.fromkeys(iecs, "changed"), failing: "failed"}
    kinds = {r["kind"] for r in query(journal, "SELECT kind FROM artifacts")}
    assert {"screenshot", "html", "trace"} <= kinds
    assert sorted(p.suffix for p in (data / "reports").iterdir()) == [".csv", ".html", ".json"]
    assert list((data / "certificates").rglob("*.pdf")), "no certificate to search"

    forms = _secret_forms()
    leaks: list[str] = []
    searched = 0
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        leaks += _leaks(str(path.relative_to(data)), blob, forms)
        searched += 1
        if path.suffix == ".pdf":  # compressed streams: search the text too
            text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
            leaks += _leaks(f"{path.name} (text)", text.encode(), forms)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    leaks += _leaks(f"{path.name}:{member}", archive.read(member), forms)
                    searched += 1
    assert searched > 20
    assert leaks == []
