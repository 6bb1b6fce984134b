"""Fault injection for tests: the ``rpa`` command with a journal whose disk fails.

``python -m tests.faults ARGS...`` runs ``rpa ARGS...`` as the console script does, after
wrapping every journal's SQLite connection so that, once ``FAULT_AFTER`` writes (INSERT,
UPDATE, DELETE) have gone through, every further write raises what SQLite raises when the
disk is full (``FAULT=full``, the default) or the file's pages are damaged
(``FAULT=corrupt``). Reads keep working, as they do on a full disk. CI needs no root
mounts, no tiny tmpfs, no real damage.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

from rpa.journal import store

FAULTS: dict[str, type[sqlite3.Error]] = {
    "full": sqlite3.OperationalError,
    "corrupt": sqlite3.DatabaseError,
}
MESSAGES = {"full": "database or disk is full", "corrupt": "database disk image is malformed"}
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class FailingConnection:
    """A ``sqlite3.Connection`` whose writes fail after ``after`` of them."""

    def __init__(self, conn: sqlite3.Connection, after: int, fault: str) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_left", after)
        object.__setattr__(self, "_fault", fault)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith(WRITES):
            if self._left <= 0:
                raise FAULTS[self._fault](MESSAGES[self._fault])
            object.__setattr__(self, "_left", self._left - 1)
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)


def install(after: int, fault: str = "full") -> None:
    """From now on, every journal opened fails its writes after ``after`` of them."""
    opened = store.Journal.__init__

    def init(self: store.Journal, *args: Any, **kwargs: Any) -> None:
        opened(self, *args, **kwargs)
        self._conn = FailingConnection(self._conn, after, fault)  # type: ignore[assignment]

    store.Journal.__init__ = init  # type: ignore[method-assign]


if __name__ == "__main__":
    install(int(os.environ.get("FAULT_AFTER", "0")), os.environ.get("FAULT", "full"))
    from rpa.cli import main

    sys.argv = ["rpa", *sys.argv[1:]]
    main()
