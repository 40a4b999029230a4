"""SQLite's WAL mode switched on safely, for the service's database and the reference receiver's store (no
SQLAlchemy here: the receiver does without it).

A database is in rollback mode until a first connection switches it to WAL by writing its header (the mode
then stays in the file). There SQLite does not wait for another writer: a read upgrading to a write is
refused at once ('database is locked'; its busy handler is not called, lest two such readers wait on each
other for ever), as processes starting together on a new database found, one of three failing. So the
switch is tried again within the connection's wait, sleeping as SQLite's own wait does (1 ms, doubling to
100), and the service's connections take the writers' turn for it first."""
from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractContextManager


def into_wal(conn: sqlite3.Connection, wait: float,
             turn: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext) -> None:
    """``conn``'s database in WAL mode, waiting up to ``wait`` seconds for other writers (and ``turn()``, held
    while switching) if it is not yet; nothing written, no turn taken, when it is."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    with turn():
        deadline, pause = time.monotonic() + wait, 0.001
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
