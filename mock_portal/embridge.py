"""The simulated emBridge: eMudhra's local DSC signing service, over soft tokens.

The real service listens on ``https://localhost.emudhra.com:26769``; this one speaks plain HTTP
on a loopback port (default 26769) with the same endpoints and envelope (PORTAL.md §4):

- ``GET /DSC/Version`` → ``{status: 1, version}``
- ``POST /DSC/ListToken | ListCertificate | PKCSSign | PKCSBulkSign`` with JSON
  ``{encryptedRequest, encryptionKeyID}`` → ``{status: 1, responseData}`` or
  ``{status: 0, errorMessage}``. Business refusals answer HTTP 200 with status 0; a malformed
  envelope HTTP 400; an unknown operation HTTP 404.

Plain bodies (after decryption):

- ListToken ``{AppID, tokenStatus: "CONNECTED", tokenType: "ALL"}`` →
  ``{tokens: [{keyStoreDisplayName}]}``; no connected token is a refusal.
- ListCertificate ``{appID, keyStoreDisplayName, certFilter: {commonName, issuerName,
  serialNumber, isNotExpired}}`` → ``{Certificates: [{KeyId, CommonName, IssuerName,
  SerialNumber, ValidFrom, ValidTo, Subject, IsExpired}]}`` (empty filter values match all),
  one per certificate on the token, in the order they were seeded. ``Subject`` is the RFC 4514
  subject, e.g. ``CN=RAVI KUMAR,2.5.4.5=<SHA-256 hex of the PAN>,O=Personal,C=IN``. A token
  seeded with the test option ``list_delay_ms`` answers that many milliseconds late.
- PKCSSign ``{appID, keyStorePassphrase, keyStoreDisplayName, keyId, dataToSign, dataType,
  timeStamp}`` → ``{SignedText, SiginedCertificate, Status: "Success"}``: SignedText is the
  base64 ECDSA/SHA-256 signature of ``dataToSign`` (UTF-8; base64-decoded first when
  ``dataType`` is "BASE64"), SiginedCertificate the signer's certificate as PEM. A token
  seeded with the test option ``sign_error`` refuses with that message instead.
- PKCSBulkSign ``{appID, keyStorePassphrase, keyStoreDisplayName, keyId, PDFName,
  PdfFileBase64}`` → ``{bulkSignItems: [{Id, signedData, status: 1}], SiginedCertificate}``,
  signedData signing the decoded file bytes (the mock does not embed it in the PDF).

Envelope encryption (invented [I]; all of it in the "envelope" section below): AES-256-GCM,
the key for each ``encryptionKeyID`` being HMAC-SHA256(:data:`_SHARED_SECRET`, keyID). The
portal server mints a random keyID per request; emBridge answers under the same key, with
``responseData = "<keyID>.<base64(nonce | ciphertext)>"``. The portal side of this is
:func:`handle_portal_action`, called from ``/CP/web?requestType=ApplicationRH&actionVal=...``.

Several PCs: ``--tokens A,B --name pc-1`` makes the emBridge of a PC holding only those
tokens (it lists them alone; any other is "not inserted"), and logs its name with each
signature (``dsc.signature_log``, ``GET /__mock__/signatures``); two of them over one
database are an office's two PCs.

Run it: ``python -m mock_portal.embridge --db PATH [--host 127.0.0.1] [--port 26769]
[--tokens A,B] [--name N]``, or in-process with :func:`run_embridge_in_thread`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import uvicorn
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mock_portal import dsc

EMBRIDGE_VERSION: Final = "2.8.5"
DEFAULT_PORT: Final = 26769
VALIDITY_FORMAT: Final = "%d/%m/%Y %H:%M:%S"  # IST, in ListCertificate [I]

#: What emBridge says. The first two are DGFT's FAQ wording [S]; the rest invented [I].
MESSAGES: Final[dict[str, str]] = {
    "not_connected": "DSC Token is not connected with System, please connect token",
    "not_found": "Your DSC is not inserted",
    "cert_not_found": "The selected certificate is not found in the token",
    "pin_required": "Please enter the token PIN",
    "wrong_pin": "Incorrect PIN. {attempts_left} attempt(s) left before the token is locked.",
    "locked": (
        "Token is locked after 3 incorrect PIN attempts. "
        "Contact your Certifying Authority to unlock it."
    ),
    "invalid_request": "Invalid request",
    "unknown_operation": "Requested endpoint not found",
}


# --- envelope: the portal server <-> emBridge encryption --------------------------------------

_SHARED_SECRET: Final = b"mock-dgft-portal/embridge/shared-secret/v1"
_KEY_ID: Final = re.compile(r"^[0-9A-Za-z_-]{4,64}$")


class EnvelopeError(ValueError):
    """An envelope that does not decrypt or does not hold a JSON object."""


def _cipher(key_id: str) -> AESGCM:
    if not _KEY_ID.match(key_id):
        raise EnvelopeError("bad encryptionKeyID")
    return AESGCM(hmac.new(_SHARED_SECRET, key_id.encode(), hashlib.sha256).digest())


def _seal(key_id: str, direction: bytes, plain: Mapping[str, Any]) -> str:
    nonce = secrets.token_bytes(12)
    body = json.dumps(plain, separators=(",", ":")).encode()
    sealed = _cipher(key_id).encrypt(nonce, body, direction + key_id.encode())
    return base64.b64encode(nonce + sealed).decode()


def _open(key_id: str, direction: bytes, text: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(text, validate=True)
        body = _cipher(key_id).decrypt(raw[:12], raw[12:], direction + key_id.encode())
        plain = json.loads(body)
    except (binascii.Error, InvalidTag, ValueError) as exc:
        raise EnvelopeError("envelope does not decrypt") from exc
    if not isinstance(plain, dict):
        raise EnvelopeError("envelope does not hold a JSON object")
    return plain


def encrypt_request(plain: Mapping[str, Any]) -> dict[str, str]:
    """Portal side: ``{encryptedRequest, encryptionKeyID}`` for a plain request body."""
    key_id = secrets.token_hex(8).upper()
    return {"encryptedRequest": _seal(key_id, b"request:", plain), "encryptionKeyID": key_id}


def decrypt_request(envelope: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """emBridge side: ``(key_id, plain)`` of an envelope. Raises EnvelopeError."""
    key_id, sealed = envelope.get("encryptionKeyID"), envelope.get("encryptedRequest")
    if not isinstance(key_id, str) or not isinstance(sealed, str):
        raise EnvelopeError("encryptedRequest and encryptionKeyID are required")
    return key_id, _open(key_id, b"request:", sealed)


def encrypt_response(key_id: str, plain: Mapping[str, Any]) -> str:
    """emBridge side: the ``responseData`` for a plain response body."""
    return f"{key_id}.{_seal(key_id, b'response:', plain)}"


def decrypt_response(response_data: str) -> dict[str, Any]:
    """Portal side: the plain body of a ``responseData``. Raises EnvelopeError."""
    key_id, dot, sealed = response_data.strip().partition(".")
    if not dot:
        raise EnvelopeError("responseData carries no key ID")
    return _open(key_id, b"response:", sealed)


def handle_portal_action(action: str, form: Mapping[str, Any]) -> dict[str, Any] | None:
    """The portal server's half of the envelope, for its ``/CP/web`` action dispatcher.

    - ``encryptEmbridgeRequest``: form field ``plain`` (a JSON object as text) →
      ``{encryptedRequest, encryptionKeyID}``, to POST as-is to emBridge.
    - ``decryptEmbridgeResponse``: form field ``responseData`` → the plain response dict.
    - any other action: None (not ours).

    Raises :class:`EnvelopeError` (a ValueError) on bad input; answer it with HTTP 400.
    """
    if action == "encryptEmbridgeRequest":
        try:
            plain = json.loads(str(form.get("plain", "")))
        except ValueError as exc:
            raise EnvelopeError("plain is not JSON") from exc
        if not isinstance(plain, dict):
            raise EnvelopeError("plain is not a JSON object")
        return encrypt_request(plain)
    if action == "decryptEmbridgeResponse":
        return decrypt_response(str(form.get("responseData", "")))
    return None


# --- operations on plain bodies ---------------------------------------------------------------


class _Refusal(Exception):
    def __init__(self, message: str, status_code: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def _text(plain: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = plain.get(name)
    if value is None or value == "":
        if required:
            raise _Refusal(f"{MESSAGES['invalid_request']}: {name} is required", 400)
        return ""
    return str(value)


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _token_refusal(exc: dsc.TokenError) -> _Refusal:
    return _Refusal(exc.message or MESSAGES[exc.code].format(attempts_left=exc.attempts_left))


def _list_token(conn: sqlite3.Connection, plain: dict[str, Any], now: datetime) -> dict[str, Any]:
    names = dsc.connected_tokens(conn)
    if not names:
        raise _Refusal(MESSAGES["not_connected"])
    return {"tokens": [{"keyStoreDisplayName": name} for name in names]}


def _describe(key_id: str, cert: x509.Certificate, now: datetime) -> dict[str, Any]:
    def cn(name: x509.Name) -> str:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(values[0].value) if values else ""

    return {
        "KeyId": key_id,
        "CommonName": cn(cert.subject),
        "IssuerName": cn(cert.issuer),
        "SerialNumber": format(cert.serial_number, "X"),
        "ValidFrom": cert.not_valid_before_utc.astimezone(dsc.IST).strftime(VALIDITY_FORMAT),
        "ValidTo": cert.not_valid_after_utc.astimezone(dsc.IST).strftime(VALIDITY_FORMAT),
        "Subject": cert.subject.rfc4514_string(),
        "IsExpired": now > cert.not_valid_after_utc,
    }


def _list_certificate(
    conn: sqlite3.Connection, plain: dict[str, Any], now: datetime
) -> dict[str, Any]:
    token = _text(plain, "keyStoreDisplayName")
    try:
        certs = dsc.token_certificates(conn, token)
    except dsc.TokenError as exc:
        raise _token_refusal(exc) from None
    found = [_describe(key_id, dsc.load_certificate(pem), now) for key_id, pem in certs]
    wanted = plain.get("certFilter") or {}
    if not isinstance(wanted, dict):
        raise _Refusal(f"{MESSAGES['invalid_request']}: certFilter", 400)
    for key, column in (
        ("commonName", "CommonName"),
        ("issuerName", "IssuerName"),
        ("serialNumber", "SerialNumber"),
    ):
        if wanted.get(key):
            found = [c for c in found if c[column].casefold() == str(wanted[key]).casefold()]
    if _truthy(wanted.get("isNotExpired")):
        found = [c for c in found if not c["IsExpired"]]
    delay_ms = dsc.list_delay_ms(conn, token)
    if delay_ms > 0:  # a slow token (test option); this runs in a worker thread
        time.sleep(delay_ms / 1000)
    return {"Certificates": found}


def _sign(plain: dict[str, Any], conn: sqlite3.Connection, data: bytes) -> tuple[str, str]:
    try:
        return dsc.sign_with_token(
            conn,
            _text(plain, "keyStoreDisplayName"),
            key_id=_text(plain, "keyId"),
            pin=_text(plain, "keyStorePassphrase", required=False),
            data=data,
            embridge=str(plain.get(_EMBRIDGE_NAME) or "embridge"),
        )
    except dsc.TokenError as exc:
        raise _token_refusal(exc) from None


def _b64decode(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise _Refusal(f"{MESSAGES['invalid_request']}: {name} is not base64", 400) from None


def _pkcs_sign(conn: sqlite3.Connection, plain: dict[str, Any], now: datetime) -> dict[str, Any]:
    text = _text(plain, "dataToSign")
    is_b64 = _text(plain, "dataType", required=False).upper() == "BASE64"
    data = _b64decode(text, "dataToSign") if is_b64 else text.encode()
    signature, cert_pem = _sign(plain, conn, data)
    return {"SignedText": signature, "SiginedCertificate": cert_pem, "Status": "Success"}


def _pkcs_bulk_sign(
    conn: sqlite3.Connection, plain: dict[str, Any], now: datetime
) -> dict[str, Any]:
    data = _b64decode(_text(plain, "PdfFileBase64"), "PdfFileBase64")
    signature, cert_pem = _sign(plain, conn, data)
    item = {"Id": _text(plain, "PDFName", required=False), "signedData": signature, "status": 1}
    return {"bulkSignItems": [item], "SiginedCertificate": cert_pem}


_Operation = Callable[[sqlite3.Connection, dict[str, Any], datetime], dict[str, Any]]
_OPERATIONS: Final[dict[str, _Operation]] = {
    "ListToken": _list_token,
    "ListCertificate": _list_certificate,
    "PKCSSign": _pkcs_sign,
    "PKCSBulkSign": _pkcs_bulk_sign,
}


# --- the HTTP app -----------------------------------------------------------------------------


def _connect(db_path: str) -> sqlite3.Connection:
    return sqlite3.connect(db_path, timeout=10, check_same_thread=False)


def _failure(message: str, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"status": 0, "errorMessage": message}, status_code=status_code)


#: the key under which the app tells an operation its name (never a key of a real body)
_EMBRIDGE_NAME: Final = "__embridge__"


def _plugged_here(
    op: _Operation, plain: dict[str, Any], tokens: frozenset[str] | None
) -> _Operation:
    """``op`` as seen on a PC holding only ``tokens`` (None: every token): ListToken lists
    those, and any other token is as though pulled out."""
    if tokens is None:
        return op
    if op is _list_token:

        def listed(conn: sqlite3.Connection, p: dict[str, Any], now: datetime) -> dict[str, Any]:
            names = [n for n in dsc.connected_tokens(conn) if n in tokens]
            if not names:
                raise _Refusal(MESSAGES["not_connected"])
            return {"tokens": [{"keyStoreDisplayName": name} for name in names]}

        return listed
    if str(plain.get("keyStoreDisplayName", "")) not in tokens:

        def absent(conn: sqlite3.Connection, p: dict[str, Any], now: datetime) -> dict[str, Any]:
            raise _Refusal(MESSAGES["not_found"])

        return absent
    return op


def create_embridge_app(
    db_path: str,
    *,
    clock: Callable[[], datetime] | None = None,
    tokens: Collection[str] | None = None,
    name: str = "embridge",
) -> Starlette:
    """The emBridge app over the tokens in ``db_path`` (schema created if missing; WAL).

    ``clock`` is the user's machine clock (for ``isNotExpired``), default the real one.
    ``tokens``: the emBridge of a PC holding only these tokens (of the seeded ones): it
    lists only those, and any other token is "not inserted" there; several such apps over
    one database are an office's PCs. ``name`` is logged with each signature it makes
    (``dsc.signature_log``), to tell which PC signed.
    """
    plugged = frozenset(tokens) if tokens is not None else None
    conn = _connect(db_path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        dsc.ensure_schema(conn)
    finally:
        conn.close()
    now = clock or (lambda: datetime.now(UTC))

    def run(operation: _Operation, plain: dict[str, Any]) -> dict[str, Any]:
        conn = _connect(db_path)
        try:
            return operation(conn, plain, now())
        finally:
            conn.close()

    async def version(request: Request) -> JSONResponse:
        return JSONResponse({"status": 1, "version": EMBRIDGE_VERSION})

    async def operation(request: Request) -> JSONResponse:
        op = _OPERATIONS.get(request.path_params["operation"])
        if op is None:
            return _failure(MESSAGES["unknown_operation"], 404)
        try:
            envelope = json.loads(await request.body())
            if not isinstance(envelope, dict):
                raise EnvelopeError("envelope is not a JSON object")
            key_id, plain = decrypt_request(envelope)
        except ValueError:  # EnvelopeError and JSONDecodeError alike
            return _failure(MESSAGES["invalid_request"], 400)
        op = _plugged_here(op, plain, plugged)
        plain[_EMBRIDGE_NAME] = name
        try:
            answer = await run_in_threadpool(run, op, plain)
        except _Refusal as refusal:
            return _failure(refusal.message, refusal.status_code)
        return JSONResponse({"status": 1, "responseData": encrypt_response(key_id, answer)})

    return Starlette(
        routes=[
            Route("/DSC/Version", version, methods=["GET"]),
            Route("/DSC/{operation}", operation, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["*"],
                max_age=600,
            )
        ],
    )


# --- running it -------------------------------------------------------------------------------


@dataclass
class EmbridgeServer:
    """A running emBridge: ``url`` (``http://host:port``), ``port``, ``stop()``."""

    url: str
    port: int
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> EmbridgeServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_embridge_in_thread(
    db_path: str,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    timeout: float = 10.0,
    tokens: Collection[str] | None = None,
    name: str = "embridge",
) -> EmbridgeServer:
    """Start emBridge with uvicorn in a daemon thread and return once it answers.

    ``port=0`` picks a free port; ``tokens`` and ``name`` as for :func:`create_embridge_app`.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_embridge_app(db_path, tokens=tokens, name=name),
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"embridge:{bound}", daemon=True
    )
    thread.start()
    url = f"http://[{host}]:{bound}" if family == socket.AF_INET6 else f"http://{host}:{bound}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and thread.is_alive():
        if server.started:
            try:
                if httpx.get(f"{url}/DSC/Version", timeout=2).status_code == 200:
                    return EmbridgeServer(url=url, port=bound, _server=server, _thread=thread)
            except httpx.HTTPError:
                pass
        time.sleep(0.02)
    server.should_exit = True
    raise RuntimeError(f"emBridge did not start on {url}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m mock_portal.embridge", description="Simulated emBridge (DSC signing)."
    )
    parser.add_argument("--db", required=True, help="the mock portal's SQLite file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--tokens", help="this PC's tokens, comma-separated (default: every seeded token)"
    )
    parser.add_argument("--name", default="embridge", help="logged with each signature")
    args = parser.parse_args(argv)
    tokens = [t.strip() for t in args.tokens.split(",") if t.strip()] if args.tokens else None
    app = create_embridge_app(args.db, tokens=tokens, name=args.name)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
