"""The console's people in the journal: users, their sign-in sessions, and the audit trail.

Kept out of ``store.py`` (the journal of runs); it writes through the same ``Journal``
(one connection, its lock, its error mapping). What is stored is never a secret:
a user's password only as its scrypt hash (``rpa.console.auth``), a session only as the
SHA-256 of its cookie token, and audit details as the caller gives them (the console
never puts an answer, a PIN or a password in one).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from rpa.errors import JournalError
from rpa.journal.store import Journal, now_iso
from rpa.masking import mask


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    password_hash: str
    created_at: str
    disabled: bool


@dataclass(frozen=True)
class SessionRow:
    token_hash: str
    user_name: str
    csrf: str
    created_at: str
    expires_at: float


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    who: str
    action: str
    target: str | None
    detail: dict[str, Any]


class People:
    """Users, sessions and audit rows of ``journal``."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    # -- users -------------------------------------------------------------------------

    def put_user(self, name: str, role: str, password_hash: str) -> bool:
        """Add ``name``, or replace its role and password; True when it is new. A changed
        password ends the user's sessions."""
        with self.journal._write() as db:
            known = db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
            if known:
                db.execute(
                    "UPDATE users SET role = ?, password_hash = ?, disabled = 0 WHERE name = ?",
                    (role, password_hash, name),
                )
                db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            else:
                db.execute(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (name, role, password_hash, now_iso()),
                )
            return not known

    def user(self, name: str) -> UserRow | None:
        rows = self.journal._read("SELECT * FROM users WHERE name = ?", (name,))
        return _user(rows[0]) if rows else None

    def users(self) -> list[UserRow]:
        return [_user(r) for r in self.journal._read("SELECT * FROM users ORDER BY name")]

    def disable_user(self, name: str) -> bool:
        with self.journal._write() as db:
            cursor = db.execute("UPDATE users SET disabled = 1 WHERE name = ?", (name,))
            db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            return cursor.rowcount == 1

    # -- sessions ----------------------------------------------------------------------

    def add_session(self, token_hash: str, user_name: str, csrf: str, ttl_s: float) -> None:
        now = time.time()
        with self.journal._write(durable=False) as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            db.execute(
                "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (token_hash, user_name, csrf, now_iso(), now + ttl_s),
            )

    def session(self, token_hash: str) -> tuple[SessionRow, UserRow] | None:
        """The live session of ``token_hash`` and its (enabled) user; None otherwise."""
        rows = self.journal._read(
            "SELECT s.token_hash, s.user_name, s.csrf, s.created_at AS s_created,"
            " s.expires_at, u.name, u.role, u.password_hash, u.created_at, u.disabled"
            " FROM sessions s JOIN users u ON u.name = s.user_name"
            " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
            (token_hash, time.time()),
        )
        if not rows:
            return None
        r = rows[0]
        session = SessionRow(
            r["token_hash"], r["user_name"], r["csrf"], r["s_created"], r["expires_at"]
        )
        return session, _user(r)

    def end_session(self, token_hash: str) -> None:
        with self.journal._write(durable=False) as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # -- audit -------------------------------------------------------------------------

    def add_audit(
        self, who: str, action: str, target: str | None = None, detail: dict[str, Any] | None = None
    ) -> int:
        with self.journal._write() as db:
            cursor = db.execute(
                "INSERT INTO audit (at, who, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (
                    now_iso(),
                    who,
                    action,
                    target,
                    mask(json.dumps(detail or {}, default=str, sort_keys=True)),
                ),
            )
            return int(cursor.lastrowid or 0)

    def audit(
        self,
        *,
        target: str | None = None,
        action: str | None = None,
        who: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditRow]:
        """Audit rows, newest first; only those of ``target`` / ``action`` / ``who`` when
        given."""
        where, params = [], []
        for column, value in (("target", target), ("action", action), ("who", who)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY id DESC LIMIT {int(limit)} OFFSET {int(offset)}"
        rows = self.journal._read(sql, tuple(params))
        out = []
        for r in rows:
            try:
                detail = json.loads(r["detail"] or "{}")
            except ValueError as exc:
                raise JournalError(f"audit row {r['id']}: unreadable detail") from exc
            out.append(AuditRow(r["id"], r["at"], r["who"], r["action"], r["target"], detail))
        return out


def _user(row: Any) -> UserRow:
    return UserRow(
        row["name"], row["role"], row["password_hash"], row["created_at"], bool(row["disabled"])
    )
