"""``store.driver``: on PostgreSQL the statements a transaction writes go to the server together, in one round
trip, with reads inside still answered and errors still SQLAlchemy's (``pipelined``), and the statements an
upload runs every time run on psycopg's own connection (``direct``: SQLAlchemy's execution around each
skipped), giving what SQLAlchemy gives: the same rows and values, its errors, a lost connection invalidated;
a statement whose values SQLAlchemy would convert is refused rather than sent unconverted. On SQLite, statements
as they come, as SQLAlchemy runs them. Against the real servers (conftest's ``database_url``: an SQLite file and
a PostgreSQL schema)."""
from __future__ import annotations

import contextlib
import json
import os
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, Integer, LargeBinary, MetaData, String, Table,
                        bindparam, insert, select, text, update)
from sqlalchemy.exc import DBAPIError, IntegrityError

from sync_service.store.database import make_engine
from sync_service.store.driver import direct, pipelined
from sync_service.store.models import aware

META = MetaData()
COUNTS = Table("pipeline_items", META, Column("id", Integer, primary_key=True), Column("name", String(40)),
               Column("count", Integer))
ITEMS = Table("direct_items", META, Column("id", Integer, primary_key=True), Column("name", String(40)),
              Column("weight", Float), Column("ready", Boolean), Column("day", Date),
              Column("at", DateTime(timezone=True)), Column("body", LargeBinary),
              Column("stamped", DateTime(timezone=True), default=lambda: datetime.now(timezone.utc)),
              Column("extra", JSON))
INSERT = ITEMS.insert().inline()
BY_NAME = select(ITEMS.c.id, ITEMS.c.name, ITEMS.c.weight, ITEMS.c.ready, ITEMS.c.day, ITEMS.c.at,
                 ITEMS.c.body).where(ITEMS.c.name == bindparam("name")).order_by(ITEMS.c.id)
AT = datetime(2026, 12, 5, 9, 30, 15, 123456, tzinfo=timezone.utc)


def _row(i: int, name: str = "") -> dict:
    return {"id": i, "name": name or f"item {i}", "weight": i + 0.25, "ready": i % 2 == 0, "day": date(2026, 1, 1 + i),
            "at": AT, "body": bytes(range(256)) * i, "stamped": AT}

@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    META.create_all(engine)
    yield engine
    engine.dispose()


@contextlib.contextmanager
def traced(conn, folder):
    """libpq's trace of what passes on ``conn`` inside (PostgreSQL; nothing elsewhere), and a function saying how
    many times the client waited for the server in it: the turns from its messages to the server's."""
    path = folder / "trace.txt"
    postgres = conn.dialect.name == "postgresql"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    if postgres:
        conn.connection.driver_connection.pgconn.trace(fd)
    try:
        yield lambda: _turns(path.read_text())
    finally:
        if postgres:
            conn.connection.driver_connection.pgconn.untrace()
        os.close(fd)


def _turns(trace: str) -> int:
    senders = re.findall(r"^[^\t\n]*\t([FB])\t", trace, re.M)
    return sum(1 for before, now in zip(senders, senders[1:]) if (before, now) == ("F", "B"))


def test_the_writes_go_in_one_round_trip_and_are_kept(engine, tmp_path):
    with engine.connect() as conn:
        conn.execute(insert(COUNTS), {"id": 1, "name": "first", "count": 0})        # before: answered alone
        with traced(conn, tmp_path) as waits, pipelined(conn):
            for i in range(2, 7):
                conn.execute(insert(COUNTS).inline(), {"id": i, "name": f"item {i}", "count": i})
            conn.execute(update(COUNTS).where(COUNTS.c.id == 1).values(count=99))
        conn.commit()
    if engine.dialect.name == "postgresql":           # six statements, one wait for their answers
        assert waits() == 1
    with engine.connect() as conn:
        assert conn.execute(select(COUNTS.c.id, COUNTS.c.count).order_by(COUNTS.c.id)).all() == \
            [(1, 99), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)]


def test_a_read_inside_gets_its_rows_with_what_was_sent_before_it(engine):
    with engine.connect() as conn:
        with pipelined(conn):
            conn.execute(insert(COUNTS).inline(), {"id": 1, "name": "one", "count": 1})
            conn.execute(insert(COUNTS).inline(), {"id": 2, "name": "two", "count": 2})
            assert conn.execute(select(COUNTS.c.name).order_by(COUNTS.c.id)).scalars().all() == ["one", "two"]
            back = conn.execute(insert(COUNTS).returning(COUNTS.c.id), {"id": 3, "name": "three", "count": 3})
            assert back.scalar_one() == 3
            conn.execute(update(COUNTS).values(count=COUNTS.c.count + 10))
        assert conn.execute(select(COUNTS.c.count).order_by(COUNTS.c.id)).scalars().all() == [11, 12, 13]
        conn.commit()


def test_a_duplicate_key_inside_is_sqlalchemys_integrity_error_and_the_transaction_rolls_back(engine):
    with engine.connect() as conn:
        conn.execute(insert(COUNTS), {"id": 1, "name": "kept", "count": 1})
        conn.commit()
        with pytest.raises(IntegrityError):
            with pipelined(conn):
                conn.execute(insert(COUNTS).inline(), {"id": 2, "name": "lost with the rest", "count": 2})
                conn.execute(insert(COUNTS).inline(), {"id": 1, "name": "a second 1", "count": 3})
                conn.execute(update(COUNTS).values(count=50))
        conn.rollback()
        assert conn.execute(select(COUNTS.c.id, COUNTS.c.name, COUNTS.c.count)).all() == [(1, "kept", 1)]
        with pipelined(conn):             # the connection goes on as before
            conn.execute(insert(COUNTS).inline(), {"id": 2, "name": "after", "count": 2})
        conn.commit()
        assert conn.execute(select(COUNTS.c.id).order_by(COUNTS.c.id)).scalars().all() == [1, 2]


