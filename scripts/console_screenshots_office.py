"""Screenshots of the console's office pages for docs/console.md: starting a batch (an
uploaded file's verdict row by row), a failed job's replay form, the Clients page's
renewal plan, a client's history and the Reports page. The journal is seeded as
scripts/console_screenshots.py seeds it (a batch of the example clients, one failed).

    .venv/bin/python scripts/console_screenshots_office.py [--out docs/screenshots]

Writes console-start.png, console-replay.png, console-clients.png, console-client.png,
console-reports.png and console-report.png.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from console_screenshots import CLIENTS, seed  # noqa: E402

from mock_portal.server import free_port, serve_in_thread  # noqa: E402
from rpa.browser import launch_options  # noqa: E402
from rpa.config import load_settings  # noqa: E402
from rpa.console.app import create_app  # noqa: E402
from rpa.console.auth import hash_password  # noqa: E402
from rpa.journal import Journal  # noqa: E402
from rpa.journal.people import People  # noqa: E402


def upload_file(folder: Path) -> Path:
    """The example clients without documents, one with a mobile number too short."""
    lines = CLIENTS.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines[1:] if line and not line.rstrip(",").endswith(".pdf")]
    kept = [line.replace(",9000010005,", ",90000105,") for line in kept]  # Sharma's
    path = folder / "april-clients.csv"
    path.write_text("\n".join([lines[0], *kept]) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="dgft-console-shots-") as tmp:
        data_dir = Path(tmp)
        settings = load_settings({"data_dir": data_dir, "clients_file": CLIENTS}, env_file=None)
        journal = Journal(settings.journal_path)
        password = secrets.token_urlsafe(12)
        People(journal).put_user("priya", "operator", hash_password(password))
        batch, failed, renewed = seed(journal, data_dir)
        People(journal).add_audit("priya", "batch.start", batch, {"playbook": "renew"})
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
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(url + "/batches")
            page.goto(url + "/batches/new")
            page.get_by_label("Client file").set_input_files(str(upload_file(data_dir)))
            page.get_by_role("button", name="Check the file").click()
            page.get_by_role("button", name="Start the batch").wait_for()
            page.screenshot(path=out / "console-start.png", full_page=True)
            page.goto(f"{url}/jobs/{failed}/replay")
            page.get_by_label("DSC PIN reference").fill("env:AADCA6672H_DSC_PIN")
            page.screenshot(path=out / "console-replay.png", full_page=True)
            page.goto(url + "/clients")
            page.screenshot(path=out / "console-clients.png", full_page=True)
            page.goto(f"{url}/clients/AABCB4821K")
            page.screenshot(path=out / "console-client.png")
            page.goto(url + "/reports")
            page.screenshot(path=out / "console-reports.png")
            page.goto(f"{url}/reports/{batch}.html")
            page.screenshot(path=out / "console-report.png", full_page=True)
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)
        journal.close()
    del renewed
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
