"""A renew batch of a client file that varies as real ones do (``clientmix``) and has no
``dsc_cert`` column renews every client, each DSC client signing with its own certificate.

As a user runs it (see ``demo/__main__.py``): the mock portal and ``rpa batch`` are
subprocesses; the journal is only read, through a read-only SQLite connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from demo.seeding import PORTAL_NOW
from tests.e2e.batchkit import latest_batch, mock_portal, query, rpa_env, run_rpa
from tests.e2e.clientmix import MixClient, mix_clients, write_client_file

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEED = 20  # any seed: every twelve consecutive clients hold every variation
CLIENTS = 12


@dataclass
class VariedRun:
    clients: list[MixClient]
    returncode: int
    output: str
    jobs: dict[str, dict[str, Any]]  # by IEC
    details: dict[str, str]  # by IEC: `rpa jobs show` of each job that did not change
    applications: dict[str, list[dict[str, Any]]]
    tokens: dict[str, list[dict[str, Any]]]
    iecs: dict[str, dict[str, Any]]
    data: Path


@pytest.fixture(scope="module")
def varied_run(tmp_path_factory: pytest.TempPathFactory) -> VariedRun:
    """One renew batch of 12 mixed clients (due and re-verify), concurrency 4."""
    work = tmp_path_factory.mktemp("varied")
    clients = mix_clients(CLIENTS, seed=SEED, scenarios=["due", "reverify"])
    client_file = work / "clients.csv"
    write_client_file(client_file, clients)  # no dsc_cert column
    data = work / "data"
    with mock_portal(work / "portal") as portal:
        portal.seed_mix(clients)
        env = rpa_env(portal, data, concurrency=4)
        result = run_rpa(
            "batch", str(client_file), "--playbook", "renew", "--output", "quiet", env=env
        )
        journal = data / "journal.sqlite3"
        batch_id = latest_batch(journal)
        rows = query(
            journal, "SELECT id, client, status, error FROM jobs WHERE batch_id = ?", (batch_id,)
        )
        jobs = {str(row["client"]): dict(row) for row in rows}
        details = {  # the head of `rpa jobs show`: the job, its result, its error
            iec: run_rpa("jobs", "show", str(job["id"]), env=env).stdout.split("┏")[0]
            for iec, job in jobs.items()
            if job["status"] != "changed"
        }
        with httpx.Client(base_url=f"{portal.url}/__mock__", timeout=30) as api:
            applications = {c.iec: portal.applications(c.iec) for c in clients}
            tokens = {c.iec: api.get("/tokens", params={"iec": c.iec}).json() for c in clients}
            iecs = {c.iec: api.get(f"/iecs/{c.iec}").json() for c in clients}
    return VariedRun(
        clients,
        result.returncode,
        result.stdout + result.stderr,
        jobs,
        details,
        applications,
        tokens,
        iecs,
        data,
    )


def test_a_renew_batch_without_a_dsc_cert_column_renews_every_client(
    varied_run: VariedRun,
) -> None:
    assert sorted(varied_run.jobs) == sorted(c.iec for c in varied_run.clients)
    not_changed = {
        iec: (job["status"], job["error"], varied_run.details.get(iec))
        for iec, job in varied_run.jobs.items()
        if job["status"] != "changed"
    }
    assert not not_changed, f"{varied_run.output}\n{not_changed}"
    assert varied_run.returncode == 0, varied_run.output


def test_every_client_gets_exactly_one_application_signed_as_its_file_says(
    varied_run: VariedRun,
) -> None:
    for client in varied_run.clients:
        [application] = varied_run.applications[client.iec]
        assert application["kind"] == "update", client.iec
        assert application["signed_with"] == client.sign_with, client.iec


def test_each_dsc_client_signs_with_the_certificate_that_is_its_own(
    varied_run: VariedRun,
) -> None:
    dsc_clients = [c for c in varied_run.clients if c.sign_with == "dsc"]
    assert any(len(c.certificates) == 2 for c in dsc_clients)
    for client in dsc_clients:
        seeded = varied_run.tokens[client.iec]
        assert [t["cn"] for t in seeded] == [c["cn"] for c in client.certificates]
        signed = [t["signatures"] for t in seeded]
        expected = [int(n == client.expected_index) for n in range(len(seeded))]
        assert signed == expected, (client.iec, client.expected_cert, seeded)
        assert not any(t["locked"] or t["failed_pins"] for t in seeded), seeded


def test_contacts_due_for_re_verification_are_verified_again(varied_run: VariedRun) -> None:
    reverified = [c for c in varied_run.clients if c.scenario == "reverify"]
    assert reverified
    for client in reverified:
        assert varied_run.iecs[client.iec]["contacts_verified_on"] == PORTAL_NOW[:10]


def test_every_clients_e_iec_is_filed_under_its_iec(varied_run: VariedRun) -> None:
    for client in varied_run.clients:
        [pdf] = (varied_run.data / "certificates" / client.iec).glob("e-IEC-*.pdf")
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert client.iec in text and client.row["pan"] in text
