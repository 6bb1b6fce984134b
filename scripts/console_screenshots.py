"""Screenshots of the console for docs/console.md: a console on a temporary data folder,
a journal seeded with a batch as a real one leaves it (the example clients, some renewed,
one failed, one waiting for a captcha, a row not run), signed in as an operator.

    .venv/bin/python scripts/console_screenshots.py [--out docs/screenshots]

Writes console-login.png, console-batches.png, console-batch.png and console-job.png.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_portal.server import free_port, serve_in_thread  # noqa: E402
from rpa.browser import launch_options  # noqa: E402
from rpa.config import load_settings  # noqa: E402
from rpa.console.app import create_app  # noqa: E402
from rpa.console.auth import hash_password  # noqa: E402
from rpa.journal import Journal  # noqa: E402
from rpa.journal.people import People  # noqa: E402

CLIENTS = ROOT / "examples" / "clients.csv"
FAILURE_SHOT = ROOT / "docs" / "screenshots" / "18-dsc-dialog.png"
RENEWED = ["AABCB4821K", "0507004412", "0988012345", "AAAHS8123L", "BJKPF4410G"]
# (event, step, kind, status): the timeline a DSC refused leaves
TIMELINE = [
    ("step-started", "login", "use", None),
    ("step-started", "login/open the portal", "goto", None),
    ("step-finished", "login/open the portal", "goto", "ok"),
    ("step-started", "login/read the captcha", "captcha", None),
    ("step-finished", "login/read the captcha", "captcha", "ok"),
    ("step-started", "login/sign in", "click", None),
    ("step-finished", "login/sign in", "click", "ok"),
    ("step-finished", "login", "use", "ok"),
    ("step-started", "update", "block", None),
    ("step-started", "update/open the annual update", "click", None),
    ("step-finished", "update/open the annual update", "click", "ok"),
    ("step-started", "update/general details", "block", None),
    ("step-started", "update/general details/save", "click", None),
    ("step-finished", "update/general details/save", "click", "ok"),
    ("step-finished", "update/general details", "block", "ok"),
    ("step-started", "update/sign with the DSC", "sign", None),
    ("step-retried", "update/sign with the DSC", None, "transient"),
    ("step-finished", "update/sign with the DSC", "sign", "failed"),
    ("step-finished", "update", "block", "failed"),
]


def seed(journal: Journal, data_dir: Path) -> tuple[str, str, str]:
    """A batch of the example clients; its id, a failed job's and a renewed job's."""
    batch = journal.create_batch(
        "renew",
        source=str(CLIENTS),
        options={
            "not_run": [
                {"row": 13, "client": "AKVPR5521E", "reason": "a duplicate row", "duplicate": True}
            ]
        },
    )
    certificate = data_dir / "certificates" / "AABCB4821K-2026-27.pdf"
    certificate.parent.mkdir(parents=True)
    certificate.write_bytes(b"%PDF-1.4 e-IEC certificate\n%%EOF\n")
    digest = hashlib.sha256(certificate.read_bytes()).hexdigest()
    renewed = failed = ""
    for row, iec in enumerate(
        [*RENEWED, "AAJFG2290M", "AADCA6672H", "0395012847", "AAATH1209P", "0710034521"], 2
    ):
        job = journal.add_job("renew", client=iec, batch_id=batch, row=row)
        if iec == "0710034521":
            continue  # waiting to start
        journal.job_started(job)
        if iec in RENEWED:
            result = {"ack_number": f"UPD26{row:03d}81{row * 7:03d}", "application_status":
                      "Approved", "bank_status": "Verified"}  # fmt: skip
            if iec == "AABCB4821K":
                result |= {"certificate_path": str(certificate), "certificate_sha256": digest}
                renewed = job
            journal.job_finished(job, "changed", duration_s=70.0 + row, result=result)
        elif iec in ("AAJFG2290M", "AAATH1209P"):
            journal.job_finished(job, "ok", duration_s=31.0 + row)
        elif iec == "AADCA6672H":
            failed = job
            for event, step, kind, status in TIMELINE:
                detail = "attempt 1: emBridge did not answer" if event == "step-retried" else None
                journal.add_timeline(
                    job, event, step=step, kind=kind, status=status, duration_s=2.4, detail=detail
                )
            shots = data_dir / "artifacts" / job
            shots.mkdir(parents=True)
            shutil.copy(FAILURE_SHOT, shots / "failure.png")
            (shots / "page.html").write_text("<html>the portal's page</html>")
            (shots / "trace.zip").write_bytes(b"PK\x05\x06" + bytes(18))
            for kind, name in (("screenshot", "failure.png"), ("html", "page.html"),
                               ("trace", "trace.zip")):  # fmt: skip
                journal.add_artifact(job, kind, str(shots / name))
            journal.job_finished(
                job, "failed", duration_s=58.0, error_code="DSC_PAN_MISMATCH",
                error_kind="business", error_step="update/sign with the DSC",
                error="the portal refused the signature: the DSC carries another PAN",
            )  # fmt: skip
        elif iec == "0395012847":
            journal.step_started(job, "login/read the captcha", kind="captcha")
            journal.add_challenge(job, "captcha", "Type the characters in the image")
    return batch, failed, renewed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="dgft-console-shots-") as tmp:
        data_dir = Path(tmp)
        settings = load_settings({"data_dir": data_dir}, env_file=None)
        journal = Journal(settings.journal_path)
        password = secrets.token_urlsafe(12)
        People(journal).put_user("priya", "operator", hash_password(password))
        for _ in range(3):  # earlier batches, for the list
            old = journal.create_batch("renew", source=str(CLIENTS))
            journal.set_batch_status(old, "finished")
        batch, failed, renewed = seed(journal, data_dir)
        port = free_port()
        server, thread = serve_in_thread(create_app(settings), "127.0.0.1", port, "console")
        url = f"http://127.0.0.1:{port}"
        options = launch_options(settings)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=options["executable_path"], args=options["args"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(url + "/login")
            page.get_by_label("Username").fill("priya")
            page.screenshot(path=out / "console-login.png")
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(url + "/batches")
            page.screenshot(path=out / "console-batches.png")
            page.goto(f"{url}/batches/{batch}")
            page.get_by_role("heading", name="Clients").wait_for()
            page.screenshot(path=out / "console-batch.png", full_page=True)
            page.goto(f"{url}/jobs/{failed}")
            page.get_by_role("heading", name="Timeline").wait_for()
            page.screenshot(path=out / "console-job.png", full_page=True)
            page.goto(f"{url}/jobs/{renewed}")
            page.screenshot(path=out / "console-job-result.png", full_page=True)
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)
        journal.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
