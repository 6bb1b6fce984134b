"""The agent against the mock portal: the portal (and its emBridge) runs once per module in
a thread on free ports; every test starts from a reset, the portal's clock inside the annual
window, the demo's secrets in the environment and a fresh agent with its own data dir.

``dgft.seed([(record, scenario)])`` seeds clients as the demo does (``demo.seeding``);
``dgft.seed_mix(clients)`` seeds varied clients (``clientmix``) and sets their secrets;
``dgft.run(playbook, record)`` runs one playbook for one client in real Chromium (through
the ``run_async`` fixture: never ``asyncio.run`` in the test's thread) and returns the
``JobResult``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo.seeding import DEMO_SECRETS, PORTAL_NOW, build_seed
from mock_portal.app import create_app
from mock_portal.server import ServerHandle, free_port, run_in_thread
from rpa.agent import Agent
from rpa.browser import open_browser
from rpa.clients.file import load_clients
from rpa.clients.records import ClientRecord
from rpa.config import Settings, load_settings
from rpa.engine import JobResult
from tests.e2e.clientmix import MixClient, secrets_env
from tests.e2e.clientmix import seed_body as mix_seed_body

ROOT = Path(__file__).resolve().parents[2]
CLIENTS_FILE = ROOT / "examples" / "clients.yaml"

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


#: The mock's spellings: as built, or with its inventions renamed (``renamed_inventions``,
#: ``mock_portal/inventions.py``). A module that sets ``BOTH_SPELLINGS = True`` runs each
#: test against both, except a test marked ``mock_wording`` (it asserts what only an
#: invented wording names): as built only, its id saying so. Elsewhere the portal is as built.
SPELLING_NAMES = ["as-built", "renamed"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "portal_server" not in metafunc.fixturenames:
        return
    if not getattr(metafunc.module, "BOTH_SPELLINGS", False):
        return
    wording_only = metafunc.definition.get_closest_marker("mock_wording") is not None
    spellings = SPELLING_NAMES[:1] if wording_only else SPELLING_NAMES
    metafunc.parametrize("portal_server", spellings, indirect=True, scope="module")


@pytest.fixture(scope="module")
def portal_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerHandle]:
    spelling = getattr(request, "param", "as-built")
    assert spelling in SPELLING_NAMES, spelling
    db = str(tmp_path_factory.mktemp("portal") / "portal.db")
    embridge_port = free_port()
    app = create_app(
        db,
        test_mode=True,
        embridge_url=f"http://127.0.0.1:{embridge_port}",
        renamed_inventions=spelling == "renamed",
    )
    handle = run_in_thread(app, "127.0.0.1", 0, embridge_port=embridge_port)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def api_client(portal_server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def clients() -> dict[str, ClientRecord]:
    """The example clients by IEC."""
    return {record.iec: record for _, record in load_clients(CLIENTS_FILE).records}


@dataclass
class Dgft:
    """The mock portal's test API and the agent, for one test."""

    url: str
    api: httpx.Client
    settings: Settings
    run_async: RunAsync
    _agent: Agent | None = field(default=None, repr=False)
    monkeypatch: pytest.MonkeyPatch | None = field(default=None, repr=False)

    # --- the portal's test API ---

    def seed_body(self, clients: list[tuple[ClientRecord, str]]) -> dict[str, Any]:
        return build_seed(clients)

    def seed(self, clients: list[tuple[ClientRecord, str]] | dict[str, Any]) -> None:
        body = clients if isinstance(clients, dict) else build_seed(clients)
        self.api.post("/__mock__/seed", json=body).raise_for_status()

    def seed_mix(self, clients: Sequence[MixClient]) -> None:
        """Seed ``clientmix`` clients and put their secrets in the environment."""
        self.seed(mix_seed_body(clients))
        assert self.monkeypatch is not None, "seed_mix needs the dgft fixture's monkeypatch"
        for name, value in secrets_env(clients).items():
            self.monkeypatch.setenv(name, value)

    def faults(self, **faults: Any) -> None:
        self.api.post("/__mock__/faults", json=faults).raise_for_status()

    def applications(self, iec: str) -> list[dict[str, Any]]:
        r = self.api.get("/__mock__/applications", params={"iec": iec})
        r.raise_for_status()
        result: list[dict[str, Any]] = r.json()
        return result

    def iec(self, iec: str) -> dict[str, Any]:
        r = self.api.get(f"/__mock__/iecs/{iec}")
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    # --- the agent ---

    @property
    def agent(self) -> Agent:
        if self._agent is None:
            self._agent = Agent.create(self.settings)
        return self._agent

    def use_agent(self, agent: Agent) -> None:
        self._agent = agent

    def run(self, playbook: str, record: ClientRecord, *, check: bool = False) -> JobResult:
        agent = self.agent
        job_id = agent.journal.add_job(playbook, client=record.iec, check_mode=check)

        async def go() -> JobResult | None:
            async with open_browser(agent.settings) as session:
                return await agent.run_client(
                    job_id, agent.playbook(playbook), record, session, check=check
                )

        result = self.run_async(go())
        assert result is not None, "the agent refused to start the job"
        assert isinstance(result, JobResult)
        return result


@pytest.fixture
def dgft(
    portal_server: ServerHandle,
    api_client: httpx.Client,
    run_async: RunAsync,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Dgft:
    for name, value in DEMO_SECRETS.items():
        monkeypatch.setenv(name, value)
    api_client.post("/__mock__/reset").raise_for_status()
    api_client.post("/__mock__/clock", json={"now": PORTAL_NOW}).raise_for_status()
    settings = load_settings(
        {
            "portal_url": portal_server.url + "/CP/",
            "data_dir": tmp_path / "data",
            "otp_provider": "mock-outbox",
            "captcha_provider": "mock",
            "challenge_timeout_s": 20,
        },
        env_file=None,
    )
    return Dgft(portal_server.url, api_client, settings, run_async, monkeypatch=monkeypatch)
