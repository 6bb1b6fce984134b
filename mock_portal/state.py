"""The mock portal's whole state, in one SQLite file.

One connection per request (``connect``); WAL and a busy timeout let the emBridge thread
and many browser contexts share the file. Records that the portal only reads and writes
whole (IECs, drafts, session data) are stored as JSON; columns exist only for look-ups.

The portal clock is the real clock plus an offset set through the test API, so time
keeps moving after ``set_clock`` (OTPs expire, windows close).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import time
import uuid
from datetime import date, datetime
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    email TEXT PRIMARY KEY, password_hash TEXT NOT NULL, mobile TEXT NOT NULL,
    name TEXT NOT NULL, must_change_password INTEGER NOT NULL DEFAULT 0,
    profile TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, email TEXT, csrf TEXT NOT NULL, last_seen REAL NOT NULL,
    data TEXT NOT NULL DEFAULT '{}', started REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS captchas (id TEXT PRIMARY KEY, answer TEXT NOT NULL,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, to_addr TEXT NOT NULL,
    channel TEXT NOT NULL, text TEXT NOT NULL, otp TEXT, sent_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_to ON outbox(to_addr);
CREATE TABLE IF NOT EXISTS iecs (iec TEXT PRIMARY KEY, pan TEXT NOT NULL, linked_user TEXT,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS aadhaar (number TEXT PRIMARY KEY, vid TEXT, name TEXT NOT NULL,
    yob INTEGER NOT NULL, mobile TEXT);
CREATE TABLE IF NOT EXISTS applications (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ack TEXT UNIQUE, iec TEXT NOT NULL, kind TEXT NOT NULL, user TEXT, submitted_at TEXT NOT NULL,
    fy INTEGER NOT NULL, signed_with TEXT NOT NULL, status TEXT NOT NULL,
    bank_status TEXT, changes TEXT NOT NULL DEFAULT '{}', remarks TEXT, declaration TEXT);
CREATE TABLE IF NOT EXISTS drafts (email TEXT PRIMARY KEY, iec TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS application_numbers (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, iec TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS esign_txns (id TEXT PRIMARY KEY, token TEXT NOT NULL,
    session_id TEXT NOT NULL, purpose TEXT NOT NULL, payload TEXT NOT NULL,
    state TEXT NOT NULL, otp TEXT, otp_sent_at TEXT, aadhaar TEXT, created_at TEXT NOT NULL);
"""


def connect(db_path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def init_db(db_path: str) -> None:
    """Create the schema (ours and dsc.py's); safe to call on an existing file."""
    directory = os.path.dirname(os.path.abspath(db_path))
    os.makedirs(directory, exist_ok=True)
    conn = connect(db_path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(sessions)")}
        if "started" not in columns:  # a database made before sessions had an age
            conn.execute("ALTER TABLE sessions ADD COLUMN started REAL NOT NULL DEFAULT 0")
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(users)")}
        if "failed_logins" not in columns:  # a database made before logins were counted
            conn.execute("ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0")
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(applications)")}
        for column in ("remarks", "declaration"):  # a database made before they were kept
            if column not in columns:
                conn.execute(f"ALTER TABLE applications ADD COLUMN {column} TEXT")
        _dsc_schema(conn)
    finally:
        conn.close()


def _dsc_schema(conn: sqlite3.Connection) -> None:
    try:
        from mock_portal import dsc
    except ImportError:  # dsc.py not there yet: no signing tokens
        return
    dsc.ensure_schema(conn)


def reset(conn: sqlite3.Connection) -> None:
    """Empty every table (ours and dsc.py's), keeping the schema."""
    tables = [
        r["name"]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    with conn:
        for table in tables:
            conn.execute(f'DELETE FROM "{table}"')


# --- meta, clock, faults ------------------------------------------------------------------


def get_meta(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row["value"])


def set_meta(conn: sqlite3.Connection, key: str, value: Any) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )


def now(conn: sqlite3.Connection) -> datetime:
    """The portal clock (naive, portal-local time)."""
    clock = get_meta(conn, "clock")
    if not clock:
        return datetime.now().replace(microsecond=0)
    base = datetime.fromisoformat(clock["now"])
    if base.tzinfo is not None:
        base = base.replace(tzinfo=None)
    elapsed = time.time() - clock["set_at"]
    return datetime.fromtimestamp(base.timestamp() + elapsed).replace(microsecond=0)


def set_clock(conn: sqlite3.Connection, iso: str | None) -> datetime:
    set_meta(conn, "clock", None if iso is None else {"now": iso, "set_at": time.time()})
    return now(conn)


def get_faults(conn: sqlite3.Connection) -> dict[str, Any]:
    return get_meta(conn, "faults") or {}


def set_faults(conn: sqlite3.Connection, faults: dict[str, Any]) -> None:
    set_meta(conn, "faults", faults)


# --- users --------------------------------------------------------------------------------

#: Refused logins in a row that lock an account [I: no source gives the real portal's rule].
LOCK_AFTER_FAILED_LOGINS = 5


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 2000).hex()
    return f"{salt}${digest}"


def check_password(stored: str, password: str) -> bool:
    salt, digest = stored.split("$", 1)
    computed = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 2000).hex()
    return secrets.compare_digest(computed, digest)


