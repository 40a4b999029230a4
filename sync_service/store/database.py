"""The database: SQLite (WAL, durable) by default, PostgreSQL by DATABASE_URL; the engine, the schema's
migrations, and how a transaction that writes is begun. SQL parameters are never put in an error's
message (``hide_parameters``): they hold members' data. No web framework here.

On SQLite a transaction that reads begins DEFERRED and takes no lock that stops anyone (WAL: readers
never wait for the writer, nor it for them). A transaction that writes is begun with ``writing(session)``,
which ends any read the session has open and begins IMMEDIATE: the write lock is taken up front, so two
writers queue instead of one failing when it upgrades a read; they queue in turn, each woken as the one
before it ends (``TurnTaking``), with SQLite's own wait (``busy_timeout``) behind that. With
``CPD_SQLITE_STRICT_WRITES=1`` (the tests set it) a write in a transaction not begun that way raises where
``strict_writes`` says it counts (the web app: while a request is served), so every write path a request
takes is found; nothing slow (a PDF, a Google Sheet, an HTTP call, mail) runs while one is open.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from collections.abc import Callable, Iterator
from sqlalchemy import create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeout
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from .driver import WRITE as _WRITE, rows_now
from .wal import into_wal

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def make_engine(url: str, strict_writes: Callable[[], bool] | None = None, wait: float = 30.0) -> Engine:
    """The engine for ``url``. ``strict_writes``: when it says so, a write outside a writing transaction raises
    (with ``CPD_SQLITE_STRICT_WRITES=1``, on SQLite). ``wait``: on SQLite, the seconds a writer waits for its
    turn, and then for the write lock, before it fails as 'database is locked' (answered 503)."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        turns = f"{path}-writers" if path not in (None, "", ":memory:") and _flock is not None else None
        engine = create_engine(url, connect_args={"timeout": wait, "check_same_thread": False,
                                                  **({"factory": TurnTaking} if turns else {})},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            conn.isolation_level = None                  # the driver's own BEGIN off: ours (below) is used
            turn = (lambda: conn.turn(turns, wait)) if turns else contextlib.nullcontext
            into_wal(conn, wait, turn)                   # readers do not block the writer
            cur = conn.cursor()
            cur.execute("PRAGMA synchronous=FULL")       # an accepted submission survives a power cut
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")   # wait for the writer, not 'database is locked'
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            writes = bool(conn.get_execution_options().get("cpd_write"))
            conn.info["cpd_writes"] = writes
            driver = conn.connection.driver_connection if writes and turns else None
            if driver is not None:                         # this writer's turn first: see TurnTaking
                assert isinstance(driver, TurnTaking) and turns is not None
                try:
                    driver.take_turn(turns, wait)
                except sqlite3.OperationalError as exc:   # waited past the bound: as SQLite's own 'locked'
                    raise OperationalError("BEGIN IMMEDIATE", None, exc, hide_parameters=True) from exc
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")   # see writing()
            except BaseException:
                if driver is not None:
                    driver.end_turn()
                raise

        if os.environ.get("CPD_SQLITE_STRICT_WRITES") == "1":
            @event.listens_for(engine, "before_cursor_execute")
            def _only_marked_writes(conn, _cursor, statement, _params, _context, _many):
                if _WRITE.match(statement) and not conn.info.get("cpd_writes") and strict_writes is not None \
                        and strict_writes():
                    raise RuntimeError(f"a write in a read transaction (begin it with db.writing): {statement[:60]}")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url, pool_size=10, max_overflow=10, hide_parameters=True)
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "after_cursor_execute", rows_now)
    return engine


try:
    from fcntl import LOCK_EX, LOCK_NB, LOCK_UN, flock as _flock
except ImportError:                                # Windows: waitress, one process; SQLite's own wait
    _flock = None                                  # type: ignore[assignment]


