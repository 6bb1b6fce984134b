"""``python -m demo`` (what ``make demo`` runs).

Starts the mock portal in test mode on free ports, seeds it from ``examples/clients.csv``
with each client in a varied state, sets the portal's clock inside the annual window,
runs ``rpa batch examples/clients.csv --playbook renew`` with the mock's OTP and captcha
providers, writes the HTML report, prints where everything is, and stops the portal.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from demo.portal import PortalDidNotStart, agent_env, mock_portal
from demo.seeding import PORTAL_NOW, SCENARIOS
from rpa.clients.file import load_clients

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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--data-dir", default=str(ROOT / "rpa-data" / "demo"))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--output", default="live", choices=["live", "json", "quiet"])
    parser.add_argument("--headed", action="store_true", help="watch the browser work")
    args = parser.parse_args()

    loaded = load_clients(CLIENTS)
    clients = [(r, SCENARIO_OF.get(r.iec, "due")) for _, r in loaded.records]
    workdir = Path(tempfile.mkdtemp(prefix="dgft-demo-"))
    try:
        with mock_portal(workdir) as portal:
            print(f"mock portal: {portal.portal_url}  (state in {workdir})")
            portal.seed(clients)
            portal.post("faults", {"seed": 7, "announcement_rate": 0.3})
            print(f"portal clock: {PORTAL_NOW}; {len(clients)} clients seeded:")
            for record, scenario in clients:
                print(
                    f"  {record.iec}  {record.firm_name[:38]:38}  {record.sign_with:8} "
                    f"{SCENARIOS[scenario]}"
                )
            code = run_batch(agent_env(portal, args.data_dir, args.concurrency), args)
    except PortalDidNotStart as exc:
        raise SystemExit(f"{exc} (its log: {workdir / 'portal.log'})") from exc
    print("mock portal stopped")
    return code


def run_batch(env: dict[str, str], args: argparse.Namespace) -> int:
    """``rpa batch`` of the example clients, then the HTML report; the exit code."""
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


if __name__ == "__main__":
    raise SystemExit(main())
