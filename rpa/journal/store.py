"""The ``Journal``: one SQLite file (WAL) in the data directory.

Every write commits at once, so a process killed at any moment leaves whole rows behind.
What exactly-once rests on (jobs, their outcomes, submit intents and results, leases) is
also synced to the disk before the write returns (``synchronous=FULL``), so it survives a
power cut; the step timeline, artifacts and challenges are committed without that sync
(``NORMAL``: in WAL mode a killed process loses none of them, a power cut only the last
few), because they are written at every step and an fsync each would stall the event loop
that drives every job.
Free text (errors, notes, prompts, commands) is masked on its way in, of the secrets of the
current scope (``rpa.masking``: a job's own while it runs; events arrive ``verbatim``,
masked when they were built). A job's result is a record (acks, certificate paths, dates,
amounts): it holds no secret by construction and is written exactly as given.
Several processes may open the same journal: SQLite serialises writers, and
``busy_timeout`` makes them wait rather than fail.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from rpa.errors import JournalError, LeaseHeldError
from rpa.journal.schema import migrate
from rpa.masking import mask
from rpa.outcomes import Outcome

FINAL_STATUSES = frozenset(o.value for o in Outcome if o is not Outcome.INTERRUPTED)
LEASE_TTL_S = 15 * 60  # its holder renews it while it runs (rpa.agent): this is the crash wait
ANY_PLAYBOOK = "*"  # a lease on every playbook of a client


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_id(prefix: str) -> str:
    return f"{prefix}{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}"


def default_holder(tag: str | None = None) -> str:
    """This process as a lease holder: ``host:pid``, or ``host:pid:tag`` for one of its
    runs (a job id), so two runs in one process hold leases apart."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{tag}" if tag else base


def holder_process(holder: str) -> tuple[str, int | None]:
    """The host and process id a holder token (``host:pid[:tag]``) names."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host, int(pid) if pid.isdigit() else None


def holder_alive(holder: str) -> bool:
    """False when ``holder`` (``host:pid[:tag]``) is a process of this host that no longer
    runs: its lease died with it (a crash, SIGKILL) and may be taken over at once."""
    host, pid = holder_process(holder)
    if host != socket.gethostname() or pid is None:
        return True  # another machine's process: trust the lease until it expires
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _failure(what: str, exc: sqlite3.Error) -> JournalError:
    """The error for SQLite's ``exc``: one the command line reports, once (``rpa.logs``)."""
    from rpa.logs import reported_by_the_cli  # loguru, imported only when the journal fails

    message = f"{what}: {exc}"
    reported_by_the_cli(message)
    return JournalError(message)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write: read-only, or, when SQLite cannot keep a read-only
    connection's shared-memory file beside a WAL journal (a folder this user cannot write),
    as an unchanging file."""
    if not path.is_file():
        raise JournalError(f"cannot open the journal {path}: no such file")
    last: sqlite3.Error | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?{options}",
                uri=True,
                timeout=30,
                check_same_thread=False,
                isolation_level=None,
            )
            conn.row_factory = sqlite3.Row
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error as exc:
            last = exc
    raise JournalError(f"cannot open the journal {path} to read it: {last}")


def _masked(value: str | None) -> str | None:
    return None if value is None else mask(value)


def _masked_json(value: dict[str, Any]) -> str:
    """Options as given on a command line: free text, masked like any."""
    return mask(json.dumps(value, default=str, sort_keys=True))


def _record_json(value: dict[str, Any]) -> str:
    """A job's result, exactly as given: masking must never alter an ack or a path."""
    return json.dumps(value, default=str, sort_keys=True)


@dataclass(frozen=True)
class BatchRow:
    id: str
    playbook: str
    source: str | None
    check_mode: bool
    status: str
    options: dict[str, Any]
    created_at: str
    finished_at: str | None
    note: str | None