def test_a_failure_of_the_code_inside_leaves_nothing_written(engine):
    with engine.connect() as conn:
        with pytest.raises(LookupError):
            with pipelined(conn):
                conn.execute(insert(COUNTS).inline(), {"id": 1, "name": "never kept", "count": 1})
                raise LookupError("the code between the statements failed")
        conn.rollback()
        assert conn.execute(select(COUNTS.c.id)).all() == []


def test_rows_and_values_are_what_sqlalchemy_gives(engine):
    with engine.connect() as conn:
        direct(conn, INSERT, _row(1, "same"))
        direct(conn, INSERT, [_row(2, "same"), _row(3, "same")])          # one statement each
        got = direct(conn, BY_NAME, {"name": "same"})
        conn.commit()
        expected = conn.execute(BY_NAME, {"name": "same"}).all()
    assert [tuple(r) for r in got] == [tuple(r) for r in expected] and len(got) == 3
    first = got[0]
    assert (first.id, first.name, first.weight, first.ready, first.day, first.body) == \
        (1, "same", 1.25, False, date(2026, 1, 2), bytes(range(256)))
    assert aware(first.at) == AT                     # SQLite gives it back naive, as SQLAlchemy does


def test_an_update_with_a_value_bound_in_it_and_a_returning_insert(engine):
    rename = update(ITEMS).where(ITEMS.c.id == bindparam("rid")).values(name=bindparam("new"), ready=True)
    back = insert(ITEMS).values({c: bindparam(c) for c in _row(0)}).returning(ITEMS.c.id, ITEMS.c.name)
    with engine.connect() as conn:
        assert [tuple(r) for r in direct(conn, back, _row(5))] == [(5, "item 5")]
        assert direct(conn, rename, {"rid": 5, "new": "renamed"}) == []
        conn.commit()
        assert conn.execute(select(ITEMS.c.name, ITEMS.c.ready)).all() == [("renamed", True)]


def test_in_a_pipeline_direct_writes_wait_for_nothing_and_a_read_gets_what_was_sent_before_it(engine, tmp_path):
    with engine.connect() as conn:
        conn.execute(select(1))                       # the transaction begun before the trace
        with traced(conn, tmp_path) as waits, pipelined(conn):
            for i in range(1, 5):
                direct(conn, INSERT, _row(i, "piped"))
            names = [r.name for r in direct(conn, BY_NAME, {"name": "piped"})]
            direct(conn, update(ITEMS).values(weight=0.5), {})
            direct(conn, INSERT, _row(9, "piped"))
        conn.commit()
        assert names == ["piped"] * 4
        assert conn.execute(select(ITEMS.c.id, ITEMS.c.weight).order_by(ITEMS.c.id)).all() == \
            [(1, 0.5), (2, 0.5), (3, 0.5), (4, 0.5), (9, 9.25)]
    if engine.dialect.name == "postgresql":           # the read's wait, then the rest's at the end
        assert waits() == 2


def test_a_duplicate_key_is_sqlalchemys_integrity_error_alone_or_in_a_pipeline(engine):
    with engine.connect() as conn:
        direct(conn, INSERT, _row(1))
        conn.commit()
        with pytest.raises(IntegrityError):
            direct(conn, INSERT, _row(1, "again"))
        conn.rollback()
        with pytest.raises(IntegrityError):
            with pipelined(conn):
                direct(conn, INSERT, _row(2))
                direct(conn, INSERT, _row(1, "again"))
        conn.rollback()
        direct(conn, INSERT, _row(3))                 # the connection goes on
        conn.commit()
        assert conn.execute(select(ITEMS.c.id).order_by(ITEMS.c.id)).scalars().all() == [1, 3]


def test_a_statement_whose_values_sqlalchemy_converts_is_refused_on_postgresql(engine):
    with_json = {**_row(1), "extra": {"a": 1}}       # JSON: SQLAlchemy serialises the value
    without_default = {k: v for k, v in _row(2).items() if k != "stamped"}     # its default is SQLAlchemy's
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            with pytest.raises(ValueError, match="extra is converted"):
                direct(conn, INSERT, with_json)
            with pytest.raises(ValueError, match="parameters are not"):
                direct(conn, INSERT, without_default)
            return
        direct(conn, INSERT, with_json)               # elsewhere SQLAlchemy runs it, converting as ever
        direct(conn, INSERT, without_default)
        conn.commit()
        assert json.loads(conn.execute(text("SELECT extra FROM direct_items WHERE id = 1")).scalar_one()) == {"a": 1}
        assert conn.execute(select(ITEMS.c.stamped).where(ITEMS.c.id == 2)).scalar_one() is not None


@pytest.fixture
def postgres_engine():
    """PostgreSQL alone: a server connection to lose."""
    from conftest import postgres_schema_url
    admin, schema, url = postgres_schema_url()
    engine = make_engine(url)
    META.create_all(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_a_lost_connection_is_sqlalchemys_error_and_is_not_used_again(postgres_engine):
    engine = postgres_engine
    with engine.connect() as conn:
        pid = conn.connection.driver_connection.info.backend_pid
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as lost:
            direct(conn, BY_NAME, {"name": "any"})
        assert lost.value.connection_invalidated and conn.invalidated
    with engine.connect() as conn:                    # the pool hands out a live one
        assert conn.connection.driver_connection.info.backend_pid != pid
        assert direct(conn, BY_NAME, {"name": "any"}) == []
