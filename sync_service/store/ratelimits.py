"""Rate limits counted in the service's own database: a ``limits`` storage (the library has no SQL one)
for moving windows, one row per counted event, keyed by a hash of the key, so no address is kept. Each
call is its own short transaction on its own connection, never the request's. No web framework here."""
from __future__ import annotations

import hashlib
import time

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .models import RateEvent, table


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
                conn.execute(select(func.count()).select_from(table(RateEvent)).limit(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.connect().execution_options(cpd_write=True) as conn, conn.begin():
            return conn.execute(delete(RateEvent)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.connect().execution_options(cpd_write=True) as conn, conn.begin():
            conn.execute(delete(RateEvent).where(RateEvent.key == self._key(key)))


def stored_key(prefix: str, item, key: str) -> str:
    """How ``DatabaseStorage`` stores ``key``'s events under the limit ``item`` (for a query that counts them)."""
    return DatabaseStorage._key(item.key_for(prefix, key))
