"""``store.database.pipelined``: on PostgreSQL the statements a transaction writes go to the server together,
in one round trip, with reads inside still answered and errors still SQLAlchemy's; on SQLite, statements as
they come. Against the real servers (conftest's ``database_url``: an SQLite file and a PostgreSQL schema)."""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync_service.store.database import make_engine
from sync_service.store.driver import pipelined

META = MetaData()
ITEMS = Table("pipeline_items", META, Column("id", Integer, primary_key=True), Column("name", String(40)),
              Column("count", Integer))


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    META.create_all(engine)
    yield engine
    engine.dispose()


def _syncs(path) -> int:
    """How many times the client waited for the server's answers: the Sync messages libpq's trace shows."""
    return len(re.findall(r"\tF\t\d+\tSync\b", path.read_text()))


def test_the_writes_go_in_one_round_trip_and_are_kept(engine, tmp_path):
    trace = tmp_path / "trace.txt"
    with engine.connect() as conn:
        conn.execute(insert(ITEMS), {"id": 1, "name": "first", "count": 0})        # before: answered alone
        postgres = conn.dialect.name == "postgresql"
        fd = os.open(trace, os.O_WRONLY | os.O_CREAT)
        if postgres:
            conn.connection.driver_connection.pgconn.trace(fd)
        with pipelined(conn):
            for i in range(2, 7):
                conn.execute(insert(ITEMS).inline(), {"id": i, "name": f"item {i}", "count": i})
            conn.execute(update(ITEMS).where(ITEMS.c.id == 1).values(count=99))
        if postgres:
            conn.connection.driver_connection.pgconn.untrace()
        os.close(fd)
        conn.commit()
    if postgres:                      # six statements, one wait for their answers
        assert _syncs(trace) == 1
    with engine.connect() as conn:
        assert conn.execute(select(ITEMS.c.id, ITEMS.c.count).order_by(ITEMS.c.id)).all() == \
            [(1, 99), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)]


def test_a_read_inside_gets_its_rows_with_what_was_sent_before_it(engine):
    with engine.connect() as conn:
        with pipelined(conn):
            conn.execute(insert(ITEMS).inline(), {"id": 1, "name": "one", "count": 1})
            conn.execute(insert(ITEMS).inline(), {"id": 2, "name": "two", "count": 2})
            assert conn.execute(select(ITEMS.c.name).order_by(ITEMS.c.id)).scalars().all() == ["one", "two"]
            back = conn.execute(insert(ITEMS).returning(ITEMS.c.id), {"id": 3, "name": "three", "count": 3})
            assert back.scalar_one() == 3
            conn.execute(update(ITEMS).values(count=ITEMS.c.count + 10))
        assert conn.execute(select(ITEMS.c.count).order_by(ITEMS.c.id)).scalars().all() == [11, 12, 13]
        conn.commit()


def test_a_duplicate_key_inside_is_sqlalchemys_integrity_error_and_the_transaction_rolls_back(engine):
    with engine.connect() as conn:
        conn.execute(insert(ITEMS), {"id": 1, "name": "kept", "count": 1})
        conn.commit()
        with pytest.raises(IntegrityError):
            with pipelined(conn):
                conn.execute(insert(ITEMS).inline(), {"id": 2, "name": "lost with the rest", "count": 2})
                conn.execute(insert(ITEMS).inline(), {"id": 1, "name": "a second 1", "count": 3})
                conn.execute(update(ITEMS).values(count=50))
        conn.rollback()
        assert conn.execute(select(ITEMS.c.id, ITEMS.c.name, ITEMS.c.count)).all() == [(1, "kept", 1)]
        with pipelined(conn):             # the connection goes on as before
            conn.execute(insert(ITEMS).inline(), {"id": 2, "name": "after", "count": 2})
        conn.commit()
        assert conn.execute(select(ITEMS.c.id).order_by(ITEMS.c.id)).scalars().all() == [1, 2]


def test_a_failure_of_the_code_inside_leaves_nothing_written(engine):
    with engine.connect() as conn:
        with pytest.raises(LookupError):
            with pipelined(conn):
                conn.execute(insert(ITEMS).inline(), {"id": 1, "name": "never kept", "count": 1})
                raise LookupError("the code between the statements failed")
        conn.rollback()
        assert conn.execute(select(ITEMS.c.id)).all() == []
