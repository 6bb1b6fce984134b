"""Soft DSC tokens for the simulated emBridge, and the portal's DSC rules.

A *token* is what a USB crypto token is to a real user: a named device holding one or more
key pairs, each with its certificate, protected by a PIN, locked after three wrong PINs. Tokens
live in the portal's SQLite file (table ``dsc_tokens``, one row per certificate), so the portal
can seed them and the emBridge simulator (possibly another process) can use them.

Two per-token options exist for tests only (inventions [I]): ``list_delay_ms`` makes emBridge's
ListCertificate answer that late (a slow token), ``sign_error`` makes its PKCSSign refuse with
that message (a refusal that is not about the PIN).

Crypto choices (all of them mock inventions, marked [I] in PORTAL.md terms):

- Keys are **EC P-256** (fast to generate), signatures **ECDSA with SHA-256**, DER-encoded,
  base64 in transport. A real emBridge returns PKCS#7; a bare signature is enough here.
- The private key is stored as encrypted PKCS#8 PEM (``BestAvailableEncryption`` with the PIN),
  so a wrong PIN is simply a key that does not decrypt.
- Certificates are issued by one **mock CA** ("Mock eMudhra Sub CA"). Its key is *derived from a
  published constant* and its certificate is built deterministically (RFC 6979 signing), so
  every process — portal, emBridge, tests — knows the same CA without sharing a database row,
  and :func:`verify_signature` needs no connection. Nothing here is secret.
- Certificate subject, by token type:

  ============  ===========================================================================
  individual    CN=cn, O=Personal, serialNumber=SHA-256 hex of the PAN (as real Indian DSCs)
  organisation  CN=cn, O=org, and serialNumber=PAN hash when a PAN is given
  iec           CN=cn, O=org (if given), and the IEC in :data:`IEC_ATTRIBUTE` (``UID``)
  ============  ===========================================================================

- The class (1, 2 or 3) is a certificate policy OID ``2.16.356.100.2.<class>``
  (:data:`CLASS_POLICY_ARC`, after India's CCA policy arc).

The portal decides which rule applies from the certificate alone (see
:func:`check_token_rules`): the IEC attribute makes an IEC token; otherwise O "Personal",
blank or absent makes an individual token; any other O makes an organisation token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import sqlite3
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_NAME: Final = "Mock eMudhra Sub CA"
#: Where an IEC token carries its IEC. One constant, so it is cheap to correct.
IEC_ATTRIBUTE: Final = NameOID.USER_ID
#: Class N is the certificate policy ``2.16.356.100.2.N``.
CLASS_POLICY_ARC: Final = "2.16.356.100.2"
PERSONAL_ORG: Final = "Personal"
MAX_PIN_ATTEMPTS: Final = 3
TOKEN_TYPES: Final = ("individual", "organisation", "iec")

IST: Final = timezone(timedelta(hours=5, minutes=30), "IST")
_CA_SEED: Final = b"mock-dgft-portal/dsc/ca-key/v1"
_CA_VALIDITY: Final = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC))
_ECDSA: Final = ec.ECDSA(hashes.SHA256())

#: The portal's refusal messages, wording invented [I].
MESSAGES: Final[dict[str, str]] = {
    "invalid": "The selected DSC could not be read. Please select a valid certificate.",
    "untrusted": "The DSC is not issued by a licensed Certifying Authority.",
    "class": "Only Class 2 or Class 3 DSC is allowed.",
    "expired": "The DSC has expired. Please use a valid DSC.",
    "not_yet_valid": "The DSC is not yet valid.",
    "iec_mismatch": "The IEC in the DSC does not match the IEC number.",
    "pan_mismatch": "The PAN in the DSC does not match the PAN of the IEC.",
    "individual_org": (
        "For an individual DSC the Organisation in the certificate must be 'Personal' or blank."
    ),
    "org_for_proprietorship": "An organisation DSC cannot be used for a Proprietorship firm.",
    "org_name_mismatch": (
        "The Organisation name in the DSC does not match the Name as per PAN of the IEC."
    ),
}

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS dsc_tokens (
    key_id       TEXT PRIMARY KEY,          -- subject key identifier, hex: one certificate
    token        TEXT NOT NULL,             -- keyStoreDisplayName; one row per certificate
    iec          TEXT NOT NULL,             -- the IEC this token was seeded for
    type         TEXT NOT NULL CHECK (type IN ('individual', 'organisation', 'iec')),
    cn           TEXT NOT NULL,
    org          TEXT,
    pan_hash     TEXT,
    cls          INTEGER NOT NULL,
    key_pem      TEXT NOT NULL,             -- PKCS#8, encrypted with the PIN
    cert_pem     TEXT NOT NULL,
    -- the token's state, the same on each of its rows
    connected    INTEGER NOT NULL DEFAULT 1,
    failed_pins  INTEGER NOT NULL DEFAULT 0,
    locked       INTEGER NOT NULL DEFAULT 0,
    list_delay_ms INTEGER NOT NULL DEFAULT 0,  -- test option: ListCertificate answers late
    sign_error   TEXT,                      -- test option: PKCSSign refuses with this message
    signatures   INTEGER NOT NULL DEFAULT 0 -- signatures this certificate's key has made
);
CREATE INDEX IF NOT EXISTS dsc_tokens_token ON dsc_tokens (token);
-- each signature a token made, and which emBridge (which PC) made it
CREATE TABLE IF NOT EXISTS dsc_signatures (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    iec          TEXT NOT NULL,
    embridge     TEXT NOT NULL,             -- the emBridge's name (create_embridge_app)
    at           TEXT NOT NULL
);
"""
#: Columns of the first schema (one certificate per token, keyed by token name).
_V1_COLUMNS: Final = (
    "token, iec, type, cn, org, pan_hash, cls, key_id, key_pem, cert_pem, connected,"
    " failed_pins, locked"
)
#: Per-token spec keys of :func:`create_tokens`: the certificates of one token must agree.
_TOKEN_OPTIONS: Final = ("connected", "list_delay_ms", "sign_error")