def create_user(
    conn: sqlite3.Connection,
    *,
    email: str,
    password: str,
    mobile: str,
    name: str,
    must_change_password: bool = False,
    profile: dict[str, Any] | None = None,
    created_at: datetime | None = None,
    failed_logins: int = 0,
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO users(email, password_hash, mobile, name, must_change_password, "
        "profile, "
        "created_at, failed_logins) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            email.lower(),
            hash_password(password),
            mobile,
            name,
            int(must_change_password),
            json.dumps(profile or {}),
            (created_at or datetime.now()).isoformat(),
            failed_logins,
        ),
    )


def get_user(conn: sqlite3.Connection, email: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM users WHERE email = ?", (email.strip().lower(),)
    ).fetchone()
    return row


def set_password(conn: sqlite3.Connection, email: str, password: str) -> None:
    """A new password (changed, or reset through Forgot Password): the account is unlocked."""
    conn.execute(
        "UPDATE users SET password_hash = ?, must_change_password = 0, failed_logins = 0 "
        "WHERE email = ?",
        (hash_password(password), email.lower()),
    )


def is_locked(user: sqlite3.Row) -> bool:
    """Locked after ``LOCK_AFTER_FAILED_LOGINS`` refused logins in a row: even the right
    password is refused until the password is reset."""
    failed: int = user["failed_logins"]
    return failed >= LOCK_AFTER_FAILED_LOGINS


def login_refused(conn: sqlite3.Connection, email: str) -> int:
    """Count one more refused login in a row for ``email``; the count now."""
    row = conn.execute(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE email = ? "
        "RETURNING failed_logins",
        (email.lower(),),
    ).fetchone()
    return 0 if row is None else int(row["failed_logins"])


def login_accepted(conn: sqlite3.Connection, email: str) -> None:
    """A good login: the count of refused ones starts again from 0."""
    conn.execute("UPDATE users SET failed_logins = 0 WHERE email = ?", (email.lower(),))


# --- sessions -----------------------------------------------------------------------------


def new_session(conn: sqlite3.Connection, email: str | None = None) -> sqlite3.Row:
    sid = secrets.token_hex(16).upper()
    now = time.time()
    conn.execute(
        "INSERT INTO sessions(id, email, csrf, last_seen, data, started)"
        " VALUES (?, ?, ?, ?, '{}', ?)",
        (sid, email, str(uuid.uuid4()), now, now),
    )
    row: sqlite3.Row = conn.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
    return row


def get_session(conn: sqlite3.Connection, sid: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
    return row


def save_session(conn: sqlite3.Connection, sid: str, data: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE sessions SET data = ?, last_seen = ? WHERE id = ?",
        (json.dumps(data), time.time(), sid),
    )


def touch_session(conn: sqlite3.Connection, sid: str) -> None:
    conn.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (time.time(), sid))


def delete_session(conn: sqlite3.Connection, sid: str) -> None:
    conn.execute("DELETE FROM sessions WHERE id = ?", (sid,))


def expire_sessions(conn: sqlite3.Connection, email: str | None = None) -> int:
    """Make logged-in sessions (of ``email``, or all) idle past any timeout; their next
    request sees "Your session has timed out". Returns how many."""
    sql = "UPDATE sessions SET last_seen = 0 WHERE email IS NOT NULL"
    params: tuple[str, ...] = ()
    if email is not None:
        sql, params = sql + " AND email = ?", (email.lower(),)
    return conn.execute(sql, params).rowcount


# --- captchas and the outbox -----------------------------------------------------------------


def create_captcha(conn: sqlite3.Connection, answer: str) -> str:
    cid = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO captchas(id, answer, created) VALUES (?, ?, ?)", (cid, answer, time.time())
    )
    return cid


def captcha_answer(conn: sqlite3.Connection, cid: str) -> str | None:
    row = conn.execute("SELECT answer FROM captchas WHERE id = ?", (cid,)).fetchone()
    return None if row is None else str(row["answer"])


def consume_captcha(conn: sqlite3.Connection, cid: str, answer: str) -> bool:
    """Check an answer (case-insensitive); a captcha is good for one attempt only."""
    expected = captcha_answer(conn, cid)
    conn.execute("DELETE FROM captchas WHERE id = ?", (cid,))
    return expected is not None and expected.upper() == answer.strip().upper()


