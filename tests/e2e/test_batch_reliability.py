"""Batch reliability: ``rpa batch`` against a faulty portal, killed mid-run, and secret-free.

Everything runs as a user runs it (see ``demo/__main__.py``): the mock portal and ``rpa`` are
subprocesses; the journal is only read, through a read-only SQLite connection. The clients
vary as real files do (``clientmix``): DSC and Aadhaar signers, ``dsc_cert`` filled or not,
tokens holding one or two certificates, 4- to 8-digit PINs, each client its own secrets.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from pypdf import PdfReader

from tests.e2e.batchkit import (
    kill_group,
    latest_batch,
    mock_portal,
    query,
    rpa_env,
    run_rpa,
    start_rpa,
)
from tests.e2e.clientmix import mix_clients, secrets_env, write_client_file

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
FAULTY_CLIENTS = 20  # every shape of clientmix's cycle, eight of them twice
FAULTY_SEED = 2  # the twice: both Aadhaar signers by number, 4-, 6- and 8-digit PINs
KILLED_SEED = 10  # 5 clients: by VID, by Aadhaar number, 4-, 6- and 8-digit PINs
SECRETS_SEED = 16  # 8 clients: by Aadhaar number and VID, two of each PIN length
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
    """One renew batch of 20 mixed clients (a dsc_cert column, filled on some rows) at
    concurrency 4 against a portal injecting faults."""
    work = tmp_path_factory.mktemp("faulty")
    mixed = mix_clients(FAULTY_CLIENTS, seed=FAULTY_SEED)
    clients = work / "clients.csv"
    write_client_file(clients, mixed, dsc_cert_column=True)
    iecs = [client.iec for client in mixed]
    with mock_portal(work / "portal") as portal:
        portal.seed_mix(mixed)
        portal.post("faults", FAULTS)
        env = rpa_env(portal, work / "data", concurrency=4)
        # The timeout only guards against a hang: an acknowledgement page the portal answers
        # busy costs a step timeout (15 s) per attempt before the rescue, so an unlucky run
        # of the draws takes minutes longer than the usual minute and a half.
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
    """A batch of 5 mixed clients (no dsc_cert column) SIGKILLed (with its browser) at a
    point, then ``--resume``d."""
    point = request.param
    work = tmp_path_factory.mktemp(f"killed-{point}")
    mixed = mix_clients(5, seed=KILLED_SEED)
    clients = work / "clients.csv"
    write_client_file(clients, mixed)
    iecs = [client.iec for client in mixed]
    journal = work / "data" / "journal.sqlite3"
    with mock_portal(work / "portal") as portal:
        portal.seed_mix(mixed)
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


#: a digit-only secret stands alone where it could leak: not inside a longer number or its
#: decimals (``80562.0427``), not glued to letters (hex hashes and ids, PANs) unless after an
#: escaped newline or tab (``\n0427``)
_ALONE_BEFORE = rb"(?:(?<![0-9A-Za-z])|(?<=\\[nrt]))(?<![0-9]\.)"
_ALONE_AFTER = rb"(?![0-9A-Za-z])(?!\.[0-9])"
#: pixels are not text: a byte search finds a secret in an image's data only by chance
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")


def _secret_forms(secrets: Mapping[str, str]) -> dict[str, re.Pattern[bytes]]:
    """Each secret as typed, URL-encoded, JSON- and HTML-escaped, an Aadhaar number also in
    its groups of four; digits only where they stand alone (``_ALONE_BEFORE``), other
    secrets where no digit extends them."""
    forms: dict[str, re.Pattern[bytes]] = {}
    for name, value in secrets.items():
        variants = {value, quote(value), quote_plus(value), json.dumps(value)[1:-1]}
        variants.add(html.escape(value))
        if value.isdigit() and len(value) == 12:
            variants.add(" ".join(value[k : k + 4] for k in range(0, 12, 4)))
        alternatives = b"|".join(re.escape(v.encode()) for v in sorted(variants))
        if value.isdigit():
            pattern = _ALONE_BEFORE + rb"(?:" + alternatives + rb")" + _ALONE_AFTER
        else:
            pattern = rb"(?<![0-9])(?:" + alternatives + rb")(?![0-9])"
        forms[name] = re.compile(pattern)
    return forms


def _leaks(name: str, blob: bytes, forms: dict[str, re.Pattern[bytes]]) -> list[str]:
    return [f"{secret} in {name}" for secret, pattern in forms.items() if pattern.search(blob)]


def _texts(data: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``data`` as bytes: an archive's member names and members (not its
    compressed bytes), a PDF's bytes and its text (its streams are compressed too)."""
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        name = str(path.relative_to(data))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                yield f"{name} (names)", "\n".join(archive.namelist()).encode()
                for member in archive.namelist():
                    yield f"{name}:{member}", archive.read(member)
            continue
        yield name, path.read_bytes()
        if path.suffix == ".pdf":
            text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
            yield f"{name} (text)", text.encode()


