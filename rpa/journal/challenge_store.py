"""The console's challenges in the journal: who a waiting OTP or captcha is for, the one-time
relay links sent to clients, the remote workers allowed to raise challenges, and whether a
console serves this data dir.

A challenge row is made by the engine's ``ChallengeWaiting`` (``Journal.add_challenge``);
the console provider (``rpa.challenges.console``) then ``describe``s it: the client's IEC
and firm, where an OTP went (masked, e.g. ``******1234``), its expiry. Its ``status`` is
``waiting``, then ``answered`` (a person or the client gave an answer), ``expired``
(nobody did in time) or ``refused`` (the portal asked again: the answer was wrong).

No answer is ever stored here: answers pass from the console to the waiting job through
the inbox's files (0600, deleted on read: ``rpa.challenges.inbox``). Relay tokens and
worker credentials are stored only as SHA-256 hashes: a copy of the journal lets nobody
answer a challenge.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpa.journal.store import Journal, now_iso

WAITING = "waiting"
ANSWERED = "answered"
EXPIRED = "expired"
REFUSED = "refused"

HEARTBEAT_FILE = "console.json"
HEARTBEAT_EVERY_S = 5.0
HEARTBEAT_STALE_S = 30.0


def token_hash(token: str) -> str:
    """What is stored of a relay token or a worker credential."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Challenge:
    id: int
    job_id: str
    kind: str  # otp | captcha
    prompt: str
    artifact: str | None  # the captcha's image file
    status: str
    created_at: str
    closed_at: str | None
    client: str | None  # IEC
    firm: str | None
    channel: str | None
    destination: str | None  # masked
    relay_to: dict[str, str]  # the client's email / mobile for a relay link (never shown)
    relay_mode: str | None  # email | sms | none (the client's otp_relay)
    expires_at: float | None
    provider: str | None
    note: str | None
    answered_by: str | None
    relayed_at: str | None
    batch_id: str | None = None
    playbook: str | None = None

    @property
    def waiting(self) -> bool:
        return self.status == WAITING and not self.expired

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at

    @property
    def seconds_left(self) -> int:
        if self.expires_at is None:
            return 0
        return max(0, int(self.expires_at - time.time()))

    @property
    def remote(self) -> bool:
        return bool(self.provider and self.provider.startswith("worker:"))


_COLUMNS = (
    "c.id, c.job_id, c.kind, c.prompt, c.artifact, c.status, c.created_at, c.closed_at,"
    " c.client, c.firm, c.channel, c.destination, c.relay_to, c.relay_mode, c.expires_at,"
    " c.provider, c.note, c.answered_by, c.relayed_at, j.batch_id, j.playbook,"
    " j.client AS job_client"
)


def _challenge(row: Any) -> Challenge:
    data = dict(row)
    relay_to = json.loads(data.pop("relay_to") or "{}")
    job_client = data.pop("job_client")
    data["client"] = data["client"] or job_client
    return Challenge(relay_to=relay_to, **data)


@dataclass(frozen=True)
class RelayLink:
    """A relay token's row, found by the token's hash."""

    challenge_id: int
    expires_at: float
    used_at: str | None
    tries: int


