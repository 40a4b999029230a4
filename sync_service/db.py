"""The database in the web app, as Flask's tutorial keeps it: the engine made once per app, one session per
request (``session()``, or ``write_session()`` for a transaction that writes), closed when the request
ends. The engine, migrations and transactions themselves are the store's (``store.database``)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, has_request_context
from sqlalchemy.orm import Session, sessionmaker

from .store.database import make_engine, upgrade, writing


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url, strict_writes=has_request_context, wait=float(app.config["DATABASE_WAIT"]))
    app.extensions["cpd_engine"] = engine
    app.extensions["cpd_sessions"] = sessionmaker(engine, expire_on_commit=False)
    if app.config.get("AUTO_MIGRATE", True):
        upgrade(engine)
    app.teardown_appcontext(_close)


def session() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["cpd_sessions"]()
    return g.db


def write_session() -> Session:
    """The request's session, in a transaction that writes (``store.database.writing``)."""
    return writing(session())


def _close(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()