def test_the_secret_search_finds_each_secret_where_it_could_leak() -> None:
    clients = mix_clients(12, seed=SECRETS_SEED)
    secrets = secrets_env(clients)
    forms = _secret_forms(secrets)
    for name, value in secrets.items():
        for leak in (
            f'{{"type":"input","value":"{value}"}}',
            f'<input name="secret" value="{html.escape(value)}">',
            f"password={quote_plus(value)}&otp=",
            f"{name}={value}\n",
            f'"message":"typed:\\n{value}"',
        ):
            assert _leaks("a leak", leak.encode(), forms) == [f"{name} in a leak"], leak
    for client in clients:  # numbers the data holds, not secrets
        others = [client.iec, client.row["pan"], client.portal_record["bank"]["account_number"]]
        others += ["IEC/UPD/2026/000017", "12/05/2026", "2026-05-12T10:00:00.017"]
        others += ['"callId":"call@1047","time":80562.0427,"x":1280']
        assert _leaks("data", " ".join(others).encode(), forms) == []
    aadhaar = next(v for k, v in secrets.items() if "AADHAAR" in k and len(v) == 12)
    spaced = " ".join(aadhaar[k : k + 4] for k in range(0, 12, 4))
    assert _leaks("a page", f"<td>{spaced}</td>".encode(), forms) != []


def test_no_secret_is_left_in_the_data_directory_after_a_batch(tmp_path: Path) -> None:
    # 8 clients: 4-, 6- and 8-digit PINs (and DSC clients with and without dsc_cert), an
    # Aadhaar number and a VID; the sixth (a 4-digit PIN) fails, its token holding another
    # PAN's certificate
    scenarios = ["due"] * 8
    scenarios[5] = "pan-mismatch"
    mixed = mix_clients(8, seed=SECRETS_SEED, scenarios=scenarios)
    failing = mixed[5].iec
    assert mixed[5].dsc_pin is not None and len(mixed[5].dsc_pin) == 4
    clients = tmp_path / "clients.csv"
    write_client_file(clients, mixed, dsc_cert_column=True)
    iecs = [client.iec for client in mixed]
    data = tmp_path / "data"
    with mock_portal(tmp_path / "portal") as portal:
        portal.seed_mix(mixed)
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

    secrets = secrets_env(mixed)
    assert {len(v) for k, v in secrets.items() if "_DSC_PIN_" in k} == {4, 6, 8}
    assert {len(v) for k, v in secrets.items() if "_AADHAAR_" in k} == {12, 16}
    forms = _secret_forms(secrets)
    leaks: list[str] = []
    searched = 0
    for name, blob in _texts(data):
        if blob.startswith(_IMAGES):
            continue
        leaks += _leaks(name, blob, forms)
        searched += 1
    assert searched > 20
    assert leaks == []