class ChallengeStore:
    """The console's challenge, relay and worker rows of ``journal``."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    # -- challenges --------------------------------------------------------------------

    def describe(
        self,
        job_id: str,
        kind: str,
        *,
        prompt: str,
        client: str | None,
        firm: str | None,
        expires_at: float,
        provider: str,
        channel: str | None = None,
        destination: str | None = None,
        artifact: str | None = None,
        relay_to: dict[str, str] | None = None,
        relay_mode: str | None = None,
        note: str | None = None,
    ) -> int:
        """Fill in the job's waiting ``kind`` challenge (made by ``ChallengeWaiting``), or
        make it when there is none (a job whose events the journal does not hear)."""
        fields = {
            "client": client,
            "firm": firm,
            "expires_at": expires_at,
            "provider": provider,
            "channel": channel,
            "destination": destination,
            "relay_to": json.dumps(relay_to or {}),
            "relay_mode": relay_mode,
            "note": note,
        }
        with self.journal._write(durable=False) as db:
            row = db.execute(
                "SELECT id FROM challenges WHERE job_id = ? AND kind = ? AND status = ?"
                " ORDER BY id DESC LIMIT 1",
                (job_id, kind, WAITING),
            ).fetchone()
            if row is None:
                cursor = db.execute(
                    "INSERT INTO challenges (job_id, kind, prompt, artifact, status, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (job_id, kind, prompt, artifact, WAITING, now_iso()),
                )
                challenge_id = int(cursor.lastrowid or 0)
            else:
                challenge_id = int(row["id"])
                if artifact is not None:
                    fields["artifact"] = artifact
            sets = ", ".join(f"{name} = ?" for name in fields)
            db.execute(
                f"UPDATE challenges SET {sets} WHERE id = ?", (*fields.values(), challenge_id)
            )
        return challenge_id

    def refuse_previous(self, job_id: str, kind: str, destination: str | None) -> bool:
        """The portal asks again, in the same run of the job, for the ``kind`` it was given
        (for an OTP, sent to the same place): the answer it had was refused. Marks that
        challenge ``refused``; True when there was one."""
        with self.journal._write(durable=False) as db:
            started = db.execute(
                "SELECT max(at) AS at FROM timeline WHERE job_id = ? AND event = 'run-started'",
                (job_id,),
            ).fetchone()
            row = db.execute(
                "SELECT id FROM challenges WHERE job_id = ? AND kind = ? AND status = ?"
                " AND destination IS ? AND created_at >= ? ORDER BY id DESC LIMIT 1",
                (job_id, kind, ANSWERED, destination, (started and started["at"]) or ""),
            ).fetchone()
            if row is None:
                return False
            db.execute("UPDATE challenges SET status = ? WHERE id = ?", (REFUSED, row["id"]))
        return True

    def challenge(self, challenge_id: int) -> Challenge | None:
        rows = self.journal._read(
            f"SELECT {_COLUMNS} FROM challenges c JOIN jobs j ON j.id = c.job_id WHERE c.id = ?",
            (challenge_id,),
        )
        return _challenge(rows[0]) if rows else None

    def waiting(self, *, limit: int = 200) -> list[Challenge]:
        """The challenges waiting for an answer, oldest first, the expired left out."""
        rows = self.journal._read(
            f"SELECT {_COLUMNS} FROM challenges c JOIN jobs j ON j.id = c.job_id"
            " WHERE c.status = ? AND (c.expires_at IS NULL OR c.expires_at > ?)"
            " ORDER BY c.id LIMIT ?",
            (WAITING, time.time(), limit),
        )
        return [_challenge(r) for r in rows]

    def recent(self, *, limit: int = 20) -> list[Challenge]:
        """The challenges closed last (answered, refused, expired), newest first."""
        rows = self.journal._read(
            f"SELECT {_COLUMNS} FROM challenges c JOIN jobs j ON j.id = c.job_id"
            " WHERE c.status != ? ORDER BY c.id DESC LIMIT ?",
            (WAITING, limit),
        )
        return [_challenge(r) for r in rows]

    def answered(self, challenge_id: int, by: str) -> bool:
        """Mark a waiting, unexpired challenge answered by ``by``; False when it no longer
        waits (answered already, expired, its job gone on)."""
        with self.journal._write(durable=False) as db:
            cursor = db.execute(
                "UPDATE challenges SET status = ?, answered_by = ?, closed_at = ?"
                " WHERE id = ? AND status = ? AND (expires_at IS NULL OR expires_at > ?)",
                (ANSWERED, by, now_iso(), challenge_id, WAITING, time.time()),
            )
            return cursor.rowcount == 1

    def close(self, challenge_id: int, status: str) -> None:
        """End a challenge that still waits (``expired`` when its job gave up waiting)."""
        with self.journal._write(durable=False) as db:
            db.execute(
                "UPDATE challenges SET status = ?, closed_at = ? WHERE id = ? AND status = ?",
                (status, now_iso(), challenge_id, WAITING),
            )

    def close_waiting(self, job_id: str, kind: str, status: str) -> None:
        """End whatever ``kind`` challenge of ``job_id`` still waits (a worker asks anew)."""
        with self.journal._write(durable=False) as db:
            db.execute(
                "UPDATE challenges SET status = ?, closed_at = ?"
                " WHERE job_id = ? AND kind = ? AND status = ?",
                (status, now_iso(), job_id, kind, WAITING),
            )

    def ensure_job(self, job_id: str, *, client: str | None, playbook: str) -> None:
        """A remote worker's job the office journal does not know yet: recorded as running
        so its challenge has a job (a worker's results are filed under the same id)."""
        with self.journal._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO jobs (id, client, playbook, status, created_at,"
                " started_at) VALUES (?, ?, ?, 'running', ?, ?)",
                (job_id, client, playbook, now_iso(), now_iso()),
            )

    # -- relay links -------------------------------------------------------------------

    def add_relay_token(
        self, challenge_id: int, token: str, *, expires_at: float, via: str, by: str
    ) -> None:
        with self.journal._write(durable=False) as db:
            db.execute(
                "INSERT INTO relay_tokens (token_hash, challenge_id, created_at, expires_at,"
                " sent_via, sent_by) VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash(token), challenge_id, now_iso(), expires_at, via, by),
            )
            db.execute(
                "UPDATE challenges SET relayed_at = ? WHERE id = ?", (now_iso(), challenge_id)
            )

    def relay_link(self, token: str) -> RelayLink | None:
        rows = self.journal._read(
            "SELECT challenge_id, expires_at, used_at, tries FROM relay_tokens"
            " WHERE token_hash = ?",
            (token_hash(token),),
        )
        return RelayLink(**dict(rows[0])) if rows else None

    def relay_tried(self, token: str) -> int:
        """Count one more answer through the link; the count after it."""
        with self.journal._write(durable=False) as db:
            db.execute(
                "UPDATE relay_tokens SET tries = tries + 1 WHERE token_hash = ?",
                (token_hash(token),),
            )
            row = db.execute(
                "SELECT tries FROM relay_tokens WHERE token_hash = ?", (token_hash(token),)
            ).fetchone()
        return int(row["tries"]) if row else 0

    def use_relay_token(self, token: str) -> bool:
        """Spend the link (single use); False when it was spent or has expired."""
        with self.journal._write(durable=False) as db:
            cursor = db.execute(
                "UPDATE relay_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
                " AND expires_at > ?",
                (now_iso(), token_hash(token), time.time()),
            )
            return cursor.rowcount == 1

    # -- remote workers ----------------------------------------------------------------

    def add_worker(self, name: str, credential: str) -> None:
        """Add ``name`` (or give it a new credential, the old one no longer valid)."""
        with self.journal._write() as db:
            db.execute(
                "INSERT INTO workers (name, credential_hash, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET credential_hash = excluded.credential_hash,"
                " created_at = excluded.created_at, disabled = 0",
                (name, token_hash(credential), now_iso()),
            )

    def worker_for(self, credential: str) -> str | None:
        """The worker whose credential this is, if any (and not disabled)."""
        rows = self.journal._read(
            "SELECT name FROM workers WHERE credential_hash = ? AND disabled = 0",
            (token_hash(credential),),
        )
        return str(rows[0]["name"]) if rows else None

    def workers(self) -> list[dict[str, Any]]:
        rows = self.journal._read("SELECT name, created_at, disabled FROM workers ORDER BY name")
        return [dict(r) for r in rows]


# -- is a console serving this data dir? -----------------------------------------------


def heartbeat_path(data_dir: Path) -> Path:
    return data_dir / HEARTBEAT_FILE


def write_heartbeat(data_dir: Path, url: str | None = None, relay_url: str | None = None) -> None:
    """A console says it serves ``data_dir`` (every ``HEARTBEAT_EVERY_S`` while it runs)."""
    path = heartbeat_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "url": url,
        "relay_url": relay_url,
        "at": time.time(),
    }
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(body), encoding="utf-8")
    os.replace(temp, path)


def clear_heartbeat(data_dir: Path) -> None:
    path = heartbeat_path(data_dir)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if body.get("pid") == os.getpid() and body.get("host") == socket.gethostname():
        path.unlink(missing_ok=True)


def console_serving(data_dir: Path) -> dict[str, Any] | None:
    """The heartbeat of the console serving ``data_dir``, or None when none is (no file, or
    one not refreshed for ``HEARTBEAT_STALE_S``)."""
    try:
        body = json.loads(heartbeat_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or time.time() - float(body.get("at", 0)) > HEARTBEAT_STALE_S:
        return None
    return body
