"""The database: SQLite (WAL, durable) by default, PostgreSQL by DATABASE_URL; one session per request.
SQL parameters are never put in an error's message (``hide_parameters``): they hold members' data."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            conn.isolation_level = None                  # the driver's own BEGIN off: ours (below) is used
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")       # readers do not block the writer
            cur.execute("PRAGMA synchronous=FULL")       # an accepted submission survives a power cut
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")     # wait for the writer instead of 'database is locked'
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")      # take the write lock up front: no upgrade deadlocks

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_size=10, max_overflow=10, hide_parameters=True)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest migration (Alembic), or to ``revision``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # SQLite changes a table by copying it and dropping the old one; with foreign keys on, dropping
            # a parent table deletes its children (a submission's delivery). They are off while migrating,
            # and checked after. (The pragma must come before the transaction begins.)
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left {len(broken)} rows whose parent is missing")
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    app.extensions["cpd_engine"] = engine
    app.extensions["cpd_sessions"] = sessionmaker(engine, expire_on_commit=False)
    if app.config.get("AUTO_MIGRATE", True):
        upgrade(engine)
    app.teardown_appcontext(_close)


def session() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["cpd_sessions"]()
    return g.db


def _close(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()