@dataclass(frozen=True)
class JobRow:
    id: str
    batch_id: str | None
    client: str | None
    row: int | None
    playbook: str
    check_mode: bool
    status: str
    replay_of: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    duration_s: float | None
    current_step: str | None
    error: str | None
    error_kind: str | None
    error_code: str | None
    error_step: str | None
    result: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class LeaseRow:
    """A lease: ``client`` × ``playbook`` (a playbook name, or ``ANY_PLAYBOOK``) is held by
    ``holder`` until ``expires_at`` (``time.time()``), and who that is."""

    client: str
    playbook: str
    holder: str
    job_id: str | None
    expires_at: float
    command: str | None = None
    pid: int | None = None
    host: str | None = None
    since: str | None = None
    running: str | None = None

    def busy_message(self) -> str:
        """What a run refused by this lease is told: who holds the client, since when."""
        who = f"`{self.command}`" if self.command else f"holder {self.holder}"
        what = f" is running {self.running} for it" if self.running else " holds it"
        facts = []
        if self.pid is not None:
            facts.append(f"process {self.pid}" + (f" on {self.host}" if self.host else ""))
        if self.job_id:
            facts.append(f"job {self.job_id}")
        if self.since:
            facts.append(f"since {_clock(self.since)}")
        detail = f" ({', '.join(facts)})" if facts else ""
        return f"{self.client} is busy: {who}{what}{detail}; try again when it has finished"


@dataclass(frozen=True)
class TimelineRow:
    at: str
    event: str
    step: str | None
    kind: str | None
    status: str | None
    duration_s: float | None
    detail: str | None


