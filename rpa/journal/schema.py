"""Journal schema, versioned with ``PRAGMA user_version``; each migration runs once, in order.

To change the schema, append a migration: never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE batches (
        id           TEXT PRIMARY KEY,
        playbook     TEXT NOT NULL,
        source       TEXT,              -- the client file
        check_mode   INTEGER NOT NULL DEFAULT 0,
        status       TEXT NOT NULL,     -- running | finished | paused | interrupted
        options      TEXT NOT NULL DEFAULT '{}',
        created_at   TEXT NOT NULL,
        finished_at  TEXT,
        note         TEXT
    );
    CREATE TABLE jobs (
        id           TEXT PRIMARY KEY,
        batch_id     TEXT REFERENCES batches(id),
        client       TEXT,              -- the client's IEC
        row          INTEGER,           -- row in the client file
        playbook     TEXT NOT NULL,
        check_mode   INTEGER NOT NULL DEFAULT 0,
        status       TEXT NOT NULL,     -- pending | running | an Outcome value
        replay_of    TEXT REFERENCES jobs(id),
        created_at   TEXT NOT NULL,
        started_at   TEXT,
        finished_at  TEXT,
        duration_s   REAL,
        current_step TEXT,
        error        TEXT,
        error_kind   TEXT,
        error_code   TEXT,
        error_step   TEXT,
        result       TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX jobs_by_batch ON jobs(batch_id, status);
    CREATE INDEX jobs_by_client ON jobs(client, playbook);
    CREATE TABLE timeline (
        id           INTEGER PRIMARY KEY,
        job_id       TEXT NOT NULL REFERENCES jobs(id),
        at           TEXT NOT NULL,
        event        TEXT NOT NULL,     -- run-started | step-started | step-retried | ...
        step         TEXT,
        kind         TEXT,
        status       TEXT,
        duration_s   REAL,
        detail       TEXT
    );
    CREATE INDEX timeline_by_job ON timeline(job_id, id);
    CREATE TABLE submissions (
        id           INTEGER PRIMARY KEY,
        job_id       TEXT NOT NULL REFERENCES jobs(id),
        client       TEXT,
        playbook     TEXT NOT NULL,
        step         TEXT NOT NULL,
        intent_at    TEXT NOT NULL,
        done_at      TEXT,
        resolved_at  TEXT              -- a later run saw the portal's state and settled it
    );
    CREATE INDEX submissions_by_client ON submissions(client, playbook);
    CREATE TABLE artifacts (
        id           INTEGER PRIMARY KEY,
        job_id       TEXT NOT NULL REFERENCES jobs(id),
        kind         TEXT NOT NULL,
        path         TEXT NOT NULL,
        at           TEXT NOT NULL
    );
    CREATE TABLE challenges (
        id           INTEGER PRIMARY KEY,
        job_id       TEXT NOT NULL REFERENCES jobs(id),
        kind         TEXT NOT NULL,     -- otp | captcha
        prompt       TEXT NOT NULL,
        artifact     TEXT,
        status       TEXT NOT NULL,     -- waiting | answered | expired
        created_at   TEXT NOT NULL,
        closed_at    TEXT
    );
    CREATE TABLE leases (
        client       TEXT NOT NULL,
        playbook     TEXT NOT NULL,
        holder       TEXT NOT NULL,
        job_id       TEXT,
        expires_at   REAL NOT NULL,
        PRIMARY KEY (client, playbook)
    );
    """,
    # 2: who holds a lease, for the message a second run gets; ``playbook`` is the lease's
    # scope: a playbook name, or '*' for every playbook of the client (what the agent takes)
    """
    ALTER TABLE leases ADD COLUMN command TEXT;   -- e.g. "rpa run renew", "rpa replay J"
    ALTER TABLE leases ADD COLUMN pid INTEGER;
    ALTER TABLE leases ADD COLUMN host TEXT;
    ALTER TABLE leases ADD COLUMN since TEXT;     -- when the holder took it (ISO, UTC)
    ALTER TABLE leases ADD COLUMN running TEXT;   -- the playbook the holder runs
    """,
    # 3: the console's people (rpa.journal.people): users, their sign-in sessions, and the
    # audit of what they did; plus the indexes its pages need at 20,000 jobs
    """
    CREATE TABLE users (
        name          TEXT PRIMARY KEY,
        role          TEXT NOT NULL,     -- viewer | operator | admin
        password_hash TEXT NOT NULL,     -- scrypt$n$r$p$salt$key (hex)
        created_at    TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        token_hash    TEXT PRIMARY KEY,  -- sha256 of the cookie's token (never the token)
        user_name     TEXT NOT NULL REFERENCES users(name),
        csrf          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        expires_at    REAL NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions(user_name);
    CREATE TABLE audit (
        id            INTEGER PRIMARY KEY,
        at            TEXT NOT NULL,
        who           TEXT NOT NULL,
        action        TEXT NOT NULL,     -- e.g. signed-in, challenge-answered, job-replayed
        target        TEXT,
        detail        TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_by_target ON audit(target, id);
    CREATE INDEX batches_by_created ON batches(created_at);
    CREATE INDEX artifacts_by_job ON artifacts(job_id, id);
    """,
    # 4: challenges a person answers in the console (rpa.journal.challenge_store): whose
    # they are, where an OTP went (masked only), when they expire, who answered; the
    # one-time relay links sent to clients (only a SHA-256 of each token), and the remote
    # workers that may raise challenges through the console's API (a hash of each
    # credential). Answers are never stored here: they pass through the inbox's files.
    """
    ALTER TABLE challenges ADD COLUMN client TEXT;        -- the client's IEC
    ALTER TABLE challenges ADD COLUMN firm TEXT;          -- the client's firm name
    ALTER TABLE challenges ADD COLUMN channel TEXT;       -- mobile | email (an OTP's)
    ALTER TABLE challenges ADD COLUMN destination TEXT;   -- where the OTP went, masked
    ALTER TABLE challenges ADD COLUMN relay_to TEXT;      -- JSON: the client's email/mobile
    ALTER TABLE challenges ADD COLUMN relay_mode TEXT;    -- the client's otp_relay
    ALTER TABLE challenges ADD COLUMN expires_at REAL;    -- time.time() the wait ends
    ALTER TABLE challenges ADD COLUMN provider TEXT;      -- console | worker:NAME | ...
    ALTER TABLE challenges ADD COLUMN note TEXT;          -- e.g. the previous OTP was refused
    ALTER TABLE challenges ADD COLUMN answered_by TEXT;   -- a user, or relay:client
    ALTER TABLE challenges ADD COLUMN relayed_at TEXT;    -- a link went to the client
    CREATE INDEX challenges_by_status ON challenges(status, id);
    CREATE INDEX challenges_by_job ON challenges(job_id, id);
    CREATE TABLE relay_tokens (
        token_hash    TEXT PRIMARY KEY,  -- sha256 of the link's token (never the token)
        challenge_id  INTEGER NOT NULL REFERENCES challenges(id),
        created_at    TEXT NOT NULL,
        expires_at    REAL NOT NULL,
        used_at       TEXT,
        sent_via      TEXT,              -- email | webhook
        sent_by       TEXT,              -- a user, or the batch
        tries         INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX relay_tokens_by_challenge ON relay_tokens(challenge_id);
    CREATE TABLE workers (
        name            TEXT PRIMARY KEY,
        credential_hash TEXT NOT NULL UNIQUE,  -- sha256 of the bearer credential
        created_at      TEXT NOT NULL,
        disabled        INTEGER NOT NULL DEFAULT 0
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s database up to ``SCHEMA_VERSION``; return the version it was at."""
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    if current > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"journal schema version {current} is newer than this program's {SCHEMA_VERSION}"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with conn:
            conn.executescript(
                "BEGIN;" + MIGRATIONS[version - 1] + f"PRAGMA user_version = {version};"
            )
    return int(current)
