"""The DSC tokens plugged into this PC: emBridge's ``ListToken``.

emBridge takes ``{encryptedRequest, encryptionKeyID}`` and answers ``{status: 1,
responseData}`` (``shared/PORTAL.md`` §4). The portal's pages have their server seal the
request; a worker has no portal session, so it seals the request itself with the emBridge
integration key (``RPA_EMBRIDGE_SECRET``): AES-256-GCM under HMAC-SHA256(key, keyID), the
scheme the mock emBridge speaks (``docs/mock-portal.md``). Without a key, or for an emBridge
sealed some other way, a worker is given its tokens by name (``rpa worker --tokens``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rpa.errors import EmbridgeError

DEFAULT_EMBRIDGE_URL = "https://localhost.emudhra.com:26769"
LIST_TOKEN = {"AppID": "dgft-rpa", "tokenStatus": "CONNECTED", "tokenType": "ALL"}


def _cipher(secret: bytes, key_id: str) -> AESGCM:
    return AESGCM(hmac.new(secret, key_id.encode(), hashlib.sha256).digest())


def seal(secret: bytes, plain: Mapping[str, Any]) -> dict[str, str]:
    key_id = secrets.token_hex(8).upper()
    nonce = secrets.token_bytes(12)
    body = json.dumps(plain, separators=(",", ":")).encode()
    sealed = _cipher(secret, key_id).encrypt(nonce, body, b"request:" + key_id.encode())
    return {
        "encryptedRequest": base64.b64encode(nonce + sealed).decode(),
        "encryptionKeyID": key_id,
    }


def unseal(secret: bytes, response_data: str) -> dict[str, Any]:
    key_id, _, text = response_data.partition(".")
    try:
        raw = base64.b64decode(text, validate=True)
        body = _cipher(secret, key_id).decrypt(raw[:12], raw[12:], b"response:" + key_id.encode())
        plain = json.loads(body)
    except (ValueError, InvalidTag) as exc:
        raise EmbridgeError("emBridge's answer does not decrypt with this key") from exc
    if not isinstance(plain, dict):
        raise EmbridgeError("emBridge's answer is not a JSON object")
    return plain


@dataclass(frozen=True)
class EmbridgeTokens:
    """Lists the connected tokens of the emBridge at ``url``."""

    url: str
    secret: bytes
    timeout_s: float = 10.0

    async def list(self) -> list[str]:
        """The connected tokens' names (none connected: an empty list)."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, verify=False) as http:
                response = await http.post(
                    f"{self.url.rstrip('/')}/DSC/ListToken", json=seal(self.secret, LIST_TOKEN)
                )
        except httpx.HTTPError as exc:
            raise EmbridgeError(f"emBridge is not running at {self.url}: {exc}") from exc
        try:
            answer = response.json()
        except ValueError as exc:
            raise EmbridgeError(f"emBridge answered HTTP {response.status_code}") from exc
        if answer.get("status") != 1:
            message = str(answer.get("errorMessage") or "")
            if "not connected" in message.lower() or "not inserted" in message.lower():
                return []
            raise EmbridgeError(f"emBridge refused ListToken: {message}")
        plain = unseal(self.secret, str(answer.get("responseData", "")))
        return sorted(
            str(t["keyStoreDisplayName"])
            for t in plain.get("tokens", [])
            if isinstance(t, dict) and t.get("keyStoreDisplayName")
        )


@dataclass(frozen=True)
class FixedTokens:
    """Tokens given by name (``rpa worker --tokens``)."""

    names: tuple[str, ...]

    async def list(self) -> list[str]:
        return sorted(self.names)