class TokenError(Exception):
    """A token refused to sign. ``code`` is one of: not_found, cert_not_found, pin_required,
    wrong_pin, locked, refused (the token's ``sign_error``, in ``message``).
    ``attempts_left`` is set for wrong_pin."""

    def __init__(
        self, code: str, *, attempts_left: int | None = None, message: str | None = None
    ) -> None:
        super().__init__(code)
        self.code = code
        self.attempts_left = attempts_left
        self.message = message


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the ``dsc_tokens`` table if it is missing; a table of the first schema (one
    certificate per token) is carried over to this one."""
    columns = {str(row[1]) for row in conn.execute("PRAGMA table_info(dsc_tokens)")}
    if columns and "signatures" not in columns:
        conn.executescript(
            "BEGIN IMMEDIATE;"
            " ALTER TABLE dsc_tokens RENAME TO dsc_tokens_v1;"
            f" {_SCHEMA}"
            f" INSERT INTO dsc_tokens ({_V1_COLUMNS}) SELECT {_V1_COLUMNS} FROM dsc_tokens_v1;"
            " DROP TABLE dsc_tokens_v1;"
            " COMMIT;"
        )
    conn.executescript(_SCHEMA)


def pan_hash(pan: str) -> str:
    """SHA-256 hex of the upper-cased PAN, as carried in a DSC's ``serialNumber``."""
    return hashlib.sha256(pan.strip().upper().encode()).hexdigest()


# --- the mock CA ------------------------------------------------------------------------------


def _ca_key() -> ec.EllipticCurvePrivateKey:
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 n
    scalar = int.from_bytes(hashlib.sha256(_CA_SEED).digest()) % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


_CA_CACHE: dict[str, tuple[ec.EllipticCurvePrivateKey, x509.Certificate]] = {}