class Journal:
    """Read and write the journal. Thread-safe; one connection per instance.

    A write or read SQLite refuses (a full disk, damaged pages, a read-only file) raises
    ``JournalError`` ("journal write failed: …"), never SQLite's own error; its message is
    left for the command line to print once (``rpa.logs.reported_by_the_cli``).
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        if read_only:
            self._conn = _open_read_only(self.path)
            self._durable = True
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=30, check_same_thread=False, isolation_level=None
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._durable = True
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=30000")
            migrate(self._conn)
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"cannot open the journal {self.path}: {exc}") from exc

    @classmethod
    def for_reading(cls, path: Path | str) -> Journal:
        """The journal at ``path`` for a command that only reads it: opened as usual when
        it can be (brought up to date), else read-only (a data folder this user cannot
        write, a read-only disk). Raises ``JournalError`` when neither works."""
        try:
            return cls(path)
        except JournalError as first:
            try:
                return cls(path, read_only=True)
            except JournalError:
                raise first from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                if durable != self._durable:
                    self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                    self._durable = durable
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise _failure("journal write failed", exc) from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Undo the open transaction, if any; a failing disk may refuse even that."""
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise _failure("journal read failed", exc) from exc

    # -- batches -----------------------------------------------------------------------

    def create_batch(
        self,
        playbook: str,
        *,
        source: str | None = None,
        check_mode: bool = False,
        options: dict[str, Any] | None = None,
    ) -> str:
        batch_id = new_id("b")
        with self._write() as db:
            db.execute(
                "INSERT INTO batches (id, playbook, source, check_mode, status, options,"
                " created_at) VALUES (?, ?, ?, ?, 'running', ?, ?)",
                (
                    batch_id,
                    playbook,
                    source,
                    int(check_mode),
                    _masked_json(options or {}),
                    now_iso(),
                ),
            )
        return batch_id

    def set_batch_status(self, batch_id: str, status: str, *, note: str | None = None) -> None:
        finished = now_iso() if status != "running" else None
        with self._write() as db:
            db.execute(
                "UPDATE batches SET status = ?, finished_at = ?, note = ? WHERE id = ?",
                (status, finished, _masked(note), batch_id),
            )

    def batch(self, batch_id: str) -> BatchRow:
        rows = self._read("SELECT * FROM batches WHERE id = ?", (batch_id,))
        if not rows:
            raise JournalError(f"no batch {batch_id!r} in {self.path}")
        row = dict(rows[0])
        row["check_mode"] = bool(row["check_mode"])
        row["options"] = json.loads(row["options"])
        return BatchRow(**row)

    def batches(self, limit: int = 20) -> list[BatchRow]:
        ids = self._read("SELECT id FROM batches ORDER BY created_at DESC LIMIT ?", (limit,))
        return [self.batch(r["id"]) for r in ids]

    # -- jobs --------------------------------------------------------------------------

    def add_job(
        self,
        playbook: str,
        *,
        client: str | None = None,
        batch_id: str | None = None,
        row: int | None = None,
        check_mode: bool = False,
        replay_of: str | None = None,
    ) -> str:
        job_id = new_id("j")
        with self._write() as db:
            db.execute(
                "INSERT INTO jobs (id, batch_id, client, row, playbook, check_mode, status,"
                " replay_of, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (job_id, batch_id, client, row, playbook, int(check_mode), replay_of, now_iso()),
            )
        return job_id

    def job_started(self, job_id: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE jobs SET status = 'running', started_at = ?, finished_at = NULL,"
                " error = NULL, error_kind = NULL, error_code = NULL, error_step = NULL"
                " WHERE id = ?",
                (now_iso(), job_id),
            )

    def step_started(self, job_id: str, step: str, *, kind: str, at: str | None = None) -> None:
        """The job's current step, and its ``step-started`` row, in one transaction."""
        with self._write(durable=False) as db:
            db.execute("UPDATE jobs SET current_step = ? WHERE id = ?", (mask(step), job_id))
            _insert_timeline(db, job_id, "step-started", at=at, step=step, kind=kind)

    def job_finished(
        self,
        job_id: str,
        outcome: Outcome | str,
        *,
        duration_s: float | None = None,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        error_kind: str | None = None,
        error_code: str | None = None,
        error_step: str | None = None,
        finished_at: datetime | str | None = None,
    ) -> None:
        """Record how ``job_id`` ended. ``finished_at`` defaults to now; imports and tests
        may give the real time (an aware ``datetime`` or an ISO string)."""
        if isinstance(finished_at, datetime):
            finished_at = finished_at.isoformat(timespec="milliseconds")
        with self._write() as db:
            db.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, duration_s = ?, result = ?,"
                " error = ?, error_kind = ?, error_code = ?, error_step = ?, current_step = NULL"
                " WHERE id = ?",
                (
                    str(outcome),
                    finished_at or now_iso(),
                    duration_s,
                    _record_json(result or {}),
                    _masked(error),
                    error_kind,
                    error_code,
                    _masked(error_step),
                    job_id,
                ),
            )

    def job(self, job_id: str) -> JobRow:
        rows = self._read("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise JournalError(f"no job {job_id!r} in {self.path}")
        return _job_row(rows[0])

    def jobs(
        self,
        *,
        batch_id: str | None = None,
        status: str | None = None,
        client: str | None = None,
        limit: int | None = None,
    ) -> list[JobRow]:
        where, params = [], []
        for column, value in (("batch_id", batch_id), ("status", status), ("client", client)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, rowid"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_job_row(r) for r in self._read(sql, tuple(params))]

    def mark_unfinished_interrupted(self, batch_id: str) -> int:
        """Jobs of ``batch_id`` left running (a crash, Ctrl-C) become ``interrupted``."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'interrupted', finished_at = ?"
                " WHERE batch_id = ? AND status = 'running'",
                (now_iso(), batch_id),
            )
            return cursor.rowcount

    # -- the step timeline -------------------------------------------------------------

    def add_timeline(
        self,
        job_id: str,
        event: str,
        *,
        at: str | None = None,
        step: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        duration_s: float | None = None,
        detail: str | None = None,
    ) -> None:
        with self._write(durable=False) as db:
            _insert_timeline(
                db,
                job_id,
                event,
                at=at,
                step=step,
                kind=kind,
                status=status,
                duration_s=duration_s,
                detail=detail,
            )

    def timeline(self, job_id: str) -> list[TimelineRow]:
        rows = self._read(
            "SELECT at, event, step, kind, status, duration_s, detail FROM timeline"
            " WHERE job_id = ? ORDER BY id",
            (job_id,),
        )
        return [TimelineRow(**dict(r)) for r in rows]

    # -- exactly once ------------------------------------------------------------------

    def submit_intent(self, job_id: str, step: str) -> None:
        """Record, durably, that ``job_id`` is about to submit at ``step``."""
        job = self.job(job_id)
        with self._write() as db:
            db.execute(
                "INSERT INTO submissions (job_id, client, playbook, step, intent_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (job_id, job.client, job.playbook, mask(step), now_iso()),
            )

    def submit_done(self, job_id: str, step: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE submissions SET done_at = ? WHERE id = (SELECT max(id) FROM submissions"
                " WHERE job_id = ? AND step = ? AND done_at IS NULL)",
                (now_iso(), job_id, mask(step)),
            )

    def unconfirmed_submissions(self, client: str, playbook: str | None = None) -> list[str]:
        """Job ids that recorded an intent to submit for ``client`` but no result, and that
        no later run has settled."""
        sql = (
            "SELECT job_id FROM submissions"
            " WHERE client = ? AND done_at IS NULL AND resolved_at IS NULL"
        )
        params: tuple[Any, ...] = (client,)
        if playbook is not None:
            sql += " AND playbook = ?"
            params += (playbook,)
        return [r["job_id"] for r in self._read(sql + " ORDER BY id", params)]

    def settle_submissions(self, client: str, playbook: str) -> None:
        """A run of ``client`` × ``playbook`` ended ok/changed after probing the portal:
        earlier intents without a result are settled (the portal's state is known)."""
        with self._write() as db:
            db.execute(
                "UPDATE submissions SET resolved_at = ? WHERE client = ? AND playbook = ?"
                " AND done_at IS NULL AND resolved_at IS NULL",
                (now_iso(), client, playbook),
            )

    def submissions(self, job_id: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT * FROM submissions WHERE job_id = ? ORDER BY id", (job_id,))
        return [dict(r) for r in rows]

    # -- artifacts and challenges ------------------------------------------------------

    def add_artifact(self, job_id: str, kind: str, path: str) -> None:
        with self._write(durable=False) as db:
            db.execute(
                "INSERT INTO artifacts (job_id, kind, path, at) VALUES (?, ?, ?, ?)",
                (job_id, kind, path, now_iso()),
            )

    def artifacts(self, job_id: str) -> list[tuple[str, str]]:
        rows = self._read(
            "SELECT kind, path FROM artifacts WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [(r["kind"], r["path"]) for r in rows]

    def add_challenge(
        self, job_id: str, kind: str, prompt: str, artifact: str | None = None
    ) -> int:
        with self._write(durable=False) as db:
            db.execute(
                "UPDATE challenges SET status = 'answered', closed_at = ?"
                " WHERE job_id = ? AND status = 'waiting'",
                (now_iso(), job_id),
            )
            cursor = db.execute(
                "INSERT INTO challenges (job_id, kind, prompt, artifact, status, created_at)"
                " VALUES (?, ?, ?, ?, 'waiting', ?)",
                (job_id, kind, mask(prompt), artifact, now_iso()),
            )
            return int(cursor.lastrowid or 0)

    def close_challenges(self, job_id: str, status: str = "answered") -> None:
        with self._write(durable=False) as db:
            db.execute(
                "UPDATE challenges SET status = ?, closed_at = ?"
                " WHERE job_id = ? AND status = 'waiting'",
                (status, now_iso(), job_id),
            )

    def waiting_challenges(self) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT c.id, c.job_id, c.kind, c.prompt, c.artifact, c.created_at, j.client"
            " FROM challenges c JOIN jobs j ON j.id = c.job_id"
            " WHERE c.status = 'waiting' ORDER BY c.id"
        )
        return [dict(r) for r in rows]

    # -- leases ------------------------------------------------------------------------

    def acquire_lease(
        self,
        client: str,
        playbook: str,
        *,
        job_id: str | None = None,
        holder: str | None = None,
        ttl_s: float = LEASE_TTL_S,
        command: str | None = None,
        running: str | None = None,
    ) -> None:
        """Take the lease on ``client`` × ``playbook`` or raise ``LeaseHeldError`` saying
        who holds it. ``command`` (``rpa run renew``) and ``running`` (the playbook) are
        for that message; the holder's host and process come from ``holder``.

        A lease expires ``ttl_s`` after it was last taken or renewed, so a crashed
        holder does not block the client for ever; one whose process of this host has
        died is taken over at once. Taking again a lease one holds renews it.
        """
        holder = holder or default_holder()
        host, pid = holder_process(holder)
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT * FROM leases WHERE client = ? AND playbook = ?", (client, playbook)
            ).fetchone()
            if (
                row is not None
                and row["holder"] != holder
                and row["expires_at"] > now
                and holder_alive(row["holder"])
            ):
                held = LeaseRow(**dict(row))
                raise LeaseHeldError(
                    held.busy_message(),
                    holder=held.holder,
                    job_id=held.job_id,
                    command=held.command,
                    pid=held.pid,
                    host=held.host,
                    since=held.since,
                )
            db.execute(
                "INSERT INTO leases (client, playbook, holder, job_id, expires_at, command, pid,"
                " host, since, running) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (client, playbook) DO UPDATE SET"
                " since = CASE WHEN leases.holder = excluded.holder THEN leases.since"
                " ELSE excluded.since END,"
                " holder = excluded.holder, job_id = excluded.job_id,"
                " expires_at = excluded.expires_at, command = excluded.command,"
                " pid = excluded.pid, host = excluded.host, running = excluded.running",
                (
                    client,
                    playbook,
                    holder,
                    job_id,
                    now + ttl_s,
                    _masked(command),
                    pid,
                    host,
                    now_iso(),
                    running,
                ),
            )

    def renew_lease(
        self, client: str, playbook: str, *, holder: str | None = None, ttl_s: float = LEASE_TTL_S
    ) -> bool:
        """Push a held lease's expiry ``ttl_s`` from now; False when ``holder`` no longer
        holds it (it expired and another run took it over)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE leases SET expires_at = ? WHERE client = ? AND playbook = ? AND holder = ?",
                (time.time() + ttl_s, client, playbook, holder or default_holder()),
            )
            return cursor.rowcount == 1

    def lease(self, client: str, playbook: str) -> LeaseRow | None:
        """The lease on ``client`` × ``playbook``, held or expired; None when there is none."""
        rows = self._read(
            "SELECT * FROM leases WHERE client = ? AND playbook = ?", (client, playbook)
        )
        return LeaseRow(**dict(rows[0])) if rows else None

    def release_lease(self, client: str, playbook: str, *, holder: str | None = None) -> None:
        with self._write() as db:
            db.execute(
                "DELETE FROM leases WHERE client = ? AND playbook = ? AND holder = ?",
                (client, playbook, holder or default_holder()),
            )


def _clock(stamp: str) -> str:
    """``2026-12-05T10:00:03.123+00:00`` → ``2026-12-05 10:00:03 UTC``."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _job_row(row: sqlite3.Row) -> JobRow:
    data = dict(row)
    data["check_mode"] = bool(data["check_mode"])
    data["result"] = json.loads(data["result"] or "{}")
    return JobRow(**data)


def _insert_timeline(
    db: sqlite3.Connection,
    job_id: str,
    event: str,
    *,
    at: str | None = None,
    step: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    duration_s: float | None = None,
    detail: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO timeline (job_id, at, event, step, kind, status, duration_s, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (job_id, at or now_iso(), event, _masked(step), kind, status, duration_s, _masked(detail)),
    )
