"""Replaying a failed job from the console: a real run fails on a wrong DSC PIN reference;
an operator fixes the reference in the replay form (a PIN typed in clear is refused and
never shown), runs the replay in check mode, then for real: the job ends changed with one
application at the portal, and the replay is audited without a secret."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from consolekit import ConsoleServer
from playwright.sync_api import Page, expect
from runkit import (
    DSC_SIGNER,
    applications,
    example_rows,
    portal_and_console,
    seed,
    wait_for,
    write_clients,
)

from demo.seeding import DEMO_SECRETS
from rpa.console import runs
from rpa.journal import JobRow
from rpa.journal.people import People

pytestmark = pytest.mark.browser
WRONG_PIN = "999999"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """This module's console runs its jobs against a mock portal."""
    with portal_and_console(tmp_path_factory.mktemp("replay")) as (_, api, server):
        server.portal_api = api  # type: ignore[attr-defined]
        os.environ["WRONG_DSC_PIN"] = WRONG_PIN
        server.secrets.add(WRONG_PIN)
        try:
            yield server
        finally:
            os.environ.pop("WRONG_DSC_PIN", None)


def _finished(console: ConsoleServer, pick: Callable[[list[JobRow]], list[JobRow]]) -> JobRow:
    def done() -> JobRow | None:
        found = pick(console.journal.jobs(client=DSC_SIGNER))
        return found[-1] if found and found[-1].finished else None

    return wait_for(done)


def test_a_failed_job_is_replayed_after_its_pin_reference_is_fixed(
    page: Page, console: ConsoleServer, signed_in: Callable[[Page, str], Page], tmp_path: Path
) -> None:
    api = console.portal_api  # type: ignore[attr-defined]
    seed(api, {DSC_SIGNER: "due"})
    header, [row] = example_rows(DSC_SIGNER)
    row["dsc_pin"] = "env:WRONG_DSC_PIN"
    clients = write_clients(tmp_path / "clients.csv", header, [row])
    batch_id, _ = runs.start_batch(
        console.settings, console.journal, clients, "renew", concurrency=1, check=False
    )
    failed = _finished(console, lambda jobs: [j for j in jobs if j.batch_id == batch_id])
    assert (failed.status, failed.error_code) == ("failed", "DSC_WRONG_PIN")
    assert applications(api, DSC_SIGNER) == []

    signed_in(page, "operator")
    page.goto(f"{console.url}/jobs/{failed.id}/replay")
    expect(page.get_by_role("heading", name="Replay", level=1)).to_be_visible()
    expect(page.get_by_text("Failed: wrong DSC PIN")).to_be_visible()
    pin = page.get_by_label("DSC PIN reference")
    expect(pin).to_have_value("env:WRONG_DSC_PIN")
    expect(page.get_by_role("button", name="Run for real")).to_have_count(0)

    pin.fill(DEMO_SECRETS["DEMO_DSC_PIN"])  # the PIN itself: refused, and never shown back
    page.get_by_role("button", name="Run in check mode").click()
    expect(page.get_by_role("alert")).to_contain_text("give a reference")
    assert console.journal.jobs(client=DSC_SIGNER)[-1].id == failed.id

    page.get_by_label("DSC PIN reference").fill("env:DEMO_DSC_PIN")
    page.get_by_label("Start from step").select_option(label="Annual update")
    page.get_by_role("button", name="Run in check mode").click()
    check = _finished(console, lambda jobs: [j for j in jobs if j.replay_of == failed.id])
    assert (check.status, check.check_mode) == ("would-change", True)
    assert applications(api, DSC_SIGNER) == []

    page.reload()
    replays = page.get_by_role("table", name="Replays of this job")
    expect(replays).to_contain_text("Would renew (check mode)")
    expect(page.get_by_label("DSC PIN reference")).to_have_value("env:DEMO_DSC_PIN")
    step = page.get_by_label("Start from step")
    expect(step).to_have_value("1")  # as the check-mode run had it
    step.select_option(label="The beginning")  # not what the check-mode run did: refused
    page.get_by_role("button", name="Run for real").click()
    expect(page.get_by_role("alert")).to_contain_text("run in check mode again first")
    page.get_by_label("Start from step").select_option(label="Annual update")
    page.get_by_role("button", name="Run for real").click()
    real = _finished(
        console, lambda jobs: [j for j in jobs if j.replay_of == failed.id and not j.check_mode]
    )
    assert real.status == "changed", real.error
    assert len(applications(api, DSC_SIGNER)) == 1
    page.reload()
    expect(page.get_by_role("table", name="Replays of this job")).to_contain_text("Renewed")

    audited = People(console.journal).audit(action="job.replay", target=failed.id)
    assert [(a.who, a.detail["check"], a.detail["changed"]) for a in reversed(audited)] == [
        ("omar", True, ["dsc_pin"]),
        ("omar", False, ["dsc_pin"]),
    ]
    assert audited[0].detail["replay"] == real.id
    for a in audited:
        assert WRONG_PIN not in str(a.detail) and DEMO_SECRETS["DEMO_DSC_PIN"] not in str(a.detail)
    replay_files = list((console.settings.data_dir / "console" / "replays").glob("*.yaml"))
    assert replay_files and all(
        DEMO_SECRETS["DEMO_DSC_PIN"] not in f.read_text() for f in replay_files
    )


def test_a_secret_written_in_clear_is_never_shown_and_a_real_replay_needs_a_check_first(
    console: ConsoleServer, tmp_path: Path
) -> None:
    from consolekit import PLANTED_PIN

    from rpa.outcomes import Outcome

    header, [row] = example_rows(DSC_SIGNER)
    row["dsc_pin"] = PLANTED_PIN  # a literal: the scanner fails the test if a page shows it
    clients = write_clients(tmp_path / "clear.csv", header, [row])
    batch = console.journal.create_batch("renew", source=str(clients))
    job = console.journal.add_job("renew", client=DSC_SIGNER, batch_id=batch, row=2)
    console.journal.job_finished(job, Outcome.FAILED, error="x", error_code="DSC_WRONG_PIN")
    client, csrf = console.http("operator")
    with client:
        page = client.get(f"/jobs/{job}/replay")
        assert page.status_code == 200
        assert "written in clear in the client file" in page.text
        real = client.post(f"/jobs/{job}/replay", data={"csrf_token": csrf, "mode": "real"})
        assert real.status_code == 400 and "check mode first" in real.text
        password = "env:DEMO_PORTAL_PASSWORD"
        fields = {"csrf_token": csrf, "mode": "check", "portal_password": password}
        check = client.post(f"/jobs/{job}/replay", data=fields)
        assert check.status_code == 400
        assert "the client file has it in clear; give a reference" in check.text
    assert [j.id for j in console.journal.jobs(client=DSC_SIGNER) if j.replay_of == job] == []
