"""A secret typed into the portal never lands in a trace, a log, an event or an artifact,
and no secret alters what the agent records (acks, certificate paths, dates, amounts)."""

from __future__ import annotations

import asyncio
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from rpa.challenges.base import Providers
from rpa.challenges.testing import ScriptedChallenges
from rpa.engine import Engine, JobResult
from rpa.events import ArtifactSaved, Event, EventBus
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.logs import configure_logging
from rpa.playbook.loader import Loader
from tests.engine.harness import Harness

PASSWORD = "s3cret-Pa55"
OTP = "482913"

LOGIN = """
inputs:
  password: {type: secret}
steps:
  - goto: login.html
  - fill: {label: Username, value: consultant}
  - fill: {label: Password, value: "{{ inputs.password }}"}
  - click: Log in
  - wait_for: {text: Dashboard}
"""

JOURNEY = """
inputs:
  password: {type: secret}
steps:
  - use: login
  - log: "logged in"
  - goto: otp.html
  - otp: {into: {label: Enter OTP}}
  - click: Verify
  - wait_for: {text: OTP verified}
  - screenshot: verified
  - fail: {code: STOP, message: "stopping after the OTP"}
"""

SIGN_AND_READ = """
steps:
  - goto: sign-ack.html
  - fill: {label: Token PIN, value: "{{ secrets.dsc_pin }}"}
  - otp: {into: {label: Mobile OTP}}
  - click: {role: button, name: Sign}
  - read:
      ack: {css: "#ack"}
      certificate: {css: "#certificate"}
      filed: {css: "#filed"}
      fee: {css: "#fee"}
  - log: "filed {{ vars.ack }}"
outputs:
  ack: "{{ vars.ack }}"
  certificate: "{{ vars.certificate }}"
  filed: "{{ vars.filed }}"
  fee: "{{ vars.fee }}"
"""
RECORDED = {
    "ack": "IEC/UPD/2026/000003",
    "certificate": "certificates/0123456789/e-IEC-2026-12-02.pdf",
    "filed": "12/05/2026",
    "fee": "1234.00",
}


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "logs"
    configure_logging(level="DEBUG", logs_dir=folder)
    try:
        yield folder
    finally:
        logger.remove()
        logger.add(sys.stderr)


def every_file(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path.name}:{name}", archive.read(name)
        else:
            yield str(path), path.read_bytes()


def test_no_secret_lands_in_traces_logs_events_or_artifacts(
    harness: Harness, tmp_path: Path, log_dir: Path
) -> None:
    harness.write(tmp_path, "login.yaml", LOGIN)
    run = harness.run(
        tmp_path,
        JOURNEY,
        {"password": PASSWORD},
        providers=Providers(otp=ScriptedChallenges(otps=[OTP])),
        secrets={"portal_password": PASSWORD},
        trace="always",
    )
    assert run.result.failure is not None and run.result.failure.code == "STOP"

    traces = [Path(e.path) for e in run.of(ArtifactSaved) if e.kind == "trace"]
    assert len(traces) >= 2  # recording paused around the password and the OTP
    contents = dict(every_file(tmp_path / "data")) | dict(every_file(log_dir))
    assert any("trace.trace" in name for name in contents)
    assert any(b"Dashboard" in data for name, data in contents.items() if ".zip:" in name)
    for name, data in contents.items():
        assert PASSWORD.encode() not in data, f"the password is in {name}"
        assert OTP.encode() not in data, f"the OTP is in {name}"
    assert PASSWORD not in repr(run.events) and OTP not in repr(run.events)
    assert run.result.failure.message == "stopping after the OTP"


def test_on_failure_keeps_a_trace_only_for_a_failed_run(harness: Harness, tmp_path: Path) -> None:
    ok = harness.run(tmp_path, "steps:\n  - goto: form.html\n", trace="on-failure")
    assert not list(ok.result.artifacts_dir.glob("trace*.zip"))
    failed = harness.run(
        tmp_path, "steps:\n  - goto: form.html\n  - fail: stop\n", trace="on-failure"
    )
    assert list(failed.result.artifacts_dir.glob("trace*.zip"))


def test_on_retry_records_no_trace_for_a_job_that_never_retried(
    harness: Harness, tmp_path: Path
) -> None:
    failed = harness.run(
        tmp_path, "steps:\n  - goto: form.html\n  - fail: stop\n", trace="on-retry"
    )
    assert failed.result.failure is not None
    assert not list(failed.result.artifacts_dir.glob("trace*.zip"))


def test_on_retry_records_from_the_page_after_a_retry_and_no_secret_before_it(
    harness: Harness, tmp_path: Path
) -> None:
    harness.write(tmp_path, "login.yaml", LOGIN)
    run = harness.run(
        tmp_path,
        """
        inputs:
          password: {type: secret}
        steps:
          - use: login
          - goto: flaky?key=t1&fails=1
          - assert: {text: Flaky page OK}
          - fail: {code: STOP, message: stop}
        """,
        {"password": PASSWORD},
        trace="on-retry",
    )
    assert run.result.failure is not None and run.result.failure.code == "STOP"
    traces = [Path(e.path) for e in run.of(ArtifactSaved) if e.kind == "trace"]
    assert len(traces) == 1
    contents = dict(every_file(traces[0].parent))
    assert any(b"Flaky page OK" in data for name, data in contents.items() if ".zip:" in name)
    assert not any(b"Dashboard" in data for name, data in contents.items() if ".zip:" in name)
    for name, data in contents.items():
        assert PASSWORD.encode() not in data, f"the password is in {name}"


def test_pins_and_otps_that_are_parts_of_an_ack_leave_every_recorded_value_as_the_page_shows(
    harness: Harness, tmp_path: Path
) -> None:
    # three clients signing at once, as in a batch: PINs 2026, 0000 and 1234, OTPs that are
    # parts of the ack (000003) and of the certificate path (012345, 123456)
    clients = {
        "0100000001": ("2026", "000003"),
        "0100000002": ("0000", "012345"),
        "0100000003": ("1234", "123456"),
    }
    playbook = Loader([tmp_path]).load(harness.write(tmp_path, "sign.yaml", SIGN_AND_READ))
    journal = Journal(tmp_path / "journal.sqlite3")
    events: list[Event] = []
    bus = EventBus([events.append])
    bus.add(JournalListener(journal), critical=True)
    settings = harness.settings(tmp_path)
    ids = {iec: journal.add_job("sign", client=iec) for iec in clients}

    async def all_at_once() -> list[JobResult]:
        return await asyncio.gather(
            *(
                Engine(settings, bus, Providers(otp=ScriptedChallenges(otps=[otp]))).run_job(
                    ids[iec],
                    playbook,
                    {},
                    {"iec": iec},
                    browser_session=harness.browser,
                    secrets={"dsc_pin": pin},
                )
                for iec, (pin, otp) in clients.items()
            )
        )

    results = harness.loop.run(all_at_once())
    for result in results:
        assert result.outcome == "ok", result.failure
        assert result.outputs == RECORDED
        assert journal.job(result.job_id).result == RECORDED
        assert result.artifacts_dir is not None
        log = (result.artifacts_dir / "steps.log").read_text(encoding="utf-8")
        finished = next(line for line in log.splitlines() if "RunFinished" in line)
        assert json.dumps(RECORDED["ack"]) in finished
        assert json.dumps(RECORDED["certificate"]) in finished
    journal.close()
