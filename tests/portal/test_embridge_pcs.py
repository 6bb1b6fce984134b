"""The mock emBridge of one PC in an office of several: it holds only its own tokens and
logs its name with each signature it makes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_portal import dsc
from mock_portal.embridge import (
    MESSAGES,
    EmbridgeServer,
    decrypt_response,
    encrypt_request,
    run_embridge_in_thread,
)

IEC = "0305012345"


def spec(token: str) -> dict[str, Any]:
    return {
        "token": token,
        "type": "organisation",
        "cn": f"HOLDER {token}",
        "org": f"FIRM {token}",
        "pin": "1234",
        "valid_to": "2036-03-31",
    }


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], dict[str, EmbridgeServer]]]:
    db = tmp_path / "portal.sqlite3"
    conn = sqlite3.connect(db)
    created = dsc.create_tokens(conn, iec=IEC, specs=[spec("A"), spec("B"), spec("C")])
    conn.close()
    keys = {c["token"]: c["key_id"] for c in created}
    pcs = {
        "pc-1": run_embridge_in_thread(str(db), tokens=["A", "B"], name="pc-1"),
        "pc-2": run_embridge_in_thread(str(db), tokens=["C"], name="pc-2"),
    }
    try:
        yield db, keys, pcs
    finally:
        for server in pcs.values():
            server.stop()


def call(url: str, operation: str, plain: dict[str, Any]) -> dict[str, Any]:
    body = httpx.post(f"{url}/DSC/{operation}", json=encrypt_request(plain), timeout=10).json()
    return decrypt_response(body["responseData"]) if body.get("status") == 1 else body


def sign(token: str, key_id: str) -> dict[str, Any]:
    return {
        "appID": "1",
        "keyStorePassphrase": "1234",
        "keyStoreDisplayName": token,
        "keyId": key_id,
        "dataToSign": "hello",
        "dataType": "TEXT",
        "timeStamp": 0,
    }


def test_each_pc_lists_only_its_own_tokens(
    office: tuple[Path, dict[str, str], dict[str, EmbridgeServer]],
) -> None:
    _, _, pcs = office
    listed = {
        pc: [t["keyStoreDisplayName"] for t in call(s.url, "ListToken", {})["tokens"]]
        for pc, s in pcs.items()
    }
    assert listed == {"pc-1": ["A", "B"], "pc-2": ["C"]}


def test_a_token_on_another_pc_is_not_inserted_here_and_each_signature_names_its_pc(
    office: tuple[Path, dict[str, str], dict[str, EmbridgeServer]],
) -> None:
    db, keys, pcs = office
    refused = call(pcs["pc-1"].url, "PKCSSign", sign("C", keys["C"]))
    assert refused == {"status": 0, "errorMessage": MESSAGES["not_found"]}
    assert "SignedText" in call(pcs["pc-2"].url, "PKCSSign", sign("C", keys["C"]))
    assert "SignedText" in call(pcs["pc-1"].url, "PKCSSign", sign("A", keys["A"]))
    conn = sqlite3.connect(db)
    log = dsc.signature_log(conn, iec=IEC)
    conn.close()
    assert [(s["token"], s["embridge"]) for s in log] == [("C", "pc-2"), ("A", "pc-1")]
