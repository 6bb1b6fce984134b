"""The login form's password encryption, as ``static/login.js`` does it in the page.

The real portal AES-encrypts the password in the page before it is sent, with a salt from a
hidden ``#temp_key`` [S, PORTAL.md §6]; how it derives the key is not known. The mock's
choice [I]: AES-256-GCM with a key derived by PBKDF2-HMAC-SHA256 (``ITERATIONS`` rounds)
from the page's CSRF token (``<meta name="_csrf">``) and the ``#temp_key`` salt, a new
random 12-byte IV each time; the form sends ``base64(iv || ciphertext || tag)``. Both values
belong to the visitor's session, so a password encrypted for one session does not open in
another, and a password sent in clear text does not decrypt at all.

``encrypt_password`` is what the page's script does (tests use it to post a login by HTTP);
``decrypt_password`` is what the server does, answering ``None`` for anything it cannot
open.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

ITERATIONS = 1000
IV_BYTES = 12
TAG_BYTES = 16


def new_salt() -> str:
    """A fresh ``#temp_key`` value for a login form."""
    return secrets.token_hex(16)


def _key(csrf: str, salt: str) -> bytes:
    kdf = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=32, salt=salt.encode(), iterations=ITERATIONS
    )
    return kdf.derive(csrf.encode())


def encrypt_password(password: str, *, csrf: str, salt: str) -> str:
    iv = os.urandom(IV_BYTES)
    sealed = AESGCM(_key(csrf, salt)).encrypt(iv, password.encode(), None)
    return base64.b64encode(iv + sealed).decode("ascii")


def decrypt_password(payload: str, *, csrf: str, salt: str) -> str | None:
    """The password, or ``None`` when ``payload`` is not a password encrypted with this
    session's token and salt (clear text, another session's, tampered)."""
    if not payload or not csrf or not salt:
        return None
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < IV_BYTES + TAG_BYTES:
        return None
    try:
        plain = AESGCM(_key(csrf, salt)).decrypt(raw[:IV_BYTES], raw[IV_BYTES:], None)
        return plain.decode()
    except (InvalidTag, UnicodeDecodeError):
        return None
