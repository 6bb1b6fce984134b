"""The batch list and a batch's page, live: firm names, plain outcomes, IST, rows not run,
workers, and a row that changes while the page is open, in Chromium against a real server
over a journal seeded through rpa.journal's API."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from consolekit import FIRMS, SCANNERS, ConsoleServer, Seeded, seed_batch
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SignIn = Callable[[Page, str], Page]


def test_the_batch_page_shows_firm_names_plain_outcomes_and_rows_not_run(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    batch, jobs = seed_batch(
        console.journal,
        [
            Seeded("AABCB4821K", "changed", result={"ack_number": "UPD2026000123"}),
            Seeded("0395012847", "ok"),
            Seeded("AAJFG2290M", "failed", code="DSC_EXPIRED"),
            Seeded("0507004412", "running", step="update/declaration"),
        ],
        not_run=[{"row": 9, "client": "AKVPR5521E", "reason": "the PAN is not valid"}],
    )
    signed_in(page, "viewer")
    page.goto(f"{console.url}/batches/{batch}")
    expect(page.get_by_role("heading", name=f"Batch {batch}")).to_be_visible()
    rows = page.get_by_role("region", name="Clients").get_by_role("row")
    expect(rows.filter(has_text="AABCB4821K")).to_contain_text(FIRMS["AABCB4821K"])
    expect(rows.filter(has_text="AABCB4821K")).to_contain_text("Renewed")
    expect(rows.filter(has_text="AABCB4821K")).to_contain_text("UPD2026000123")
    expect(rows.filter(has_text="0395012847")).to_contain_text("Already renewed this year")
    expect(rows.filter(has_text="AAJFG2290M")).to_contain_text("Failed: the DSC has expired")
    expect(rows.filter(has_text="0507004412")).to_contain_text("Mehta & Sons")
    expect(rows.filter(has_text="0507004412")).to_contain_text("Running at update/declaration")
    expect(rows.filter(has_text="AABCB4821K")).to_contain_text(re.compile(r"\d\d:\d\d IST"))
    not_run = page.get_by_role("region", name="Rows not run")
    expect(not_run).to_contain_text("AKVPR5521E")
    expect(not_run).to_contain_text("Rathore Marble Exports")
    expect(not_run).to_contain_text("Not run: the PAN is not valid")
    expect(page.get_by_role("status")).to_contain_text("4 of 5 clients done")
    page.get_by_role("link", name=jobs[2]).click()
    expect(page.get_by_role("heading", name=f"Job {jobs[2]}")).to_be_visible()


def test_a_running_job_shows_the_challenge_it_waits_for(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    batch, jobs = seed_batch(console.journal, [Seeded("AABCB4821K", "running", step="login")])
    console.journal.add_challenge(jobs[0], "otp", "OTP sent to ******3210")
    signed_in(page, "viewer")
    page.goto(f"{console.url}/batches/{batch}")
    row = page.get_by_role("row").filter(has_text="AABCB4821K")
    expect(row).to_contain_text("Waiting for OTP")


def test_the_live_view_changes_a_row_when_its_job_finishes_without_a_reload(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    batch, jobs = seed_batch(
        console.journal,
        [Seeded("AABCB4821K", "running", step="login"), Seeded("0395012847", "pending")],
    )
    signed_in(page, "viewer")
    page.goto(f"{console.url}/batches/{batch}")
    row = page.get_by_role("row").filter(has_text="AABCB4821K")
    expect(row).to_contain_text("Running at login")
    page.evaluate("window.notReloaded = true")
    console.journal.job_finished(jobs[0], "changed", duration_s=61.0)
    expect(row).to_contain_text("Renewed")
    expect(page.get_by_role("status")).to_contain_text("1 of 2 clients done")
    console.journal.job_started(jobs[1])
    console.journal.job_finished(jobs[1], "failed", error_code="DSC_PAN_MISMATCH")
    console.journal.set_batch_status(batch, "finished")
    expect(page.get_by_role("row").filter(has_text="0395012847")).to_contain_text("Failed")
    expect(page.get_by_role("status")).to_contain_text("the batch has finished")
    assert page.evaluate("window.notReloaded") is True


def test_the_live_stream_is_an_event_stream_that_ends_with_its_batch(
    console: ConsoleServer,
) -> None:
    batch, _ = seed_batch(console.journal, [Seeded("AABCB4821K", "ok")], status="finished")
    client, _ = console.http("viewer")
    with client, client.stream("GET", f"/batches/{batch}/events") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        text = "".join(answer.iter_text())  # ends: the batch has finished
    assert "event: update" in text and "event: done" in text
    assert "Already renewed this year" in text


def test_the_live_stream_needs_a_signed_in_person(console: ConsoleServer) -> None:
    batch, _ = seed_batch(console.journal, [Seeded("AABCB4821K", "ok")], status="finished")
    answer = httpx.get(f"{console.url}/batches/{batch}/events")
    assert answer.status_code == 303
    assert "text/event-stream" not in answer.headers.get("content-type", "")


def test_the_batch_list_is_newest_first_and_paginated(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    made = [seed_batch(console.journal, [Seeded("AABCB4821K", "ok")])[0] for _ in range(26)]
    signed_in(page, "viewer")
    page.goto(f"{console.url}/batches")
    links = page.get_by_role("table").get_by_role("link")
    expect(links.first).to_have_text(made[-1])
    expect(links).to_have_count(25)
    page.get_by_role("link", name="Older").click()
    expect(page.get_by_text(re.compile(r"Page 2 of \d+"))).to_be_visible()
    expect(page.get_by_role("link", name=made[0])).to_be_visible()


def test_a_batch_that_does_not_exist_is_a_404(console: ConsoleServer) -> None:
    client, _ = console.http("viewer")
    with client:
        assert client.get("/batches/b20260101-nothere").status_code == 404


def test_no_page_the_consoles_served_showed_a_planted_secret(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    signed_in(page, "admin")
    page.goto(f"{console.url}/batches")
    served = sum(scanner.pages for scanner in SCANNERS)
    assert served > 2
    assert [leak for scanner in SCANNERS for leak in scanner.found] == []
