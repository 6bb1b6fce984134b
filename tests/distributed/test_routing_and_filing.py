"""Where a remote job runs, what its workflow is called, and how its result is filed in the
office journal (no Temporal server needed)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict
from pathlib import Path

import pytest

from demo.fictional import write_client_file
from rpa.clients.records import ClientRecord
from rpa.config import load_settings
from rpa.distributed.messages import FileBlob, JobOutput
from rpa.distributed.results import OfficeFiling, output_from
from rpa.distributed.routing import SHARED_QUEUE, submits, task_queue_for, workflow_id
from rpa.events import EventBus
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.playbook.builtin import builtin_playbooks_dir
from rpa.playbook.loader import Loader


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[ClientRecord]:
    folder = tmp_path_factory.mktemp("clients")
    return write_client_file(folder / "clients.csv", 2, aadhaar_signer=True)


def playbook_submits(name: str) -> bool:
    folder = builtin_playbooks_dir()
    return submits(Loader([folder]).load(folder / f"{name}.yaml"))


def test_a_dsc_renewal_goes_to_its_tokens_queue_and_an_aadhaar_one_to_the_shared_queue(
    records: list[ClientRecord],
) -> None:
    aadhaar, dsc, _ = records
    assert task_queue_for(dsc, submits=True) == "rpa-token-ePass2003 FC0001"
    assert task_queue_for(aadhaar, submits=True) == SHARED_QUEUE
    assert task_queue_for(dsc, submits=False) == SHARED_QUEUE  # read-only: any PC


def test_playbooks_that_submit_are_told_from_read_only_ones() -> None:
    assert playbook_submits("renew")  # through update_iec, which it uses
    assert playbook_submits("update_iec")
    assert not playbook_submits("iec_status")
    assert not playbook_submits("download_certificate")


def test_a_workflow_is_named_by_playbook_client_and_financial_year() -> None:
    named = dict(playbook="renew", iec="0312345678", fy=2026, job_id="j1")
    assert workflow_id(**named, check=False, submits=True) == "renew:0312345678:2026"
    # neither a check run nor a read-only one stands in the way of the year's real run
    assert workflow_id(**named, check=True, submits=True) == "renew:0312345678:2026:check:j1"
    assert workflow_id(**named, check=False, submits=False) == "renew:0312345678:2026:j1"


def blob(name: str, data: bytes) -> FileBlob:
    return FileBlob(name, base64.b64encode(data).decode(), hashlib.sha256(data).hexdigest())


def test_a_remote_result_is_filed_in_the_office_journal_with_its_certificate(
    tmp_path: Path,
) -> None:
    settings = load_settings({"data_dir": tmp_path / "office"}, env_file=None)
    journal = Journal(settings.journal_path)
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    filing = OfficeFiling(
        bus, certificates_dir=settings.certificates_dir, artifacts_dir=settings.artifacts_dir
    )
    job = journal.add_job("renew", client="0312345678")
    pdf = b"%PDF-1.4 the e-IEC"
    output = JobOutput(
        outcome="changed",
        duration_s=12.5,
        worker="pc-2:4242",
        worker_job_id="j-on-pc-2",
        attempt=2,
        result={"ack_number": "IEC/UPD/2026/000123", "certificate_path": "/pc-2/e-IEC.pdf"},
        certificate=blob("e-IEC-2026-05-10.pdf", pdf),
        artifacts=["/pc-2/rpa-data/artifacts/j-on-pc-2/trace.zip"],
    )
    # as Temporal gives a failed job's output back: a plain dict
    filing.started(job, "renew", "0312345678", False)
    as_sent = output_from(asdict(output))
    assert as_sent == output
    filing.finished(job, "0312345678", as_sent)
    row = journal.job(job)
    assert row.status == "changed"
    assert row.result["ack_number"] == "IEC/UPD/2026/000123"
    filed = Path(row.result["certificate_path"])
    assert filed == settings.certificates_dir / "0312345678" / "e-IEC-2026-05-10.pdf"
    assert filed.read_bytes() == pdf
    assert row.result["worker"] == "pc-2:4242"  # where its trace stays
    assert row.result["worker_artifacts"] == ["/pc-2/rpa-data/artifacts/j-on-pc-2/trace.zip"]
    assert ("download", str(filed)) in journal.artifacts(job)


def test_a_certificate_that_arrives_damaged_is_not_filed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    bus = EventBus()
    bus.add(JournalListener(journal), critical=True)
    filing = OfficeFiling(
        bus, certificates_dir=tmp_path / "certificates", artifacts_dir=tmp_path / "artifacts"
    )
    job = journal.add_job("renew", client="0312345678")
    damaged = FileBlob("e-IEC.pdf", base64.b64encode(b"other bytes").decode(), "0" * 64)
    output = JobOutput(
        outcome="failed",
        duration_s=1.0,
        worker="pc-2:1",
        worker_job_id="j2",
        attempt=1,
        error="the portal refused",
        error_kind="business",
        error_code="PAN_MISMATCH",
        certificate=damaged,
        screenshot=blob("failure.png", b"\x89PNG"),
    )
    filing.finished(job, "0312345678", output)
    row = journal.job(job)
    assert (row.status, row.error_code) == ("failed", "PAN_MISMATCH")
    assert "certificate_path" not in row.result
    assert not (tmp_path / "certificates").exists()
    ((kind, path),) = journal.artifacts(job)
    assert kind == "screenshot" and Path(path).read_bytes() == b"\x89PNG"
