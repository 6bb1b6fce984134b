"""Starting a batch from the console: an uploaded client file's verdict row by row, the
batch run through the CLI's path (its bad row not run), and a viewer refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from consolekit import ConsoleServer
from playwright.sync_api import Page, expect
from runkit import DSC_SIGNER, example_rows, portal_and_console, seed, wait_for, write_clients

from rpa.journal import JobRow
from rpa.journal.people import People
from rpa.outcomes import Outcome
from rpa.report import build_report

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """This module's console runs its batches against a mock portal."""
    with portal_and_console(tmp_path_factory.mktemp("start")) as (_, api, server):
        server.portal_api = api  # type: ignore[attr-defined]
        yield server


def _bad_and_good_file(folder: Path) -> Path:
    header, [good, bad] = example_rows(DSC_SIGNER, "AAAHS8123L")
    bad["mobile"] = "12345"
    return write_clients(folder / "office clients.csv", header, [good, bad])


def test_an_uploaded_file_shows_its_bad_row_and_the_batch_runs_the_others(
    page: Page, console: ConsoleServer, signed_in: Callable[[Page, str], Page], tmp_path: Path
) -> None:
    seed(console.portal_api, {DSC_SIGNER: "due", "AAAHS8123L": "due"})  # type: ignore[attr-defined]
    signed_in(page, "operator")
    page.goto(console.url + "/batches/new")
    page.get_by_label("Client file").set_input_files(str(_bad_and_good_file(tmp_path)))
    page.get_by_role("button", name="Check the file").click()

    rows = page.get_by_role("table", name="Rows of the client file")
    expect(rows.get_by_role("row", name=DSC_SIGNER)).to_contain_text("Good")
    bad = rows.get_by_role("row", name="AAAHS8123L")
    expect(bad).to_contain_text("Not run")
    expect(bad).to_contain_text("mobile must be 10 digits")
    expect(page.get_by_text("1 good row, 1 bad row")).to_be_visible()

    page.get_by_label("Playbook").select_option("renew")
    page.get_by_label("Concurrency (jobs at once)").fill("2")
    page.get_by_label("Check mode (stop before submitting)").check()
    page.get_by_role("button", name="Start the batch").click()
    page.wait_for_url("**/batches/b*")
    batch_id = page.url.rsplit("/", 1)[-1]

    def finished() -> list[JobRow] | None:
        jobs = console.journal.jobs(batch_id=batch_id)
        return jobs if jobs and all(j.finished for j in jobs) else None

    [job] = wait_for(finished)
    assert (job.client, job.status, job.check_mode) == (DSC_SIGNER, "would-change", True)
    report = build_report(console.journal, batch_id)
    outcomes = {line.client: line.outcome_text for line in report.lines}
    assert outcomes[DSC_SIGNER] == "Would renew (check mode)"
    assert outcomes["AAAHS8123L"].startswith("Not run: mobile must be 10 digits")
    [started] = People(console.journal).audit(action="batch.start", target=batch_id)
    assert started.who == "omar"
    assert started.detail["playbook"] == "renew" and started.detail["check"] is True
    assert started.detail["file"] == "office clients.csv"


def test_an_upload_that_is_not_a_client_file_is_refused(
    console: ConsoleServer, tmp_path: Path
) -> None:
    client, csrf = console.http("operator")
    with client:
        sent = client.post(
            "/batches/new",
            data={"csrf_token": csrf},
            files={"clients": ("run.sh", b"#!/bin/sh\necho hi\n", "text/x-sh")},
        )
        assert sent.status_code == 400
        unreadable = client.post(
            "/batches/new",
            data={"csrf_token": csrf},
            files={"clients": ("clients.csv", b"\x00\x01not,a\ncsv", "text/csv")},
            follow_redirects=True,
        )
        assert unreadable.status_code == 400
        assert "cannot be read" in unreadable.text
        huge = client.post(
            "/batches/new",
            data={"csrf_token": csrf},
            files={"clients": ("clients.csv", b"iec\n" + b"0" * (6 << 20), "text/csv")},
        )
        assert huge.status_code == 413


def test_a_viewer_can_neither_start_a_batch_nor_replay_a_job(console: ConsoleServer) -> None:
    uploads = console.settings.data_dir / "console" / "uploads"
    before = set(uploads.glob("*"))
    client, csrf = console.http("viewer")
    with client:
        assert client.get("/batches/new").status_code == 403
        upload = {"clients": ("c.csv", b"iec\n", "text/csv")}
        sent = client.post("/batches/new", data={"csrf_token": csrf}, files=upload)
        assert sent.status_code == 403
        job = console.journal.add_job("renew", client=DSC_SIGNER)
        console.journal.job_finished(job, Outcome.FAILED, error="x", error_code="DSC_WRONG_PIN")
        assert client.get(f"/jobs/{job}/replay").status_code == 403
        replay = client.post(f"/jobs/{job}/replay", data={"csrf_token": csrf, "mode": "check"})
        assert replay.status_code == 403
    assert set(uploads.glob("*")) == before


def test_starting_a_batch_needs_the_forms_csrf_token(console: ConsoleServer) -> None:
    client, _ = console.http("operator")
    with client:
        upload = {"clients": ("c.csv", b"iec\n", "text/csv")}
        assert client.post("/batches/new", data={}, files=upload).status_code == 403
