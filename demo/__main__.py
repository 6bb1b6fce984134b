"""``python -m demo`` (what ``make demo`` runs).

Starts the mock portal in test mode on free ports, seeds it from ``examples/clients.csv``
with each client in a varied state, sets the portal's clock inside the annual window,
runs ``rpa batch examples/clients.csv --playbook renew`` with the mock's OTP and captcha
providers, writes the HTML report, prints where everything is, and stops the portal.

``--console``: the office console (``rpa serve``) runs over the demo's data folder too; the
demo prints its URL and a demo login (an operator, with a new random password each time,
printed once), and the batch sends its OTPs and captchas to the console
(``RPA_CHALLENGES=console``), so a person watches the batch and answers them in a browser
(the OTPs the mock portal "sends" are listed at its ``/__mock__/outbox``). After the batch
the console stays up until Enter is pressed (at once when stdin is not a terminal).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from demo.portal import PortalDidNotStart, agent_env, free_port, mock_portal, stop, wait_until_up
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
    parser.add_argument(
        "--console",
        action="store_true",
        help="run the office console too; answer the OTPs and captchas in a browser",
    )
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
            env = agent_env(portal, args.data_dir, args.concurrency)
            if not args.console:
                code = run_batch(env, args)
            else:
                env["RPA_CHALLENGES"] = "console"
                with office_console(env, workdir) as url:
                    env["RPA_CONSOLE_URL"] = url
                    print(f"OTPs the mock portal sends: {portal.url}/__mock__/outbox")
                    code = run_batch(env, args)
                    wait_for_enter(url)
    except PortalDidNotStart as exc:
        raise SystemExit(f"{exc} (its log: {workdir / 'portal.log'})") from exc
    print("mock portal stopped")
    return code


@contextmanager
def office_console(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """``rpa serve`` over the demo's data folder on a free port, with a demo operator;
    prints the URL and the login; yields the URL; stops the console on exit."""
    user, password = "demo", secrets.token_urlsafe(12)
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "rpa",
            "users",
            "add",
            user,
            "--role",
            "operator",
            "--password-stdin",
        ],
        input=password + "\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if added.returncode != 0:
        raise SystemExit(f"could not add the demo user: {added.stderr.strip()}")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with (workdir / "console.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rpa", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        try:
            wait_until_up(url + "login", process, 30, what="the console")
        except PortalDidNotStart as exc:
            raise SystemExit(str(exc)) from exc
        print(f"\nconsole: {url}")
        print(f"  sign in as {user} with the password {password}  (shown only now)")
        print(f"  answer the OTPs and captchas at {url}challenges\n")
        yield url
    finally:
        stop(process)
        print("console stopped")


def wait_for_enter(url: str) -> None:
    """Keep the console up for a look at the results, until Enter (a terminal only)."""
    if not sys.stdin.isatty() or os.environ.get("CI"):
        return
    print(f"\nThe console stays up at {url} : press Enter to stop it and the portal.")
    with suppress(EOFError, KeyboardInterrupt):
        input()


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
