"""``python -m mock_portal --host 127.0.0.1 --port 8700 --db PATH [--test-mode] [--seed FILE]
[--embridge-port 26769 | --no-embridge]``"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import uvicorn
import yaml

from mock_portal import state
from mock_portal.app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_portal", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--db", required=True, help="SQLite file (created if missing)")
    parser.add_argument("--test-mode", action="store_true", help="enable /__mock__/* API")
    parser.add_argument("--seed", help="YAML or JSON file shaped like POST /__mock__/seed")
    parser.add_argument("--session-ttl", type=float, default=900.0, help="idle timeout, s")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--embridge-port", type=int, default=26769)
    group.add_argument("--no-embridge", action="store_true")
    args = parser.parse_args(argv)

    embridge_url = f"http://{args.host}:{args.embridge_port}"
    app = create_app(
        args.db, test_mode=args.test_mode, embridge_url=embridge_url, session_ttl_s=args.session_ttl
    )
    if args.seed:
        from mock_portal.areas.testapi import seed_data

        text = Path(args.seed).read_text(encoding="utf-8")
        payload = json.loads(text) if args.seed.endswith(".json") else yaml.safe_load(text)
        conn = state.connect(args.db)
        try:
            created = seed_data(conn, payload)
        finally:
            conn.close()
        print(f"seeded {len(created['users'])} users, {len(created['iecs'])} IECs", file=sys.stderr)
    embridge_handle = None
    if not args.no_embridge:
        from mock_portal import embridge

        embridge_handle = embridge.run_embridge_in_thread(args.db, args.host, args.embridge_port)
        print(f"emBridge (simulated) on {embridge_url}", file=sys.stderr)
    print(f"mock DGFT portal on http://{args.host}:{args.port}/CP/", file=sys.stderr)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        if embridge_handle is not None:
            embridge_handle.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
