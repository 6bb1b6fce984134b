"""The console's API for remote workers, driven with httpx against a real console: ``rpa
workers add`` prints a credential (stored hashed); a worker raises a captcha (its image as
base64) and an OTP, an operator answers them as local ones, the worker reads each answer
once; another worker sees none of them; no credential, no API."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
from challengekit import png
from consolekit import ConsoleServer

ROOT = Path(__file__).resolve().parents[2]


def _add_worker(console: ConsoleServer, name: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env["RPA_DATA_DIR"] = str(console.settings.data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "rpa", "workers", "add", name],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    credential = done.stdout.strip().splitlines()[-1].strip()
    assert len(credential) >= 43, done.stdout
    return credential


def _api(console: ConsoleServer, credential: str | None) -> httpx.Client:
    headers = {"authorization": f"Bearer {credential}"} if credential else {}
    return httpx.Client(base_url=console.url + "/api/v1", headers=headers, timeout=10)


def test_a_remote_worker_raises_challenges_and_reads_each_answer_once(
    console: ConsoleServer,
) -> None:
    credential = _add_worker(console, "token-pc-1")
    dump = "\n".join(sqlite3.connect(console.settings.journal_path).iterdump())
    assert credential not in dump  # only its hash

    with _api(console, credential) as api:
        raised = api.post(
            "/challenges",
            json={
                "job_id": "jremote-0001",
                "kind": "captcha",
                "client": "0577777777",
                "firm": "Remote Rice Exports",
                "playbook": "renew",
                "timeout_s": 300,
                "image_base64": base64.b64encode(png()).decode(),
            },
        )
        assert raised.status_code == 201, raised.text
        captcha_id = raised.json()["id"]
        otp = api.post(
            "/challenges",
            json={
                "job_id": "jremote-0002",
                "kind": "otp",
                "client": "0588888888",
                "firm": "Remote Tea Exports",
                "channel": "mobile",
                "destination": "9876549876",
                "timeout_s": 300,
            },
        )
        assert otp.status_code == 201, otp.text
        otp_id = otp.json()["id"]
        assert api.get(f"/challenges/{captcha_id}").json()["state"] == "waiting"

        operator, csrf = console.http("operator")
        with operator:
            inbox = operator.get("/challenges")
            assert "IEC 0577777777" in inbox.text and "Remote Rice Exports" in inbox.text
            assert "******9876" in inbox.text and "9876549876" not in inbox.text
            image = operator.get(f"/challenges/{captcha_id}/image")
            assert image.status_code == 200 and image.content == png()
            for challenge_id, answer in ((captcha_id, "R4ND0"), (otp_id, "482913")):
                sent = operator.post(
                    f"/challenges/{challenge_id}/answer",
                    data={"csrf_token": csrf, "answer": answer},
                )
                assert "said=answered" in sent.headers["location"]
            page = operator.get("/challenges").text  # the API gives answers; pages never
            assert "R4ND0" not in page and "482913" not in page

        first = api.get(f"/challenges/{captcha_id}").json()
        assert first == {**first, "state": "answered", "answer": "R4ND0"}
        second = api.get(f"/challenges/{captcha_id}").json()
        assert second["state"] == "answered" and "answer" not in second
        assert second["answer_taken"] is True
        assert api.get(f"/challenges/{otp_id}").json()["answer"] == "482913"

    other = _add_worker(console, "token-pc-2")
    with _api(console, other) as api:
        assert api.get(f"/challenges/{otp_id}").status_code == 404


def test_a_worker_withdraws_a_challenge_its_job_no_longer_waits_for(
    console: ConsoleServer,
) -> None:
    credential = _add_worker(console, "token-pc-3")
    with _api(console, credential) as api:
        raised = api.post(
            "/challenges",
            json={"job_id": "jremote-0003", "kind": "otp", "client": "0599999999", "timeout_s": 60},
        )
        challenge_id = raised.json()["id"]
        gone = api.delete(f"/challenges/{challenge_id}")
        assert gone.json()["state"] == "expired"
    operator, _ = console.http("operator")
    with operator:
        assert "IEC 0599999999" not in operator.get("/challenges").text.split("Recently")[0]


def test_the_api_refuses_a_call_without_a_good_credential_or_a_bad_body(
    console: ConsoleServer,
) -> None:
    with _api(console, None) as api:
        assert api.post("/challenges", json={}).status_code == 401
    with _api(console, "not-a-credential") as api:
        assert api.get("/challenges/1").status_code == 401
    credential = _add_worker(console, "token-pc-4")
    with _api(console, credential) as api:
        bad = [
            {"job_id": "../etc", "kind": "otp", "timeout_s": 60},
            {"job_id": "j1", "kind": "pin", "timeout_s": 60},
            {"job_id": "j1", "kind": "otp", "timeout_s": -1},
            {"job_id": "j1", "kind": "captcha", "timeout_s": 60, "image_base64": "bm90IGEgcG5n"},
        ]
        for body in bad:
            assert api.post("/challenges", json=body).status_code == 400, body
