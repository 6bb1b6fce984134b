"""``python -m demo`` (what ``make demo`` runs).

Starts the mock portal in test mode on free ports, seeds it from ``examples/clients.csv``
with each client in a varied state, sets the portal's clock inside the annual window,
runs ``rpa batch examples/clients.csv --playbook renew`` with the mock's OTP and captcha
providers, writes the HTML report, prints where everything is, and stops the portal.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from demo.seeding import DEMO_SECRETS, PORTAL_NOW, SCENARIOS, build_seed
from rpa.clientfile import load_clients

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "examples" / "clients.csv"
# The state each example client is in on the demo portal (others: due).
SCENARIO_OF = {
    "0395012847": "due",  # an Aadhaar signer
    "AAJFG2290M": "renewed",
    "AAAHS8123L": "deactivated",
    "BJKPF4410G": "reverify",
    "AADCA6672H": "pan-mismatch",
    "AAATH1209P": "renewed",
    "0313021976": "deactivated",
    "AKVPR5521E": "reverify",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the mock portal exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the mock portal did not answer at {url}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--data-dir", default=str(ROOT / "rpa-data" / "demo"))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--output", default="live", choices=["live", "json", "quiet"])
    parser.add_argument("--headed", action="store_true", help="watch the browser work")
    args = parser.parse_args()

    loaded = load_clients(CLIENTS)
    clients = [(r, SCENARIO_OF.get(r.iec, "due")) for _, r in loaded.records]
    port, embridge = free_port(), free_port()
    portal = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="dgft-demo-"))
    print(f"mock portal: {portal}/CP/  (emBridge on port {embridge}; state in {workdir})")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_portal",
            "--port",
            str(port),
            "--embridge-port",
            str(embridge),
            "--db",
            str(workdir / "portal.sqlite3"),
            "--test-mode",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "portal.log").open("wb"),
    )
    try:
        wait_until_up(f"{portal}/CP/", server)
        httpx.post(
            f"{portal}/__mock__/seed", json=build_seed(clients), timeout=60
        ).raise_for_status()
        httpx.post(f"{portal}/__mock__/clock", json={"now": PORTAL_NOW}).raise_for_status()
        httpx.post(f"{portal}/__mock__/faults", json={"seed": 7, "announcement_rate": 0.3})
        print(f"portal clock: {PORTAL_NOW}; {len(clients)} clients seeded:")
        for record, scenario in clients:
            print(
                f"  {record.iec}  {record.firm_name[:38]:38}  {record.sign_with:8} "
                f"{SCENARIOS[scenario]}"
            )
        env = {
            **os.environ,
            **DEMO_SECRETS,
            "RPA_PORTAL_URL": f"{portal}/CP/",
            "RPA_DATA_DIR": args.data_dir,
            "RPA_OTP_PROVIDER": "mock-outbox",
            "RPA_CAPTCHA_PROVIDER": "mock",
            "RPA_CONCURRENCY": str(args.concurrency),
        }
        command = [
            sys.executable,
            "-m",
            "rpa",
            "batch",
            str(CLIENTS),
            "--playbook",
            "renew",
            "--output",
            args.output,
        ]
        if args.headed:
            command.append("--headed")
        print("\n$ rpa batch examples/clients.csv --playbook renew")
        batch = subprocess.run(command, env=env, cwd=ROOT, check=False)
        latest = subprocess.run(
            [sys.executable, "-m", "rpa", "jobs", "list", "--json"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        batch_ids = [
            line.split('"batch_id": "')[1].split('"')[0]
            for line in latest.stdout.splitlines()
            if '"batch_id": "b' in line
        ]
        if batch_ids:
            report = Path(args.data_dir) / "reports" / f"{batch_ids[-1]}.html"
            subprocess.run(
                [sys.executable, "-m", "rpa", "report", batch_ids[-1], "--out", str(report)],
                env=env,
                cwd=ROOT,
                check=False,
            )
            print(f"certificates: {Path(args.data_dir) / 'certificates'}")
        if batch.returncode == 1:
            print(
                "(the batch exits 1 because one client fails on purpose: its DSC carries "
                "another PAN, and the portal's refusal is reported as DSC_PAN_MISMATCH)"
            )
        return 0 if batch.returncode in (0, 1) else batch.returncode
    finally:
        server.terminate()
        server.wait(timeout=10)
        print("mock portal stopped")


if __name__ == "__main__":
    raise SystemExit(main())
