"""``python -m demo --console`` as a person starts it: it prints the console's URL and a demo
login that signs in, and the demo batch's challenges wait in the console (its provider is
the console's), with the batch live on its page."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _read_until(process: subprocess.Popen[str], pattern: str, seen: list[str]) -> re.Match[str]:
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"no {pattern!r} in the demo's output:\n{''.join(seen)}")


def _sign_in(url: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    signed = client.post(
        "/login",
        data={"csrf_token": token[1], "username": "demo", "password": password, "next": "/"},
    )
    assert signed.status_code == 303 and "rpa_session" in client.cookies
    return client


def test_the_demo_with_the_console_prints_a_login_and_sends_its_challenges_there(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo",
            "--console",
            "--output",
            "quiet",
            "--concurrency",
            "2",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the portal, console and batch too
    )
    seen: list[str] = []
    try:
        url = _read_until(process, r"^console: (http://\S+)", seen)[1]
        password = _read_until(process, r"sign in as demo with the password (\S+)", seen)[1]
        client = _sign_in(url, password)
        try:
            deadline = time.monotonic() + 180
            page = ""
            while time.monotonic() < deadline:
                page = client.get("/challenges").text
                if "Captcha" in page and "IEC AABCB4821K" in page:
                    break
                time.sleep(1)
            assert "IEC AABCB4821K" in page, page
            batches = client.get("/batches").text
            batch = re.search(r'href="/batches/(b\d{8}-[0-9a-f]+)"', batches)
            assert batch, batches
            live = client.get(f"/batches/{batch[1]}").text
            assert "Bharat Spices Exports Pvt Ltd" in live
            assert "Waiting for captcha" in live
        finally:
            client.close()
        assert password not in "".join(seen[:-1])  # printed once, on its own line
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as a person stops it
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