def send(
    conn: sqlite3.Connection,
    *,
    to: str,
    channel: str,
    text: str,
    otp: str | None,
    sent_at: datetime,
) -> None:
    conn.execute(
        "INSERT INTO outbox(to_addr, channel, text, otp, sent_at) VALUES (?, ?, ?, ?, ?)",
        (to.lower(), channel, text, otp, sent_at.isoformat()),
    )


def outbox(conn: sqlite3.Connection, to: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT to_addr, channel, text, otp, sent_at FROM outbox"
    args: tuple[str, ...] = ()
    if to:
        sql += " WHERE to_addr = ?"
        args = (to.lower(),)
    rows = conn.execute(sql + " ORDER BY id DESC", args).fetchall()
    return [
        {
            "to": r["to_addr"],
            "channel": r["channel"],
            "text": r["text"],
            "otp": r["otp"],
            "sent_at": r["sent_at"],
        }
        for r in rows
    ]


# --- IECs, PAN and Aadhaar registries -------------------------------------------------------


def put_iec(conn: sqlite3.Connection, record: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO iecs(iec, pan, linked_user, data) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(iec) DO UPDATE SET pan = excluded.pan, linked_user = excluded.linked_user, "
        "data = excluded.data",
        (record["iec"], record["pan"], record.get("linked_user"), json.dumps(record)),
    )


def get_iec(conn: sqlite3.Connection, iec: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT data FROM iecs WHERE iec = ?", (iec.strip().upper(),)).fetchone()
    return None if row is None else _loaded(row["data"])


def iec_of_user(conn: sqlite3.Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT data FROM iecs WHERE linked_user = ?", (email.lower(),)).fetchone()
    return None if row is None else _loaded(row["data"])


def all_iecs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [_loaded(r["data"]) for r in conn.execute("SELECT data FROM iecs ORDER BY iec")]


def _loaded(data: str) -> dict[str, Any]:
    """A stored IEC record; one stored before records had ``banks`` gets them from ``bank``."""
    record = dict(json.loads(data))
    if "banks" not in record:
        record["banks"] = seed_banks(record)
        record["npci_accounts"] = seed_npci_accounts(record)
    return record


# --- bank accounts of an IEC -----------------------------------------------------------------

#: The fields of a bank account on an IEC; ``branch`` is the bank branch's address [S: bank
#: details include the branch address].
BANK_KEYS = ("account_holder", "account_number", "ifsc", "bank_name", "branch")


def seed_banks(item: dict[str, Any]) -> list[dict[str, str]]:
    """The bank accounts of a seeded IEC: ``banks: [...]``, or the older single ``bank``."""
    accounts = item.get("banks")
    if accounts is None:
        accounts = [item["bank"]] if item.get("bank") else []
    return [{key: str(a.get(key) or "") for key in BANK_KEYS} for a in accounts]


def seed_npci_accounts(item: dict[str, Any]) -> list[str]:
    """The account numbers NPCI links to the IEC's PAN besides those the IEC lists
    (``npci_accounts``: numbers, or accounts with ``account_number``) [I: a mechanism for
    the rule that every account linked to the PAN must be declared, S: Trade Notice
    23/2025-26]. Empty: the IEC's own accounts are all the PAN has."""
    found: list[str] = []
    for entry in item.get("npci_accounts") or []:
        number = entry.get("account_number") if isinstance(entry, dict) else entry
        if number:
            found.append(str(number))
    return found


def pan_record(conn: sqlite3.Connection, pan: str) -> dict[str, Any] | None:
    """The 'Income Tax Department' view of a PAN: {pan, name, dob}, from the seeded IECs
    (the firm's PAN and the PANs of its partners/directors)."""
    pan = pan.strip().upper()
    for record in all_iecs(conn):
        if record["pan"] == pan:
            return {"pan": pan, "name": record["name_as_per_pan"], "dob": record["dob"]}
        for person in record.get("directors", []):
            if (person.get("pan") or "").upper() == pan and person.get("dob"):
                return {"pan": pan, "name": person["name"], "dob": person["dob"]}
    return None


def put_aadhaar(conn: sqlite3.Connection, a: dict[str, Any]) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO aadhaar(number, vid, name, yob, mobile) VALUES (?, ?, ?, ?, ?)",
        (a["number"], a.get("vid"), a["name"], int(a["yob"]), a.get("mobile")),
    )


def find_aadhaar(conn: sqlite3.Connection, number_or_vid: str) -> sqlite3.Row | None:
    key = number_or_vid.replace(" ", "")
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM aadhaar WHERE number = ? OR vid = ?", (key, key)
    ).fetchone()
    return row


# --- applications and drafts ------------------------------------------------------------------


def add_application(
    conn: sqlite3.Connection,
    *,
    iec: str,
    kind: str,
    user: str,
    submitted_at: datetime,
    fy: int,
    signed_with: str,
    status: str,
    bank_status: str | None,
    changes: dict[str, Any],
    ack: str | None = None,
    remarks: str | None = None,
    declaration: dict[str, str] | None = None,
) -> str:
    """Record a submitted application; its number is ``ack`` (an update's, given when its
    draft was first saved) or made now from the row's sequence."""
    from mock_portal.wording import ack_number

    cur = conn.execute(
        "INSERT INTO applications(iec, kind, user, submitted_at, fy, signed_with, status, "
        "bank_status, changes, remarks, declaration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            iec,
            kind,
            user,
            submitted_at.isoformat(),
            fy,
            signed_with,
            status,
            bank_status,
            json.dumps(changes),
            remarks,
            None if declaration is None else json.dumps(declaration),
        ),
    )
    seq = int(cur.lastrowid or 0)
    ack = ack or ack_number(kind, submitted_at.year, seq)
    conn.execute("UPDATE applications SET ack = ? WHERE seq = ?", (ack, seq))
    return ack


