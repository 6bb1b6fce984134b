"""A worker's tokens: emBridge's ListToken (the mock emBridge of one PC), and the pollers
started and stopped as tokens are plugged in and pulled out."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.portal import free_port
from mock_portal import dsc
from mock_portal.embridge import _SHARED_SECRET, EmbridgeServer, run_embridge_in_thread
from rpa.distributed.tokens import EmbridgeTokens
from rpa.distributed.worker import TokenWorker
from rpa.errors import EmbridgeError

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


def token(name: str, cn: str) -> dict[str, Any]:
    return {
        "token": name,
        "type": "organisation",
        "cn": cn,
        "org": cn,
        "pin": "1234",
        "valid_to": "2030-12-31",
    }


@pytest.fixture
def pc_1(tmp_path: Path) -> Iterator[tuple[EmbridgeServer, Path]]:
    """The emBridge of a PC holding tokens A and B of the three seeded."""
    db = tmp_path / "portal.sqlite3"
    conn = sqlite3.connect(db)
    for iec, name in (("0300000001", "A"), ("0300000002", "B"), ("0300000003", "C")):
        dsc.create_tokens(conn, iec=iec, specs=[token(name, f"FIRM {name}")])
    conn.close()
    server = run_embridge_in_thread(str(db), tokens=["A", "B"], name="pc-1")
    try:
        yield server, db
    finally:
        server.stop()


def test_a_worker_lists_only_the_tokens_plugged_into_its_own_pc(
    pc_1: tuple[EmbridgeServer, Path], run_async: RunAsync
) -> None:
    server, db = pc_1
    tokens = EmbridgeTokens(server.url, _SHARED_SECRET)
    assert run_async(tokens.list()) == ["A", "B"]
    conn = sqlite3.connect(db)
    dsc.set_connected(conn, "B", False)  # pulled out
    conn.close()
    assert run_async(tokens.list()) == ["A"]


def test_a_worker_without_the_emBridge_key_or_emBridge_is_told_why(
    pc_1: tuple[EmbridgeServer, Path], run_async: RunAsync
) -> None:
    server, _ = pc_1
    with pytest.raises(EmbridgeError):
        run_async(EmbridgeTokens(server.url, b"not the integration key").list())
    with pytest.raises(EmbridgeError, match="not running"):
        run_async(EmbridgeTokens(f"http://127.0.0.1:{free_port()}", _SHARED_SECRET).list())


class ListedTokens:
    def __init__(self) -> None:
        self.now: list[str] = []

    async def list(self) -> list[str]:
        return list(self.now)


class CountingWorker(TokenWorker):
    """The token pollers as a set of queue names, without a Temporal server."""

    def _start(self, queue: str, *, workflows: bool = False) -> None:
        self.pollers[queue] = (None, None)  # type: ignore[assignment]

    async def _stop(self, queue: str) -> None:
        self.pollers.pop(queue)


def test_pollers_follow_the_tokens_as_they_are_plugged_in_and_pulled_out(
    run_async: RunAsync,
) -> None:
    listed, said = ListedTokens(), []
    worker = CountingWorker(None, None, listed, say=said.append)  # type: ignore[arg-type]
    listed.now = ["ePass A", "ePass B"]
    run_async(worker.relist())
    assert set(worker.pollers) == {"rpa-token-ePass A", "rpa-token-ePass B"}
    listed.now = ["ePass B", "ePass C"]
    run_async(worker.relist())
    assert set(worker.pollers) == {"rpa-token-ePass B", "rpa-token-ePass C"}
    assert said[-1] == "tokens: ePass B, ePass C (+ePass C -ePass A)"
    run_async(worker.relist())  # no change: nothing said
    assert len(said) == 2