def _ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if "ca" not in _CA_CACHE:
        key = _ca_key()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Mock eMudhra Limited"),
                x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(0x4D4F434B)
            .not_valid_before(_CA_VALIDITY[0])
            .not_valid_after(_CA_VALIDITY[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
        )
        _CA_CACHE["ca"] = (key, cert)
    return _CA_CACHE["ca"]


def ca_certificate_pem() -> str:
    """The mock CA's certificate (the same in every process)."""
    return _ca()[1].public_bytes(serialization.Encoding.PEM).decode()


# --- issuing tokens ---------------------------------------------------------------------------


def issue_certificate(
    public_key: ec.EllipticCurvePublicKey,
    *,
    cn: str,
    org: str | None,
    pan: str | None,
    iec: str | None,
    cls: int,
    valid_to: date,
) -> x509.Certificate:
    """Issue a certificate from the mock CA with exactly the given subject pieces.

    Lower level than :func:`create_tokens` (which maps a token type to these pieces); tests use
    it to build odd certificates, e.g. an individual DSC with a company name in O.
    """
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "IN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if iec:
        attrs.append(x509.NameAttribute(IEC_ATTRIBUTE, iec))
    if pan:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, pan_hash(pan)))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    not_after = datetime.combine(valid_to, time(23, 59, 59), IST)
    not_before = min(datetime.now(UTC), not_after) - timedelta(days=730)
    ca_key, ca_cert = _ca()
    policy = x509.PolicyInformation(x509.ObjectIdentifier(f"{CLASS_POLICY_ARC}.{cls}"), None)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.CertificatePolicies([policy]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def create_tokens(
    conn: sqlite3.Connection, *, iec: str, specs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Create soft tokens for one IEC and commit; a token named here replaces the token of
    that name (all its certificates).

    Each spec is one certificate: ``{token, type: individual|organisation|iec, cn, org, pan,
    pin, valid_to: "YYYY-MM-DD", class: 1|2|3 (default 3), connected: bool (default True)}``.
    Specs with the same ``token`` make one token holding several certificates, in spec order
    (give them the same PIN, as a real token has one). ``pan`` is required for individual
    tokens; ``org`` for organisation tokens. An IEC token carries the ``iec`` argument (or
    the spec's own ``iec``, to build a mismatching one). Test options, per token:
    ``list_delay_ms`` (ListCertificate answers that late), ``sign_error`` (PKCSSign refuses
    with this message); ``connected`` and these must agree among a token's specs.
    Returns ``[{token, type, cn, key_id}]``, one per spec.
    """
    ensure_schema(conn)
    created: list[dict[str, Any]] = []
    rows = []
    options: dict[str, tuple[object, ...]] = {}
    for spec in specs:
        kind = str(spec.get("type", ""))
        if kind not in TOKEN_TYPES:
            raise ValueError(f"token type must be one of {TOKEN_TYPES}, not {kind!r}")
        token, cn, pin = str(spec["token"]), str(spec["cn"]), str(spec.get("pin", ""))
        if not pin:
            raise ValueError(f"token {token!r}: a PIN is required")
        cls = int(spec.get("class", 3))
        if cls not in (1, 2, 3):
            raise ValueError(f"token {token!r}: class must be 1, 2 or 3")
        connected = 1 if spec.get("connected", True) else 0
        delay = int(spec.get("list_delay_ms") or 0)
        sign_error = str(spec["sign_error"]) if spec.get("sign_error") else None
        per_token = (connected, delay, sign_error)
        if options.setdefault(token, per_token) != per_token:
            raise ValueError(
                f"token {token!r}: its certificates disagree on {', '.join(_TOKEN_OPTIONS)}"
            )
        pan = str(spec["pan"]).strip().upper() if spec.get("pan") else None
        org = str(spec["org"]).strip() if spec.get("org") else None
        cert_iec = None
        if kind == "individual":
            if not pan:
                raise ValueError(f"token {token!r}: an individual token needs a PAN")
            org = PERSONAL_ORG
        elif kind == "organisation" and not org:
            raise ValueError(f"token {token!r}: an organisation token needs an org")
        elif kind == "iec":
            cert_iec = str(spec.get("iec") or iec)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = issue_certificate(
            key.public_key(),
            cn=cn,
            org=org,
            pan=pan,
            iec=cert_iec,
            cls=cls,
            valid_to=date.fromisoformat(str(spec["valid_to"])),
        )
        key_id = _key_id(cert)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(pin.encode()),
        ).decode()
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        pan_digest = pan_hash(pan) if pan else None
        certificate = (token, iec, kind, cn, org, pan_digest, cls, key_id, key_pem, cert_pem)
        rows.append((*certificate, connected, delay, sign_error))
        created.append({"token": token, "type": kind, "cn": cn, "key_id": key_id})
    with conn:
        conn.executemany("DELETE FROM dsc_tokens WHERE token = ?", [(t,) for t in options])
        conn.executemany(
            "INSERT INTO dsc_tokens (token, iec, type, cn, org, pan_hash, cls, key_id, key_pem,"
            " cert_pem, connected, list_delay_ms, sign_error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return created


def set_connected(conn: sqlite3.Connection, token: str, connected: bool) -> None:
    """Plug a token in or pull it out."""
    with conn:
        conn.execute("UPDATE dsc_tokens SET connected = ? WHERE token = ?", (int(connected), token))


def unlock_token(conn: sqlite3.Connection, token: str) -> None:
    """What the CA's helpdesk does: reset the wrong-PIN count."""
    with conn:
        conn.execute("UPDATE dsc_tokens SET failed_pins = 0, locked = 0 WHERE token = ?", (token,))


# --- what the emBridge simulator asks of tokens -----------------------------------------------


def connected_tokens(conn: sqlite3.Connection) -> list[str]:
    """Names of the connected tokens, in a stable order."""
    rows = conn.execute("SELECT DISTINCT token FROM dsc_tokens WHERE connected = 1 ORDER BY token")
    return [str(r[0]) for r in rows]


def token_certificates(conn: sqlite3.Connection, token: str) -> list[tuple[str, str]]:
    """``[(key_id, cert_pem)]`` of a connected token, in the order they were created;
    TokenError(not_found) otherwise."""
    rows = conn.execute(
        "SELECT key_id, cert_pem FROM dsc_tokens WHERE token = ? AND connected = 1 ORDER BY rowid",
        (token,),
    ).fetchall()
    if not rows:
        raise TokenError("not_found")
    return [(str(r[0]), str(r[1])) for r in rows]


def list_delay_ms(conn: sqlite3.Connection, token: str) -> int:
    """How late the token's certificate list comes (test option), in milliseconds."""
    row = conn.execute(
        "SELECT MAX(list_delay_ms) FROM dsc_tokens WHERE token = ?", (token,)
    ).fetchone()
    return int(row[0] or 0) if row else 0


def token_summaries(conn: sqlite3.Connection, iec: str | None = None) -> list[dict[str, Any]]:
    """One dict per certificate (of the tokens seeded for ``iec``, or all): ``{token, iec,
    type, cn, key_id, connected, locked, failed_pins, list_delay_ms, sign_error, signatures}``,
    ``signatures`` counting what the certificate's key signed."""
    sql = (
        "SELECT token, iec, type, cn, key_id, connected, locked, failed_pins, list_delay_ms,"
        " sign_error, signatures FROM dsc_tokens"
    )
    rows = conn.execute(
        sql + (" WHERE iec = ? ORDER BY token, rowid" if iec else " ORDER BY token, rowid"),
        (iec.upper(),) if iec else (),
    ).fetchall()
    return [
        {
            "token": str(r[0]),
            "iec": str(r[1]),
            "type": str(r[2]),
            "cn": str(r[3]),
            "key_id": str(r[4]),
            "connected": bool(r[5]),
            "locked": bool(r[6]),
            "failed_pins": int(r[7]),
            "list_delay_ms": int(r[8]),
            "sign_error": r[9],
            "signatures": int(r[10]),
        }
        for r in rows
    ]


def sign_with_token(
    conn: sqlite3.Connection,
    token: str,
    *,
    key_id: str,
    pin: str,
    data: bytes,
    embridge: str = "embridge",
) -> tuple[str, str]:
    """Sign ``data`` with the key ``key_id`` of a token: returns ``(signature_b64, cert_pem)``.
    The signature is logged with the name of the ``embridge`` that made it
    (:func:`signature_log`).

    Raises :class:`TokenError`. A wrong PIN is counted, for the whole token, and commits; the
    third in a row locks the token (a correct PIN resets the count), as a real token does.
    """
    rows = conn.execute(
        "SELECT key_id, key_pem, cert_pem, failed_pins, locked, sign_error FROM dsc_tokens"
        " WHERE token = ? AND connected = 1",
        (token,),
    ).fetchall()
    if not rows:
        raise TokenError("not_found")
    row = next((r for r in rows if str(r[0]).upper() == key_id.strip().upper()), None)
    if row is None:
        raise TokenError("cert_not_found")
    if row[4]:
        raise TokenError("locked")
    if row[5]:
        raise TokenError("refused", message=str(row[5]))
    if not pin:
        raise TokenError("pin_required")
    try:
        key = serialization.load_pem_private_key(str(row[1]).encode(), pin.encode())
    except (ValueError, TypeError):
        failed = int(row[3]) + 1
        with conn:
            conn.execute(
                "UPDATE dsc_tokens SET failed_pins = ?, locked = ? WHERE token = ?",
                (failed, int(failed >= MAX_PIN_ATTEMPTS), token),
            )
        if failed >= MAX_PIN_ATTEMPTS:
            raise TokenError("locked") from None
        raise TokenError("wrong_pin", attempts_left=MAX_PIN_ATTEMPTS - failed) from None
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(data, _ECDSA)
    with conn:
        conn.execute("UPDATE dsc_tokens SET failed_pins = 0 WHERE token = ?", (token,))
        conn.execute(
            "UPDATE dsc_tokens SET signatures = signatures + 1 WHERE key_id = ?", (row[0],)
        )
        conn.execute(
            "INSERT INTO dsc_signatures (token, key_id, iec, embridge, at)"
            " SELECT token, key_id, iec, ?, ? FROM dsc_tokens WHERE key_id = ?",
            (embridge, datetime.now(UTC).isoformat(timespec="milliseconds"), row[0]),
        )
    return base64.b64encode(signature).decode(), str(row[2])


def signature_log(conn: sqlite3.Connection, iec: str | None = None) -> list[dict[str, Any]]:
    """Every signature made (of the tokens seeded for ``iec``, or all), oldest first:
    ``{token, key_id, iec, embridge, at}``."""
    ensure_schema(conn)
    sql = "SELECT token, key_id, iec, embridge, at FROM dsc_signatures"
    rows = conn.execute(
        sql + (" WHERE iec = ? ORDER BY id" if iec else " ORDER BY id"),
        (iec.upper(),) if iec else (),
    ).fetchall()
    names = ("token", "key_id", "iec", "embridge", "at")
    return [dict(zip(names, (str(v) for v in r), strict=True)) for r in rows]


# --- what the portal checks -------------------------------------------------------------------


def load_certificate(text: str) -> x509.Certificate:
    """Parse a certificate given as PEM or as base64 DER. Raises ValueError."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return x509.load_pem_x509_certificate(text.encode())
    try:
        der = base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except binascii.Error as exc:
        raise ValueError("not a PEM or base64 DER certificate") from exc
    return x509.load_der_x509_certificate(der)


def _issued_by_mock_ca(cert: x509.Certificate) -> bool:
    ca_cert = _ca()[1]
    if cert.issuer != ca_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def verify_signature(cert_pem: str, data: str | bytes, signature_b64: str) -> bool:
    """True when ``signature_b64`` is the certificate's key's signature of ``data`` (UTF-8 for
    text) and the certificate was issued by the mock CA. Never raises on bad input."""
    try:
        cert = load_certificate(cert_pem)
        signature = base64.b64decode(signature_b64, validate=True)
        public_key = cert.public_key()
    except (ValueError, TypeError, binascii.Error):
        return False
    if not _issued_by_mock_ca(cert) or not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False
    payload = data.encode() if isinstance(data, str) else data
    try:
        public_key.verify(signature, payload, _ECDSA)
    except InvalidSignature:
        return False
    return True


def certificate_class(cert: x509.Certificate) -> int | None:
    """The class from the certificate policy OID, or None when there is none."""
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return None
    for policy in policies:
        arc, _, last = policy.policy_identifier.dotted_string.rpartition(".")
        if arc == CLASS_POLICY_ARC and last.isdigit():
            return int(last)
    return None


def _attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _as_utc(moment: datetime) -> datetime:
    # A naive "now" is taken as UTC, as cryptography takes naive validity dates.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def check_token_rules(
    cert_pem: str,
    *,
    iec: str,
    pan: str,
    name_as_per_pan: str,
    nature_of_concern: str,
    now: datetime,
) -> str | None:
    """The portal's acceptance of a DSC for an IEC: None when acceptable, else a
    :data:`MESSAGES` value.

    In order: readable; issued by the (mock) licensed CA; Class 2 or 3; valid at ``now`` (the
    portal's clock). Then by token kind, read off the certificate: an IEC token's IEC must equal
    ``iec``; an individual token (O "Personal", blank or absent) must carry the hash of ``pan``;
    a certificate carrying the IEC's PAN hash with some other O is a mis-issued individual
    DSC; an organisation token is refused for a proprietorship and its O must equal
    ``name_as_per_pan`` (case-insensitive, whitespace-normalised).
    """
    try:
        cert = load_certificate(cert_pem)
    except ValueError:
        return MESSAGES["invalid"]
    if not _issued_by_mock_ca(cert):
        return MESSAGES["untrusted"]
    if certificate_class(cert) not in (2, 3):
        return MESSAGES["class"]
    moment = _as_utc(now)
    if moment > cert.not_valid_after_utc:
        return MESSAGES["expired"]
    if moment < cert.not_valid_before_utc:
        return MESSAGES["not_yet_valid"]
    cert_iec = _attr(cert, IEC_ATTRIBUTE)
    if cert_iec is not None:
        return None if cert_iec.strip().upper() == iec.strip().upper() else MESSAGES["iec_mismatch"]
    org = _attr(cert, NameOID.ORGANIZATION_NAME)
    carries_pan = (_attr(cert, NameOID.SERIAL_NUMBER) or "").lower() == pan_hash(pan)
    if _norm(org) in ("", _norm(PERSONAL_ORG)):
        return None if carries_pan else MESSAGES["pan_mismatch"]
    if carries_pan and _norm(org) != _norm(name_as_per_pan):
        return MESSAGES["individual_org"]
    if "proprietor" in _norm(nature_of_concern):
        return MESSAGES["org_for_proprietorship"]
    return None if _norm(org) == _norm(name_as_per_pan) else MESSAGES["org_name_mismatch"]


def _key_id(cert: x509.Certificate) -> str:
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return ski.digest.hex().upper()