def new_application_number(
    conn: sqlite3.Connection, *, kind: str, iec: str, now: datetime
) -> tuple[str, str]:
    """A new application's (number, draft id), given at its first save. The number has
    the acknowledgement's format [I]; the draft id is a plain number [I]. One INSERT, so
    concurrent sessions never share a number."""
    from mock_portal.wording import ack_number

    cur = conn.execute(
        "INSERT INTO application_numbers(kind, iec, created_at) VALUES (?, ?, ?)",
        (kind, iec, now.isoformat()),
    )
    seq = int(cur.lastrowid or 0)
    return ack_number(kind, now.year, seq), f"{now:%Y%m%d}{seq:06d}"


def applications(
    conn: sqlite3.Connection, iec: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    sql, args = "SELECT * FROM applications WHERE 1=1", []
    if iec:
        sql += " AND iec = ?"
        args.append(iec.upper())
    if kind:
        sql += " AND kind = ?"
        args.append(kind)
    rows = conn.execute(sql + " ORDER BY seq DESC", args).fetchall()
    return [
        {
            "ack": r["ack"],
            "iec": r["iec"],
            "kind": r["kind"],
            "user": r["user"],
            "submitted_at": r["submitted_at"],
            "fy": r["fy"],
            "signed_with": r["signed_with"],
            "status": r["status"],
            "bank_status": r["bank_status"],
            "changes": json.loads(r["changes"]),
            "remarks": r["remarks"],
            "declaration": json.loads(r["declaration"]) if r["declaration"] else None,
        }
        for r in rows
    ]


def get_draft(conn: sqlite3.Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT data FROM drafts WHERE email = ?", (email,)).fetchone()
    return None if row is None else dict(json.loads(row["data"]))


def put_draft(conn: sqlite3.Connection, email: str, draft: dict[str, Any]) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO drafts(email, iec, data) VALUES (?, ?, ?)",
        (email, draft["iec"], json.dumps(draft)),
    )


def delete_draft(conn: sqlite3.Connection, email: str) -> None:
    conn.execute("DELETE FROM drafts WHERE email = ?", (email,))


# --- eSign transactions ---------------------------------------------------------------------


def create_esign_txn(
    conn: sqlite3.Connection,
    *,
    session_id: str,
    purpose: str,
    payload: dict[str, Any],
    created_at: datetime,
) -> str:
    tid = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO esign_txns(id, token, session_id, purpose, payload, state, created_at) "
        "VALUES (?, ?, ?, ?, ?, 'new', ?)",
        (tid, str(uuid.uuid4()), session_id, purpose, json.dumps(payload), created_at.isoformat()),
    )
    return tid


def get_esign_txn(conn: sqlite3.Connection, tid: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM esign_txns WHERE id = ?", (tid,)).fetchone()
    if row is None:
        return None
    txn = dict(row)
    txn["payload"] = json.loads(txn["payload"])
    txn["aadhaar"] = json.loads(txn["aadhaar"]) if txn["aadhaar"] else None
    return txn


def update_esign_txn(conn: sqlite3.Connection, tid: str, **fields: Any) -> None:
    if "aadhaar" in fields and fields["aadhaar"] is not None:
        fields["aadhaar"] = json.dumps(fields["aadhaar"])
    sets = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(f"UPDATE esign_txns SET {sets} WHERE id = ?", (*fields.values(), tid))


def today(conn: sqlite3.Connection) -> date:
    return now(conn).date()
