"""A job's page in Chromium: the timeline as a tree of blocks and steps, the failure
screenshot, the HTML snapshot and trace as downloads, the result with the certificate and
its SHA-256; files served only from the job's own list, inside the data folder; operators'
notes (a viewer gets 403)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from consolekit import PLANTED_PIN, SCANNERS, ConsoleServer, Seeded, seed_batch
from playwright.sync_api import Page, expect

from rpa.journal.people import People
from rpa.masking import register_secret

pytestmark = pytest.mark.browser

SignIn = Callable[[Page, str], Page]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


def _failed_job(console: ConsoleServer) -> str:
    """A renew job that failed in its update block, with the files a failure leaves."""
    j = console.journal
    _, (job,) = seed_batch(j, [Seeded("AABCB4821K", "running")])
    steps = [
        ("step-started", "login", "use", None),
        ("step-started", "login/open the portal", "goto", None),
        ("step-finished", "login/open the portal", "goto", "ok"),
        ("step-started", "login/sign in with the DSC", "sign", None),
        ("step-finished", "login/sign in with the DSC", "sign", "ok"),
        ("step-finished", "login", "use", "ok"),
        ("step-started", "update", "block", None),
        ("step-started", "update/save the bank section", "click", None),
        ("step-retried", "update/save the bank section", None, "transient"),
        ("step-finished", "update/save the bank section", "click", "failed"),
        ("step-finished", "update", "block", "failed"),
    ]
    for event, step, kind, status in steps:
        j.add_timeline(job, event, step=step, kind=kind, status=status, duration_s=1.5)
    files = console.settings.artifacts_dir / job
    files.mkdir(parents=True)
    (files / "failure.png").write_bytes(PNG)
    (files / "page.html").write_text("<html><script>alert(1)</script>portal page</html>")
    (files / "trace.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    for kind, name in (
        ("screenshot", "failure.png"),
        ("html", "page.html"),
        ("trace", "trace.zip"),
    ):
        j.add_artifact(job, kind, str(files / name))
    j.job_finished(
        job,
        "failed",
        error="the portal refused the bank section",
        error_code="PORTAL_REFUSED",
        error_kind="business",
        error_step="update/save the bank section",
    )
    return job


def _renewed_job(console: ConsoleServer) -> tuple[str, bytes]:
    certificate = console.settings.certificates_dir / "AABCB4821K-2026.pdf"
    certificate.parent.mkdir(parents=True, exist_ok=True)
    content = b"%PDF-1.4 a certificate\n%%EOF\n"
    certificate.write_bytes(content)
    result = {
        "ack_number": "UPD2026000777",
        "application_status": "Approved",
        "bank_status": "Verified",
        "certificate_path": str(certificate),
        "certificate_sha256": hashlib.sha256(content).hexdigest(),
    }
    _, (job,) = seed_batch(console.journal, [Seeded("AABCB4821K", "changed", result=result)])
    return job, content


def test_the_timeline_is_a_tree_of_blocks_with_the_failed_one_open(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    job = _failed_job(console)
    signed_in(page, "viewer")
    page.goto(f"{console.url}/jobs/{job}")
    expect(page.get_by_text("Failed: the portal refused")).to_be_visible()
    expect(page.get_by_text("Bharat Spices Exports Pvt Ltd")).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    login = timeline.get_by_role("group").filter(has_text="login").first
    update = timeline.get_by_role("group").filter(has_text="update").first
    inner_login_step = login.get_by_text("sign in with the DSC")
    expect(update.get_by_text("save the bank section")).to_be_visible()  # failed: open
    expect(update.get_by_text("transient")).to_be_visible()  # the retry, under its step
    expect(inner_login_step).to_be_hidden()  # an ok block is folded
    login.locator("summary").first.click()
    expect(inner_login_step).to_be_visible()
    expect(page.get_by_role("img", name="The portal's page when the job failed")).to_be_visible()
    expect(page.get_by_text("playwright show-trace trace.zip")).to_be_visible()
    page.get_by_text("Step log (11 lines)").click()
    expect(page.get_by_role("cell", name="step-retried")).to_be_visible()


def test_the_html_snapshot_and_trace_are_downloads_never_pages_of_the_console(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    job = _failed_job(console)
    signed_in(page, "viewer")
    page.goto(f"{console.url}/jobs/{job}")
    with page.expect_download() as snapshot:
        page.get_by_role("link", name="Download the HTML snapshot").click()
    assert "portal page" in Path(snapshot.value.path()).read_text()
    answer = page.request.get(f"{console.url}/jobs/{job}/artifacts/1")
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in answer.headers["content-security-policy"]
    with page.expect_download() as trace:
        page.get_by_role("link", name="Download the trace").click()
    assert trace.value.suggested_filename == "trace.zip"


def test_the_result_shows_its_fields_and_the_certificate_downloads(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    job, content = _renewed_job(console)
    signed_in(page, "viewer")
    page.goto(f"{console.url}/jobs/{job}")
    result = page.get_by_role("region", name="Result")
    expect(result).to_contain_text("UPD2026000777")
    expect(result).to_contain_text("Approved")
    expect(result).to_contain_text("Verified")
    expect(result).to_contain_text(hashlib.sha256(content).hexdigest())
    with page.expect_download() as download:
        result.get_by_role("link", name="Download the certificate").click()
    assert Path(download.value.path()).read_bytes() == content
    assert download.value.suggested_filename == "AABCB4821K-2026.pdf"


def test_an_artifact_route_serves_only_the_jobs_own_files_inside_the_data_folder(
    console: ConsoleServer,
) -> None:
    job = _failed_job(console)
    other = _failed_job(console)
    outside = console.settings.data_dir.parent / "not-an-artifact.txt"
    outside.write_text("private")
    console.journal.add_artifact(other, "html", str(outside))  # a row pointing outside
    client, _ = console.http("viewer")
    with client:
        assert client.get(f"/jobs/{job}/artifacts/0").content == PNG
        assert client.get(f"/jobs/{job}/artifacts/3").status_code == 404
        assert client.get(f"/jobs/{job}/artifacts/-1").status_code == 404
        assert client.get(f"/jobs/{other}/artifacts/3").status_code == 404
        for path in ("../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", str(outside)):
            answer = client.get(f"/jobs/{job}/artifacts/{path}")
            assert answer.status_code == 404
            assert b"private" not in answer.content and b"root:" not in answer.content
        assert client.get("/jobs/j20260101-nothere/artifacts/0").status_code == 404
        assert client.get(f"/jobs/{job}/certificate").status_code == 404  # it has none
    signed_out = client.__class__(base_url=console.url)
    with signed_out:
        assert signed_out.get(f"/jobs/{job}/artifacts/0").status_code == 303


def test_a_certificate_path_outside_the_data_folder_is_not_served(console: ConsoleServer) -> None:
    outside = console.settings.data_dir.parent / "elsewhere.pdf"
    outside.write_bytes(b"%PDF private")
    _, (job,) = seed_batch(
        console.journal,
        [Seeded("AABCB4821K", "changed", result={"certificate_path": str(outside)})],
    )
    client, _ = console.http("viewer")
    with client:
        assert client.get(f"/jobs/{job}/certificate").status_code == 404


def test_a_viewer_is_refused_an_operator_action_and_an_operator_is_audited(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    job = _failed_job(console)
    viewer, csrf = console.http("viewer")
    with viewer:
        answer = viewer.post(f"/jobs/{job}/notes", data={"csrf_token": csrf, "note": "x"})
    assert answer.status_code == 403
    assert People(console.journal).audit(target=job) == []
    signed_in(page, "operator")
    page.goto(f"{console.url}/jobs/{job}")
    page.get_by_label("Note").fill("Called the client: the bank is fixing its IFSC")
    page.get_by_role("button", name="Add note").click()
    trail = page.get_by_role("region", name="Who did what")
    expect(trail).to_contain_text("omar job noted")
    expect(trail).to_contain_text("the bank is fixing its IFSC")
    (row,) = People(console.journal).audit(target=job)
    assert (row.who, row.action) == ("omar", "job-noted")


def test_a_secret_in_an_error_is_masked_on_the_job_page(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    register_secret(PLANTED_PIN)  # as a run registers the PIN it resolved
    _, (job,) = seed_batch(
        console.journal,
        [Seeded("AABCB4821K", "failed", code="DSC_PIN", error=f"PIN {PLANTED_PIN} refused")],
    )
    signed_in(page, "viewer")
    page.goto(f"{console.url}/jobs/{job}")
    expect(page.get_by_text("refused").first).to_be_visible()
    assert PLANTED_PIN not in page.content()


def test_a_job_that_does_not_exist_is_a_404(console: ConsoleServer) -> None:
    client, _ = console.http("viewer")
    with client:
        assert client.get("/jobs/j20260101-nothere").status_code == 404


def test_no_page_the_consoles_served_showed_a_planted_secret(
    page: Page, console: ConsoleServer, signed_in: SignIn
) -> None:
    signed_in(page, "admin")
    page.goto(f"{console.url}/batches")
    served = sum(scanner.pages for scanner in SCANNERS)
    assert served > 2
    assert [leak for scanner in SCANNERS for leak in scanner.found] == []
