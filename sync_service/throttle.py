"""Rate limits (the ``limits`` library): failed sign-ins and bad tokens per address and per member,
refused uploads per member, and the worksheet functions per address.

Counts that guard against abuse (failures, refusals) must hold across every web worker and host:
they live in ``RATELIMIT_STORAGE_URI`` (``CPD_RATELIMIT_STORAGE_URI``) when it names a shared store
such as ``redis://host:6379``, else in the service's own database (``DatabaseStorage``: a table of
recent events, keyed by a hash of the key, so no address is kept). The worksheet functions' call
limit is counted in that shared store too when it is Redis, else per worker process in memory (it
is a courtesy limit, on every call, where a database write per call would cost more than it saves).
Limits are written as ``limits`` reads them, e.g. ``10/minute``.
"""
from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app, jsonify, request
from limits import parse
from limits.storage import MovingWindowSupport, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .models import RateEvent


class DatabaseStorage(Storage, MovingWindowSupport):
    """A ``limits`` storage for moving windows in the service's database: one row per counted event.
    Each call is its own short transaction on its own connection (never the request's)."""

    STORAGE_SCHEME = ["cpd-database"]

    def __init__(self, engine: Engine, **options):
        super().__init__("cpd-database://", **options)
        self.engine = engine

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def _count(self, conn, key: str, since: float) -> tuple[int, float | None]:
        n, first = conn.execute(select(func.count(), func.min(RateEvent.at))
                                .where(RateEvent.key == key, RateEvent.at > since)).one()
        return n, first

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        key, now = self._key(key), time.time()
        with self.engine.connect().execution_options(cpd_write=True) as conn, conn.begin():
            conn.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at <= now - expiry))
            n, _ = self._count(conn, key, now - expiry)
            if n + amount > limit:
                return False
            conn.execute(insert(RateEvent), [{"key": key, "at": now}] * amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self.engine.connect() as conn, conn.begin():
            n, first = self._count(conn, self._key(key), now - expiry)
        return (first if first is not None else now), n

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        self.acquire_entry(key, 1 << 30, expiry, amount)
        return self.get(key)

    def get(self, key: str) -> int:
        with self.engine.connect() as conn, conn.begin():
            return conn.execute(select(func.count()).where(RateEvent.key == self._key(key))).scalar_one()

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as conn, conn.begin():
            last = conn.execute(select(func.max(RateEvent.at)).where(RateEvent.key == self._key(key))).scalar()
        return last or time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn, conn.begin():
                conn.execute(select(func.count()).select_from(RateEvent.__table__).limit(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.connect().execution_options(cpd_write=True) as conn, conn.begin():
            return conn.execute(delete(RateEvent)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.connect().execution_options(cpd_write=True) as conn, conn.begin():
            conn.execute(delete(RateEvent).where(RateEvent.key == self._key(key)))


class Limiter:
    """A moving-window limit over one storage."""

    def __init__(self, storage: Storage, prefix: str):
        self.strategy = MovingWindowRateLimiter(storage)
        self.prefix = prefix

    def over(self, limit: str, *keys: str) -> float | None:
        """Seconds until the first of ``keys`` is under ``limit`` again, or None when none is over it."""
        item = parse(limit)
        waits = []
        for key in keys:
            if not self.strategy.test(item, self.prefix, key):
                reset = self.strategy.get_window_stats(item, self.prefix, key).reset_time
                waits.append(max(1.0, reset - time.time()))
        return max(waits) if waits else None

    def hit(self, limit: str, *keys: str) -> bool:
        """Count one for each key; False when any of them was already over the limit."""
        item = parse(limit)
        return all([self.strategy.hit(item, self.prefix, key) for key in keys])


class Throttle:
    """``shared``: counted across every worker (failed sign-ins and tokens); ``calls``: the functions' call
    limit; ``database``: always in the database (refused uploads, which the submission path counts in its
    own lookup: ``refused_since``)."""

    def __init__(self, app: Flask):
        uri = app.config["RATELIMIT_STORAGE_URI"]
        prefix = app.config["RATELIMIT_KEY_PREFIX"]
        configured = storage_from_string(uri)
        in_database = DatabaseStorage(app.extensions["cpd_engine"])
        self.database = Limiter(in_database, prefix)
        self.shared = self.database if uri.startswith("memory://") else Limiter(configured, prefix)
        self.calls = Limiter(configured, prefix)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "cpd")
    app.extensions["cpd_throttle"] = Throttle(app)


def throttle() -> Limiter:
    """The limits counted across every worker: failed sign-ins, bad tokens, refused uploads."""
    return current_app.extensions["cpd_throttle"].shared


def database_throttle() -> Limiter:
    """Limits counted in the database whatever the storage setting (refused uploads)."""
    return current_app.extensions["cpd_throttle"].database


def stored_key(limit: str, key: str) -> str:
    """How the database limiter stores ``key``'s events under ``limit`` (for a query that counts them)."""
    item = parse(limit)
    return DatabaseStorage._key(item.key_for(current_app.config["RATELIMIT_KEY_PREFIX"], key))


def call_throttle() -> Limiter:
    """The worksheet functions' call limit."""
    return current_app.extensions["cpd_throttle"].calls


def address() -> str:
    """The client's address (the proxy's, unless TRUSTED_PROXIES tells the app to read X-Forwarded-For)."""
    return "addr:" + (request.remote_addr or "unknown")


def too_many(wait: float, message: str):
    response = jsonify(error={"code": "rate_limited", "message": message})
    response.status_code = 429
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response
