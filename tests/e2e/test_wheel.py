"""The package as a user installs it (issue 16 §7): a wheel built from this tree, installed
in a fresh virtualenv (its dependencies from the package index), run from an empty folder
with no checkout and no ``RPA_PLAYBOOKS_DIR``. The mock portal runs from the wheel too
(``python -m mock_portal``), seeded through its test API; the client is a ``clientmix`` one.

Building the wheel and installing its dependencies takes a few minutes: one virtualenv
serves the module. Every process gets an environment without ``PYTHONPATH`` and ``RPA_*``,
so nothing of this checkout is imported (checked first).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo.portal import free_port, wait_until_up
from demo.seeding import PORTAL_NOW
from tests.e2e.clientmix import MixClient, mix_clients, secrets_env, seed_body, write_client_file

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WHEEL_SEED = 16  # clientmix's seed for this module's client

MY_RENEW = """\
name: renew
description: my own renew, in place of the built-in one
steps:
  - log: "my own renew for {{ client.iec }}"
outputs:
  made_by: my own renew
"""

MY_STATUS = """\
name: my_status
description: logs in with the built-in login, under the built-in portal's detectors
extends: portal
steps:
  - use:
      playbook: login
      inputs: {username: "{{ client.portal_user }}", password: "{{ secrets.portal_password }}"}
  - read:
      linked: {css: "#viewIecButton", attribute: id}
outputs:
  linked: "{{ vars.linked }}"
"""


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would reach into the checkout or the
    project's own virtualenv, with ``extra``."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("RPA_")}
    env.update(extra)
    return env


def run(
    args: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel of this tree installed."""
    root = tmp_path_factory.mktemp("wheel")
    env = clean_env()
    dist = root / "dist"
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT],
        cwd=root,
        env=env,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = dist.glob("dgft_rpa-*.whl")
    venv = root / "venv"
    made = run([sys.executable, "-m", "venv", venv], cwd=root, env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    installed = run(
        [venv / "bin" / "python", "-m", "pip", "install", "-q", wheel],
        cwd=root,
        env=env,
        timeout=1200,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


@pytest.fixture(scope="module")
def client() -> MixClient:
    [client] = mix_clients(1, seed=WHEEL_SEED, sign_with="dsc")
    return client


@pytest.fixture(scope="module")
def portal(
    venv: Path, client: MixClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The mock portal, run by the virtualenv's Python from an empty folder, seeded with
    the client (due for its annual update) and its clock inside the window; its URL."""
    folder = tmp_path_factory.mktemp("portal")
    port, embridge = free_port(), free_port()
    with (folder / "portal.log").open("wb") as log:
        process = subprocess.Popen(
            [
                str(venv / "bin" / "python"),
                "-m",
                "mock_portal",
                "--port",
                str(port),
                "--embridge-port",
                str(embridge),
                "--db",
                "portal.sqlite3",
                "--test-mode",
            ],
            cwd=folder,
            env=clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/CP/", process)
        for path, body in (("seed", seed_body([client])), ("clock", {"now": PORTAL_NOW})):
            httpx.post(f"{url}/__mock__/{path}", json=body, timeout=60).raise_for_status()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rpa(
    venv: Path, portal: str, client: MixClient, folder: Path, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """``rpa ARGS`` from the virtualenv, run in ``folder`` against ``portal``, as a user
    runs it: the mock's OTP and captcha providers, the client's secrets, its data in
    ``folder/rpa-data``."""
    env = clean_env(
        RPA_PORTAL_URL=f"{portal}/CP/",
        RPA_DATA_DIR=str(folder / "rpa-data"),
        RPA_OTP_PROVIDER="mock-outbox",
        RPA_CAPTCHA_PROVIDER="mock",
        **secrets_env([client]),
        **extra,
    )
    return run([venv / "bin" / "rpa", *args], cwd=folder, env=env)


def jobs(folder: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{folder / 'rpa-data' / 'journal.sqlite3'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(
            "SELECT client, playbook, status, result FROM jobs ORDER BY created_at"
        ).fetchall()
    finally:
        conn.close()


def client_folder(tmp_path: Path, client: MixClient) -> Path:
    """An empty folder but for the client file."""
    folder = tmp_path / "office"
    folder.mkdir()
    write_client_file(folder / "clients.csv", [client])
    return folder


def test_the_virtualenv_imports_nothing_from_the_checkout(venv: Path, tmp_path: Path) -> None:
    shown = run(
        [
            venv / "bin" / "python",
            "-c",
            "import mock_portal, rpa; print(rpa.__file__); print(mock_portal.__file__)",
        ],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert shown.returncode == 0, shown.stderr
    for line in shown.stdout.split():
        assert Path(line).is_relative_to(venv), line


def test_a_wheel_in_a_fresh_venv_renews_a_client_from_an_empty_folder(
    venv: Path, portal: str, client: MixClient, tmp_path: Path
) -> None:
    folder = client_folder(tmp_path, client)
    result = rpa(
        venv, portal, client, folder, "run", "renew", "--clients", "clients.csv",
        "--client", client.iec,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    [job] = jobs(folder)
    assert (job["client"], job["status"]) == (client.iec, "changed")
    certificates = list((folder / "rpa-data" / "certificates" / client.iec).glob("e-IEC-*.pdf"))
    assert len(certificates) == 1, certificates
    assert certificates[0].read_bytes().startswith(b"%PDF")
    assert json.loads(job["result"])["certificate_path"] == str(certificates[0])


def test_a_users_playbook_folder_replaces_a_built_in_and_reaches_the_others(
    venv: Path, portal: str, client: MixClient, tmp_path: Path
) -> None:
    folder = client_folder(tmp_path, client)
    mine = tmp_path / "my-playbooks"
    mine.mkdir()
    (mine / "renew.yaml").write_text(MY_RENEW)
    (mine / "my_status.yaml").write_text(MY_STATUS)
    given = {"RPA_PLAYBOOKS_DIR": str(mine)}
    for name in ("renew", "my_status"):
        result = rpa(
            venv, portal, client, folder, "run", name, "--clients", "clients.csv",
            "--client", client.iec, **given,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    renew, status = jobs(folder)
    assert json.loads(renew["result"])["made_by"] == "my own renew"
    assert renew["status"] == "ok"
    assert not (folder / "rpa-data" / "certificates").exists()  # the built-in did not run
    assert (status["playbook"], status["status"]) == ("my_status", "ok")
    assert json.loads(status["result"])["linked"] == "viewIecButton"
    checked = rpa(venv, portal, client, folder, "validate", str(mine), **given)
    assert checked.returncode == 0, checked.stdout + checked.stderr
