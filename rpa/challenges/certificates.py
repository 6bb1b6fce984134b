"""Which certificate on a DSC token to sign with: a pure choice, testable without a browser.

emBridge lists a token's certificates after its device is chosen; each is offered with its
key ID, common name and (when the dialog gives it) its subject, e.g.
``CN=RAVI KUMAR,2.5.4.5=<hex>,O=Personal,C=IN``. Indian DSCs carry the holder's PAN as a
SHA-256 hex hash in the subject's ``serialNumber`` attribute (OID 2.5.4.5).

:func:`choose_certificate`:

- ``wanted`` given (the client file's ``dsc_cert``): the certificate of that common name
  (case- and space-insensitive); none: ``DSC_CERT_NOT_FOUND`` naming what the token offers.
- otherwise a token's only certificate; among several, the one carrying the client's PAN,
  else the one whose CN or O is the client's name as per PAN or firm name.
- still more than one, or none of several matching: ``DSC_CERT_AMBIGUOUS`` naming them, so
  a person can put the right name in ``dsc_cert``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rpa.errors import BusinessError

#: Subject attribute names for the PAN hash, as RFC 4514 and Windows/Java print them.
SERIAL_NUMBER_KEYS = frozenset({"serialnumber", "2.5.4.5"})
COMMON_NAME_KEYS = frozenset({"cn", "commonname", "2.5.4.3"})
ORGANISATION_KEYS = frozenset({"o", "organizationname", "2.5.4.10"})


@dataclass(frozen=True)
class OfferedCertificate:
    """One "Select Certificate" option: ``key_id`` (its value), ``name`` (its text, the
    common name) and ``subject`` (the subject DN, empty when the dialog does not give it)."""

    key_id: str
    name: str
    subject: str = ""

    def attribute(self, keys: frozenset[str]) -> list[str]:
        return [value for key, value in parse_subject(self.subject) if key.casefold() in keys]


@dataclass(frozen=True)
class CertificateOwner:
    """Who the client is, to recognise its certificate: the PAN, and the names a
    certificate may carry (name as per PAN, firm name)."""

    pan: str = ""
    names: tuple[str, ...] = ()


def pan_hash(pan: str) -> str:
    """SHA-256 hex of the upper-cased PAN, as a DSC's ``serialNumber`` carries it."""
    return hashlib.sha256(pan.strip().upper().encode()).hexdigest()


def normalise_name(text: str) -> str:
    return " ".join(text.split()).casefold()


_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")


def parse_subject(subject: str) -> list[tuple[str, str]]:
    """``[(attribute, value)]`` of a distinguished name written the RFC 4514 way
    (``CN=A\\, B,O=X``) or the Windows way (``CN="A, B", O=X``); multi-valued RDNs
    (``+``) are split too. Never raises: what cannot be read is left out."""
    pairs: list[tuple[str, str]] = []
    key: str | None = None
    text: list[str] = []
    quoted = False
    i = 0

    def close() -> None:
        if key is not None and key.strip():
            pairs.append((key.strip(), "".join(text).strip()))

    while i < len(subject):
        char = subject[i]
        if char == "\\" and i + 1 < len(subject):
            pair = subject[i + 1 : i + 3]
            if _HEX_PAIR.fullmatch(pair):
                text.append(chr(int(pair, 16)))
                i += 3
                continue
            text.append(subject[i + 1])
            i += 2
            continue
        if char == '"' and key is not None:
            quoted = not quoted
        elif quoted:
            text.append(char)
        elif char == "=" and key is None:
            key, text = "".join(text), []
        elif char in ",;+":
            close()
            key, text = None, []
        else:
            text.append(char)
        i += 1
    close()
    return pairs


def _carries_pan(pan: str) -> Callable[[OfferedCertificate], bool]:
    digest = pan_hash(pan) if pan.strip() else ""

    def test(cert: OfferedCertificate) -> bool:
        serials = cert.attribute(SERIAL_NUMBER_KEYS)
        return bool(digest) and any(s.strip().casefold() == digest for s in serials)

    return test


def _carries_name(names: Sequence[str]) -> Callable[[OfferedCertificate], bool]:
    wanted = {normalise_name(n) for n in names if n.strip()}

    def test(cert: OfferedCertificate) -> bool:
        held = [cert.name, *cert.attribute(COMMON_NAME_KEYS), *cert.attribute(ORGANISATION_KEYS)]
        return any(normalise_name(n) in wanted for n in held)

    return test


def _listed(certs: Sequence[OfferedCertificate]) -> str:
    return ", ".join(repr(c.name) for c in certs) or "none"


def _matching(
    candidates: Sequence[OfferedCertificate], owner: CertificateOwner
) -> list[OfferedCertificate]:
    """The candidates that carry the owner's PAN, narrowed by the owner's names when more
    than one does (or those carrying the names, when none carries the PAN); empty when
    none carries either."""
    matched: list[OfferedCertificate] = []
    pool = list(candidates)
    for test in (_carries_pan(owner.pan), _carries_name(owner.names)):
        if found := [c for c in pool if test(c)]:
            pool = matched = found
            if len(found) == 1:
                break
    return matched


def choose_certificate(
    offered: Sequence[OfferedCertificate],
    *,
    token: str,
    owner: CertificateOwner,
    wanted: str = "",
) -> OfferedCertificate:
    """The certificate to sign with (see the module's docstring). Raises ``BusinessError``
    ``DSC_NO_CERTIFICATE``, ``DSC_CERT_NOT_FOUND`` or ``DSC_CERT_AMBIGUOUS``."""
    if not offered:
        raise BusinessError(
            f"emBridge lists no certificate on DSC token {token!r}", code="DSC_NO_CERTIFICATE"
        )
    candidates = list(offered)
    if wanted.strip():
        candidates = [c for c in offered if normalise_name(c.name) == normalise_name(wanted)]
        if not candidates:
            raise BusinessError(
                f"DSC token {token!r} holds no certificate named {wanted!r} (the client's "
                f"dsc_cert); it offers: {_listed(offered)}",
                code="DSC_CERT_NOT_FOUND",
            )
    if len(candidates) == 1:
        return candidates[0]
    matched = _matching(candidates, owner)
    if len(matched) == 1:
        return matched[0]
    held = f"{len(candidates)} certificates ({_listed(candidates)})"
    if wanted.strip():
        held = f"{len(candidates)} certificates named {wanted!r}"
    why = "more than one matches" if matched else "none matches"
    raise BusinessError(
        f"DSC token {token!r} holds {held} and {why} the client's PAN or name; name the one "
        "to sign with in the client file's dsc_cert column",
        code="DSC_CERT_AMBIGUOUS",
    )
