"""Statements on the driver's own connection, for the hot path of an upload on PostgreSQL: the writes of a
transaction sent together (``pipelined``: one round trip, not one a statement) and a statement run without
SQLAlchemy's execution around it (``direct``), each giving what SQLAlchemy gives (its rows, its errors). On
SQLite (in the process: no round trips) statements run as SQLAlchemy runs them. No web framework here."""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Float, LargeBinary
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


@contextlib.contextmanager
def pipelined(conn: Connection) -> Iterator[Connection]:
    """Within it, on PostgreSQL, a statement that returns no rows is sent without waiting for its answer
    (the server's pipeline mode: psycopg's ``Connection.pipeline``), so what a transaction writes reaches the
    server in one round trip, not one a statement; the answers are read where it ends. A statement that
    returns rows gets them as it runs (``rows_now`` reads the answers first). An error of a statement sent
    ahead is raised where the answers are read, as SQLAlchemy's error (a unique key's: IntegrityError), the
    transaction then to be rolled back as after any failed statement. Elsewhere (SQLite, in the process: no
    round trips) the statements run as they come."""
    if conn.dialect.driver != "psycopg" or "cpd_pipeline" in conn.info:
        yield conn
        return
    import psycopg
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.pipeline() as pipeline:
            conn.info["cpd_pipeline"] = pipeline
            try:
                yield conn
            finally:
                del conn.info["cpd_pipeline"]
    except psycopg.Error as exc:      # raised reading the answers on the way out: as SQLAlchemy raises it
        raise DBAPIError.instance(None, None, exc, psycopg.Error, hide_parameters=True,
                                  dialect=conn.dialect) from exc


def rows_now(conn, _cursor, statement: str, _params, _context, _many) -> None:
    """In a pipeline, a statement that may return rows waits for its answers (and those sent before it)
    before SQLAlchemy reads them; a write without RETURNING (``WRITE``) does not wait."""
    pipeline = conn.info.get("cpd_pipeline")
    if pipeline is not None and not (WRITE.match(statement) and "RETURNING" not in statement.upper()):
        pipeline.sync()


# -- the hot path's statements on the driver -------------------------------------------------------------
@dataclass(frozen=True)
class _DriverSql:
    """A Core statement compiled once for psycopg: its SQL, the values bound in it, whether it returns rows."""
    sql: str
    fixed: dict
    rows: bool


_DRIVER_SQL: dict[tuple, _DriverSql] = {}
# Binds whose SQLAlchemy processor psycopg's own adaptation matches: LargeBinary's wraps bytes in
# psycopg.Binary, dumped as bytea in binary as bytes themselves are; Boolean's coerces to bool, and psycopg
# dumps a bool as a boolean (anything else it would send as what it is, and the server refuse).
_SAME_BIND = (LargeBinary, Boolean)


def direct(conn: Connection, statement, params: Any) -> list:
    """Run a statement an upload runs every time (the token's lookup, the record's lock, the submission's
    writes): on PostgreSQL on psycopg's own connection, inside the caller's transaction, its SQL compiled once
    (for its statement and parameter names) and its values passed as they are; elsewhere as SQLAlchemy runs it.
    SQLAlchemy's execution around each statement (its context, events, result) cost about as much CPU again as
    psycopg's own: an insert and its commit 0.26-0.31 ms through it, 0.10-0.15 ms on the driver, on a slow
    machine; off a submission's dozen, the web workers' CPU a submission went from 7.97 to 6.81 ms there
    (``bench/bench_service.py``, four rounds against the code before).
    The rows it returns, if any (named tuples, read as SQLAlchemy's rows are); none for a write. ``statement``:
    one built once (a module's constant: its SQL is kept, compiled, for the process's life). ``params``: one
    statement's (a dict; a tuple for a string), or a list of dicts for one statement each.

    Only statements that need no conversion of a value on either side are taken (a type of its own that
    converts binds or results is refused where it is compiled, so a change to a column cannot pass a value
    unconverted), and an error is SQLAlchemy's (a unique key's: IntegrityError; a lost connection
    invalidated) as from ``conn.execute``. In ``pipelined``, a write is sent without waiting and a statement
    that returns rows waits for its answers, as there. A string is SQL in the driver's own style (a write whose
    values are given by place), run as it is."""
    if conn.dialect.driver != "psycopg":
        result = (conn.exec_driver_sql(statement, params) if isinstance(statement, str)
                  else conn.execute(statement, params))
        return list(result.all()) if result.returns_rows else []
    if not conn.in_transaction():
        conn.begin()                              # SQLAlchemy's own transaction: its commit and rollback are real
    many = isinstance(params, list)
    if isinstance(statement, str):                # the driver's own SQL already: a write, its values by place
        compiled = _DriverSql(statement, {}, False)
    else:
        keys = tuple(params[0] if many else params)
        compiled = _DRIVER_SQL.get((statement, keys)) or _compile(conn, statement, keys)
    if compiled.fixed:
        params = [{**compiled.fixed, **p} for p in params] if many else {**compiled.fixed, **params}
    import psycopg
    from psycopg.rows import namedtuple_row
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        cursor = driver.cursor(row_factory=namedtuple_row) if compiled.rows else driver.cursor()
        if many:
            cursor.executemany(compiled.sql, params)
        else:
            cursor.execute(compiled.sql, params)
        return cursor.fetchall() if compiled.rows else []
    except psycopg.Error as exc:
        lost = conn.dialect.is_disconnect(exc, driver, None)         # type: ignore[arg-type]
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(compiled.sql, None, exc, psycopg.Error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=conn.dialect) from exc


def _compile(conn: Connection, statement, keys: tuple) -> _DriverSql:
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(keys))
    made = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]   # defaults made in Python
    fixed = {name: value for name, value in compiled.params.items() if name not in keys and name not in made}
    if made or "POSTCOMPILE" in compiled.string or set(compiled.bind_names.values()) != set(keys) | set(fixed) \
            or any(callable(value) for value in fixed.values()):
        raise ValueError(f"not a statement for direct(): its parameters are not {sorted(keys)} "
                         f"(SQLAlchemy would make {made}): {compiled.string[:80]}")
    for bind in compiled.binds.values():
        if not isinstance(bind.type, _SAME_BIND) and \
                bind.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) is not None:
            raise ValueError(f"not a statement for direct(): {bind.key} is converted ({bind.type!r})")
    columns = list(getattr(statement, "exported_columns", ()))
    for column in columns:
        float8 = 701 if isinstance(column.type, Float) else None       # a Float column is double precision
        if column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, float8) is not None:
            raise ValueError(f"not a statement for direct(): {column.name} is converted ({column.type!r})")
    found = _DRIVER_SQL[(statement, keys)] = _DriverSql(compiled.string, fixed, bool(columns))
    return found