class TurnTaking(sqlite3.Connection):
    """An SQLite connection whose transactions that write take turns with those of every other connection,
    thread and process on the same database, by a lock on a file beside it (``<database>-writers``,
    advisory, held from ``BEGIN IMMEDIATE`` to the commit or rollback).

    SQLite lets one writer in at a time, and one that finds the write lock taken waits in its busy
    handler, sleeping 1, 2, 5, 10 ... 100 ms between tries: under load the lock often lies free while
    the writers sleep (a submission's upload waited 250 ms at p95 and 0.9 s at p99 with 8 clients).
    A writer waiting here is woken by the kernel the moment the one before it ends. SQLite's own lock
    still guards the data (a program that does not take turns is waited for as before), and a process
    that dies holding its turn gives it up with its files. The wait is bounded as SQLite's own is: a writer
    not let in within ``wait`` seconds (one before it stopped inside its write) fails as 'database is
    locked', which the service answers 503."""

    _turn: int | None = None          # the lock file, opened once a connection (-1: it cannot be)
    _holding = False

    def take_turn(self, lock_file: str, wait: float) -> None:
        if self._turn is None:
            self._turn = _open_turns(lock_file)
        if self._turn < 0:            # SQLite's own wait alone, as without turns
            return
        if not _turn_taken_now(self._turn):       # another writer's turn: wait for it, within the bound
            fd, self._turn = self._turn, None     # the wait's until it says the turn came
            if not _Waiting(fd).until(wait):      # (if not, it gives the turn back when it comes)
                raise sqlite3.OperationalError(f"database is locked (no writer's turn within {wait:g} s)")
            self._turn = fd
        self._holding = True

    @contextlib.contextmanager
    def turn(self, lock_file: str, wait: float) -> Iterator[None]:
        """This connection's turn held for what is done inside (outside a transaction: switching to WAL)."""
        self.take_turn(lock_file, wait)
        try:
            yield
        finally:
            self.end_turn()

    def end_turn(self) -> None:
        if self._holding and self._turn is not None:
            self._holding = False
            _flock(self._turn, LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()
            if self._turn is not None and self._turn >= 0:
                os.close(self._turn)
            self._turn = None


def _turn_taken_now(fd: int) -> bool:
    """Take the turn if it is free; whether it was."""
    try:
        _flock(fd, LOCK_EX | LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _Waiting(threading.Thread):
    """A wait for a writer's turn that can be given up: ``flock`` has no time limit of its own, so a thread
    waits in it and the writer waits for that thread, within its bound. A wait given up gives the turn back
    the moment it comes and closes the lock file's description (its connection opens a new one), so no
    turn is ever held by a writer that is not there."""

    def __init__(self, fd: int) -> None:
        super().__init__(name="cpd-sqlite-turn", daemon=True)
        self._fd = fd
        self._let_in = threading.Event()
        self._given_up = False
        self._decided = threading.Lock()

    def until(self, wait: float) -> bool:
        """Whether the turn came within ``wait`` seconds (held, then, by the lock file's description, which is
        the caller's again); if not, the lock file is this wait's to close."""
        try:
            self.start()
        except BaseException:             # no thread to wait in: the lock file is closed here
            os.close(self._fd)
            raise
        try:
            self._let_in.wait(wait)
        except BaseException:             # interrupted: the turn, if it came meanwhile, goes back at once
            if not self._give_up():
                _flock(self._fd, LOCK_UN)
                os.close(self._fd)
            raise
        return not self._give_up()

    def _give_up(self) -> bool:
        """Give the wait up unless the turn has come; whether it was given up."""
        with self._decided:
            self._given_up = not self._let_in.is_set()
            return self._given_up

    def run(self) -> None:
        _flock(self._fd, LOCK_EX)
        with self._decided:
            if not self._given_up:
                self._let_in.set()
                return
        _flock(self._fd, LOCK_UN)
        os.close(self._fd)


def _open_turns(path: str) -> int:
    """The writers' lock file, made readable by everyone (it holds nothing, and a lock needs only a read), so
    that the service and an operator's command run as another user both take turns; -1 when it cannot be
    opened at all (then writes wait in SQLite's own way, as without it)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        try:
            return os.open(path, os.O_RDONLY)         # another user's: reading it is enough to lock it
        except OSError:
            return -1
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o644)                          # whatever the umask (another user's file: left as it is)
    return fd


def writing(session: Session) -> Session:
    """Begin the session's next transaction as one that writes (on SQLite, BEGIN IMMEDIATE), ending the
    read it has open, if any. Call it before the first statement of a transaction that writes."""
    if session.in_transaction():
        conn = session.connection()
        if conn.info.get("cpd_writes") or conn.dialect.name != "sqlite":
            return session
        session.commit()
    session.connection(execution_options={"cpd_write": True})
    return session


_SQLITE_AWAY = ("locked", "busy", "unable to open", "disk i/o")


def unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be used now (to try again shortly), rather than a
    fault in the service: a lost or refused connection, a server shutting down or starting up, no pooled
    connection free in time, SQLite's file locked past the wait or not there."""
    if isinstance(exc, SATimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(word in str(exc.orig).lower() for word in _SQLITE_AWAY)
    return True                                    # psycopg: OperationalError is the server or the network


def _pragma(conn: Connection, sql: str) -> None:
    """A pragma on SQLite's own connection, outside any transaction."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(sql)


MIGRATION_LOCK = 0x43504431            # PostgreSQL advisory lock class of the migrations ("CPD1"), per schema


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest migration (Alembic), or to ``revision``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect().execution_options(cpd_write=True) as conn:
        if sqlite:
            # SQLite changes a table by copying it and dropping the old one; with foreign keys on, dropping
            # a parent table deletes its children (a submission's delivery). They are off while migrating,
            # and checked after. (The pragma must come before the transaction begins.)
            _pragma(conn, "PRAGMA foreign_keys=OFF")
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # Processes starting together on a fresh database (``cpd serve``, ``cpd worker``s) migrate one at
                # a time: the others wait here, then find the schema at its newest and do nothing. (Two creating
                # the same tables at once, one failed: 5 of 5 starts of three.) On SQLite the migration's BEGIN
                # IMMEDIATE does the same. The lock is this schema's, held until the transaction ends.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))",
                                     (MIGRATION_LOCK,))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left {len(broken)} rows whose parent is missing")
        if sqlite:
            _pragma(conn, "PRAGMA foreign_keys=ON")
