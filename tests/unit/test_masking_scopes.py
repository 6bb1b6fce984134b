"""Masking corrupts nothing: a secret is scrubbed only from free text of the job that owns
it, never from a record, never process-wide."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from rpa.clients.secrets import SecretRef
from rpa.journal import Journal
from rpa.logs import configure_logging
from rpa.masking import MASK, job_scope, mask, register_secret, verbatim
from rpa.outcomes import Outcome
from rpa.steps.base import is_secret

ACK = "IEC/UPD/2026/000003"
CERTIFICATE = "certificates/0123456789/e-IEC-2026-12-02.pdf"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = configure_logging(level="DEBUG", logs_dir=tmp_path / "logs")
    assert path is not None
    try:
        yield path
    finally:
        logger.remove()
        logger.add(sys.stderr)


def test_a_pin_registered_by_one_job_masks_nothing_in_another_jobs_text(run_async: Any) -> None:
    async def client(pin: str | None, ready: asyncio.Event, done: asyncio.Event) -> str:
        with job_scope(f"job-{pin}"):
            if pin is not None:
                register_secret(pin)
                ready.set()
            else:
                await ready.wait()  # the other job's PIN is registered by now
            text = mask(f"filed {ACK} as {CERTIFICATE}")
            done.set()
            return text

    async def batch() -> tuple[str, str]:
        ready, done = asyncio.Event(), asyncio.Event()
        owner, other = await asyncio.gather(client("2026", ready, done), client(None, ready, done))
        return owner, other

    owner, other = run_async(batch())  # (never asyncio.run here: tests/README.md)
    assert other == f"filed {ACK} as {CERTIFICATE}"
    assert owner == f"filed IEC/UPD/{MASK}/000003 as certificates/0123456789/e-IEC-{MASK}-12-02.pdf"


def test_a_jobs_secrets_end_with_the_job() -> None:
    with job_scope("j1"):
        register_secret("0000")
        assert mask("account 50100000000003") != "account 50100000000003"
    assert mask("account 50100000000003") == "account 50100000000003"


def test_a_secret_of_the_process_does_not_reach_into_a_job() -> None:
    register_secret("1234")  # e.g. an SMTP password, outside any job
    assert mask("fee 1234.00") == f"fee {MASK}.00"
    with job_scope("j1"):
        assert mask("fee 1234.00") == "fee 1234.00"


def test_text_written_verbatim_is_a_record_and_is_not_masked() -> None:
    with job_scope("j1"):
        register_secret("2026")
        with verbatim():
            assert mask(ACK) == ACK
        assert mask(ACK) == f"IEC/UPD/{MASK}/000003"


def test_a_value_is_a_secret_only_when_it_is_the_whole_secret() -> None:
    register_secret("2026")
    assert is_secret("2026")
    assert not is_secret("12/05/2026")
    assert not is_secret(ACK)


def test_loading_a_client_file_with_a_literal_pin_masks_no_text() -> None:
    ref = SecretRef.parse("2026")  # a literal, as a client file may hold one
    assert mask(f"filed {ACK}") == f"filed {ACK}"
    with job_scope("j1"):
        assert ref.resolve() == "2026"
        assert mask(ACK) == f"IEC/UPD/{MASK}/000003"  # in the job that reads it


def test_the_journal_records_a_result_exactly_whatever_secrets_are_registered(
    tmp_path: Path,
) -> None:
    for pin in ("2026", "0000", "1234"):
        register_secret(pin)
    result = {"ack": ACK, "certificate": CERTIFICATE, "filed": "12/05/2026", "fee": "1234.00"}
    journal = Journal(tmp_path / "journal.sqlite3")
    job_id = journal.add_job("renew", client="0123456789")
    journal.job_finished(job_id, Outcome.CHANGED, result=result)
    assert journal.job(job_id).result == result
    journal.close()


def test_a_jobs_log_records_are_masked_of_its_own_secrets_only(log_file: Path) -> None:
    with job_scope("owner"):
        register_secret("Zq-pin-2026")
        logger.info("typed Zq-pin-2026, got {}", ACK)
    with job_scope("other"):
        logger.info("typed Zq-pin-2026, got {}", ACK)
    logger.info("outside: Zq-pin-2026")
    messages = [json.loads(line)["record"]["message"] for line in log_file.read_text().splitlines()]
    assert messages == [
        f"typed {MASK}, got {ACK}",
        f"typed Zq-pin-2026, got {ACK}",
        "outside: Zq-pin-2026",
    ]


def test_a_logged_traceback_shows_no_variables_values(log_file: Path) -> None:
    def sign(pin: str) -> None:
        raise RuntimeError("the token refused the PIN")

    pin = "Zq-local-" + str(4800 + 17)  # not in this file's source, which tracebacks quote
    try:
        sign(pin)
    except RuntimeError:
        logger.exception("signing failed")
    text = log_file.read_text()
    assert "the token refused the PIN" in text
    assert "Zq-local-4817" not in text
