"""Console pages with a big journal: 20,000 jobs over ~200 batches (each job with a step
timeline, failures with a screenshot), the console served by uvicorn in a thread, every
page timed over HTTP as a signed-in person gets it.

    .venv/bin/python bench/console_pages.py [--jobs 20000] [--batches 200] [--rounds 7]

Prints, per page, the median and the fastest of ``--rounds`` requests in ms (target: every
page under 200 ms), the response's size and status. The live view's figure is the time to
its first update (the page's live part rendered and sent). It prints; it does not assert.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_portal.server import free_port, serve_in_thread  # noqa: E402
from rpa.config import load_settings  # noqa: E402
from rpa.console.app import create_app  # noqa: E402
from rpa.console.auth import COOKIE, SESSION_TTL_S, _token_hash, hash_password  # noqa: E402
from rpa.journal import Journal  # noqa: E402
from rpa.journal.people import People  # noqa: E402

CLIENTS = ROOT / "examples" / "clients.csv"
STEPS = ["login", "login/open the portal", "login/captcha", "login/sign in", "update",
         "update/open the form", "update/save the bank section", "update/declaration",
         "update/submit", "update/download the certificate"]  # fmt: skip
OUTCOMES = ["changed"] * 70 + ["ok"] * 20 + ["failed"] * 8 + ["needs-input"] * 2


def seed(journal: Journal, data_dir: Path, jobs: int, batches: int) -> dict[str, str]:
    """Batches and jobs written in bulk (one transaction per batch), as runs leave them."""
    rng = random.Random(7)
    named = [line.split(",")[0] for line in CLIENTS.read_text().splitlines()[1:] if line]
    # the example clients (firm names from their file), then fictional ones: every job of a
    # batch is a client of its own, as in a real batch
    iecs = named + [f"{9000000000 + n:010d}" for n in range(len(named), jobs // batches + 1)]
    per_batch = max(1, jobs // batches)
    start = datetime(2026, 4, 1, 4, 30, tzinfo=UTC)
    shot = data_dir / "artifacts" / "failure.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    certificate = data_dir / "certificates" / "certificate.pdf"
    certificate.parent.mkdir(parents=True, exist_ok=True)
    certificate.write_bytes(b"%PDF-1.4\n" + bytes(20000))
    sample: dict[str, str] = {}
    for b in range(batches):
        created = start + timedelta(hours=6 * b)
        batch_id = f"b{created:%Y%m%d}-{b:08x}"
        job_rows, timeline, artifacts = [], [], []
        for n in range(per_batch):
            job_id = f"j{created:%Y%m%d}-{b:04x}{n:04x}"
            outcome = rng.choice(OUTCOMES)
            began = created + timedelta(seconds=20 * n)
            ended = began + timedelta(seconds=rng.randint(40, 140))
            failed = outcome in ("failed", "needs-input")
            result = {} if failed else {
                "ack_number": f"UPD{b:04d}{n:05d}", "application_status": "Approved",
                "certificate_path": str(certificate), "certificate_sha256": "ab" * 32,
            }  # fmt: skip
            job_rows.append((
                job_id, batch_id, iecs[n % len(iecs)], n + 1, "renew", outcome,
                began.isoformat(), began.isoformat(), ended.isoformat(),
                (ended - began).total_seconds(), "it failed" if failed else None,
                "business" if failed else None, "DSC_EXPIRED" if failed else None,
                json.dumps(result),
            ))  # fmt: skip
            for i, step in enumerate(STEPS):
                at = (began + timedelta(seconds=4 * i)).isoformat()
                kind = "block" if "/" not in step else "click"
                timeline.append((job_id, at, "step-started", step, kind, None, None, None))
                timeline.append((job_id, at, "step-finished", step, kind, "ok", 1.2, None))
            if failed:
                artifacts.append((job_id, "screenshot", str(shot), ended.isoformat()))
        with journal._write() as db:
            db.execute(
                "INSERT INTO batches (id, playbook, source, status, options, created_at,"
                " finished_at) VALUES (?, 'renew', ?, 'finished', '{}', ?, ?)",
                (batch_id, str(CLIENTS), created.isoformat(), created.isoformat()),
            )
            db.executemany(
                "INSERT INTO jobs (id, batch_id, client, row, playbook, status, created_at,"
                " started_at, finished_at, duration_s, error, error_kind, error_code, result)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                job_rows,
            )
            db.executemany(
                "INSERT INTO timeline (job_id, at, event, step, kind, status, duration_s,"
                " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                timeline,
            )
            db.executemany(
                "INSERT INTO artifacts (job_id, kind, path, at) VALUES (?, ?, ?, ?)", artifacts
            )
        sample["batch"] = batch_id
        sample["job"] = job_rows[0][0]
        sample["failed"] = next((a[0] for a in artifacts), sample.get("failed", ""))
        sample["client"] = job_rows[0][2]
    return sample


def timed(client: httpx.Client, path: str, rounds: int) -> tuple[list[float], int, int]:
    times, status, size = [], 0, 0
    for _ in range(rounds):
        began = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        status, size = answer.status_code, len(answer.content)
    return times, status, size


def first_update(client: httpx.Client, path: str, rounds: int) -> tuple[list[float], int, int]:
    times, status, size = [], 0, 0
    for _ in range(rounds):
        began = time.perf_counter()
        with client.stream("GET", path) as stream:
            status = stream.status_code
            updating = False
            for line in stream.iter_lines():
                updating = updating or line == "event: update"
                size += len(line) + 1 if updating else 0
                if updating and not line:  # the end of the first update
                    break
        times.append((time.perf_counter() - began) * 1000)
    return times, status, size // rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dgft-console-bench-") as tmp:
        data_dir = Path(tmp)
        settings = load_settings({"data_dir": data_dir}, env_file=None)
        journal = Journal(settings.journal_path)
        began = time.perf_counter()
        sample = seed(journal, data_dir, args.jobs, args.batches)
        (jobs,) = journal._read("SELECT count(*) FROM jobs")[0]
        (steps,) = journal._read("SELECT count(*) FROM timeline")[0]
        print(
            f"journal: {jobs} jobs, {args.batches} batches, {steps} timeline rows "
            f"(seeded in {time.perf_counter() - began:.1f} s)"
        )
        people = People(journal)
        people.put_user("bench", "admin", hash_password(secrets.token_hex(8)))
        token = secrets.token_urlsafe(32)
        people.add_session(_token_hash(token), "bench", secrets.token_urlsafe(32), SESSION_TTL_S)
        port = free_port()
        server, thread = serve_in_thread(create_app(settings), "127.0.0.1", port, "console")
        url = f"http://127.0.0.1:{port}"
        pages = [
            ("batches, newest", "/batches"),
            ("batches, last page", f"/batches?page={(args.batches + 24) // 25}"),
            (f"a batch ({jobs // args.batches} jobs)", f"/batches/{sample['batch']}"),
            ("a job (renewed)", f"/jobs/{sample['job']}"),
            ("a job (failed)", f"/jobs/{sample['failed']}"),
            ("a failure screenshot", f"/jobs/{sample['failed']}/artifacts/0"),
            ("a certificate", f"/jobs/{sample['job']}/certificate"),
            ("challenges", "/challenges"),
            ("clients", "/clients"),
            ("a client", f"/clients/{sample['client']}"),
            ("reports", "/reports"),
            ("a report (HTML)", f"/reports/{sample['batch']}.html"),
            ("a report (XLSX)", f"/reports/{sample['batch']}.xlsx"),
        ]
        print(f"\n{'page':<28} {'median ms':>10} {'fastest':>8} {'status':>7} {'KB':>8}")
        with httpx.Client(base_url=url, timeout=60) as anonymous:
            _row("sign-in page", *timed(anonymous, "/login", args.rounds))
        with httpx.Client(base_url=url, cookies={COOKIE: token}, timeout=60) as client:
            for name, path in pages:
                client.get(path)  # warm: templates compiled, the client file read
                times, status, size = timed(client, path, args.rounds)
                _row(name, times, status, size)
            live = f"/batches/{sample['batch']}/events"
            times, status, size = first_update(client, live, args.rounds)
            _row("live view, first update", times, status, size)
        server.should_exit = True
        thread.join(timeout=10)
        journal.close()


def _row(name: str, times: list[float], status: int, size: int) -> None:
    flag = "  over 200 ms" if statistics.median(times) > 200 else ""
    print(
        f"{name:<28} {statistics.median(times):10.1f} {min(times):8.1f} {status:>7} "
        f"{size / 1024:8.1f}{flag}"
    )


if __name__ == "__main__":
    main()
