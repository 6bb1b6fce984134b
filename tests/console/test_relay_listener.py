"""``rpa serve --relay-port`` as an office runs it (a subprocess): the console on one port,
only the relay pages on the other, and the heartbeat that tells batches a console serves
the data folder, written while it runs and removed when it stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from mock_portal.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_rpa_serve_with_a_relay_port_serves_only_the_relay_there(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port, relay_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env["RPA_DATA_DIR"] = str(data)
    relay_args = ("--relay-port", str(relay_port))
    serve = subprocess.Popen(
        [sys.executable, "-m", "rpa", "serve", "--port", str(port), *relay_args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    heartbeat = data / "console.json"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{relay_port}/r/x", timeout=2)
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        beat = json.loads(heartbeat.read_text())
        assert beat["pid"] == serve.pid
        assert beat["url"] == f"http://127.0.0.1:{port}"
        assert beat["relay_url"] == f"http://127.0.0.1:{relay_port}"
        with httpx.Client(base_url=f"http://127.0.0.1:{relay_port}", timeout=10) as relay:
            for path in ("/login", "/challenges", "/batches", "/api/v1/challenges/1"):
                assert relay.get(path).status_code == 404, path
            assert relay.get("/r/" + "D" * 43).status_code == 410
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as office:
            assert office.get("/login").status_code == 200
            assert office.get("/r/" + "D" * 43).status_code == 410
    finally:
        serve.send_signal(signal.SIGINT)
        output, _ = serve.communicate(timeout=30)
    assert f"OTP relay pages only: http://127.0.0.1:{relay_port}" in output
    assert not heartbeat.exists()
