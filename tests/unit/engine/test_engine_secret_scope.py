"""A client's secret never alters what the engine records, its own job's or another's.

Clients' PINs ``2026``, ``0000`` and ``1234`` sit inside the data every job records (the
ack ``IEC/UPD/2026/000003``, the certificate ``e-IEC-2026-12-02.pdf``, the date
``12/05/2026``, the fee ``1234.00``): the outputs, the events, the journal and the step log
keep them exactly. Only free text that quotes a secret (an error) is masked, and only in
the job that owns the secret.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from rpa.challenges.base import Providers
from rpa.challenges.testing import ScriptedSigner
from rpa.config import load_settings
from rpa.engine import Engine, JobResult
from rpa.errors import PortalChangedError
from rpa.events import Event, EventBus, RunFinished
from rpa.journal import Journal
from rpa.journal.listener import JournalListener
from rpa.masking import MASK
from rpa.playbook.loader import Loader
from tests.unit.engine.fakes import FakeBrowser

ACK = "IEC/UPD/2026/000003"
CERTIFICATE = "certificates/0123456789/e-IEC-2026-12-02.pdf"
RECORDED = {
    "ack": ACK,
    "certificate": CERTIFICATE,
    "filed": "12/05/2026",
    "fee": "1234.00",
    "account": "50100000000003",
}
PINS = ["2026", "0000", "1234"]

SIGN_AND_READ = """
steps:
  - name: Sign
    sign: {method: dsc, params: {token: T1, pin: "{{ secrets.dsc_pin }}"}}
  - set:
      ack: "IEC/UPD/2026/000003"
      certificate: "certificates/0123456789/e-IEC-2026-12-02.pdf"
      filed: "12/05/2026"
      fee: "1234.00"
      account: "50100000000003"
  - log: "filed {{ vars.ack }}"
outputs:
  ack: "{{ vars.ack }}"
  certificate: "{{ vars.certificate }}"
  filed: "{{ vars.filed }}"
  fee: "{{ vars.fee }}"
  account: "{{ vars.account }}"
"""


class Office:
    """One engine, bus and journal for several clients' jobs at once, as a batch has."""

    def __init__(self, folder: Path, run_async: Callable[[Any], Any]) -> None:
        self.folder = folder
        self.run_async = run_async
        self.journal = Journal(folder / "journal.sqlite3")
        self.events: list[Event] = []
        bus = EventBus([self.events.append])
        bus.add(JournalListener(self.journal), critical=True)
        settings = load_settings(
            {"data_dir": str(folder / "data"), "trace": "never"}, env_file=None
        )
        providers = Providers(signers={"dsc": ScriptedSigner()})
        self.engine = Engine(settings, bus, providers)

    def run(self, text: str, clients: Mapping[str, Mapping[str, str]]) -> dict[str, JobResult]:
        """Run ``text`` for each client (IEC → its secrets), all at once."""
        path = self.folder / "main.yaml"
        path.write_text(text, encoding="utf-8")
        playbook = Loader([self.folder]).load(path)
        ids = {iec: self.journal.add_job("main", client=iec) for iec in clients}

        async def all_at_once() -> list[JobResult]:
            browser = FakeBrowser()
            return await asyncio.gather(
                *(
                    self.engine.run_job(
                        ids[iec], playbook, {}, {"iec": iec}, browser_session=browser, secrets=s
                    )
                    for iec, s in clients.items()
                )
            )

        results = self.run_async(all_at_once())
        return {iec: result for iec, result in zip(clients, results, strict=True)}


@pytest.fixture
def office(tmp_path: Path, run_async: Callable[[Any], Any]) -> Office:
    return Office(tmp_path, run_async)


@pytest.mark.parametrize("pin", PINS)
def test_a_clients_pin_inside_its_ack_and_certificate_path_leaves_both_as_recorded(
    office: Office, pin: str
) -> None:
    result = office.run(SIGN_AND_READ, {"0123456789": {"dsc_pin": pin}})["0123456789"]
    assert result.outcome == "ok", result.failure
    assert result.outputs == RECORDED
    finished = [e for e in office.events if isinstance(e, RunFinished)]
    assert finished[0].result == RECORDED
    assert office.journal.job(result.job_id).result == RECORDED
    assert result.artifacts_dir is not None
    log = (result.artifacts_dir / "steps.log").read_text(encoding="utf-8")
    run_finished = next(line for line in log.splitlines() if "RunFinished" in line)
    assert json.dumps(ACK) in run_finished and json.dumps(CERTIFICATE) in run_finished


def test_clients_with_pins_2026_0000_and_1234_in_one_batch_each_record_the_portals_values(
    office: Office,
) -> None:
    clients = {f"010000000{n}": {"dsc_pin": pin} for n, pin in enumerate(PINS)}
    clients["0100000009"] = {"dsc_pin": "Zq-distinct-9"}
    results = office.run(SIGN_AND_READ, clients)
    for iec, result in results.items():
        assert result.outputs == RECORDED, iec
        assert office.journal.job(result.job_id).result == RECORDED, iec
    stored = office.journal.jobs()
    assert len(stored) == 4 and all(job.result == RECORDED for job in stored)


def test_an_error_quoting_a_secret_is_masked_in_its_own_job_and_no_other(
    office: Office, scripted_log: dict[str, list[Any]]
) -> None:
    # the same failure text in two jobs: only the job whose PIN it quotes masks it
    quoted = f"the token refused fill(2026) for {ACK}"
    scripted_log["type the PIN"] = [PortalChangedError(quoted), PortalChangedError(quoted)]
    text = SIGN_AND_READ.replace('  - log: "filed {{ vars.ack }}"', "  - log: type the PIN")
    results = office.run(
        text, {"0100000001": {"dsc_pin": "2026"}, "0100000002": {"dsc_pin": "Zq-other-77"}}
    )
    owner, other = results["0100000001"], results["0100000002"]
    assert owner.failure is not None and other.failure is not None
    assert owner.failure.message == f"the token refused fill({MASK}) for IEC/UPD/{MASK}/000003"
    assert other.failure.message == quoted
    assert office.journal.job(other.job_id).error == quoted
    assert office.journal.job(owner.job_id).error == owner.failure.message
