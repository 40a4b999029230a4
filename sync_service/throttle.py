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
import time
from typing import Any

from flask import Flask, current_app, request
from limits import parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .errors import Limited
from .store.accounts import Failures
from .store.ratelimits import DatabaseStorage
from .store.ratelimits import stored_key as _stored_key


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


class ProcessMemory(MemoryStorage):
    """``limits``' in-process storage, its expired entries dropped as it is used (at most every ``EVERY``
    seconds) rather than by a timer thread. The library starts a new ``threading.Timer`` whenever the last one
    has fired (10 ms after it started), so a worksheet call more than 10 ms after the one before started a
    thread and waited for it to run (about 1 ms of the call, more while the cores are busy), and the timer
    then took the interpreter in the middle of the next call. The hook replaced is the library's own
    (name-mangled) ``__schedule_expiry``; ``tests/test_production.py`` sees that no thread is started."""

    EVERY = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._expired_at = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:
        if (now := time.monotonic()) - self._expired_at >= self.EVERY:
            self._expired_at = now
            self._MemoryStorage__expire_events()        # type: ignore[attr-defined]


class Throttle:
    """``shared``: counted across every worker (failed sign-ins and tokens); ``calls``: the functions' call
    limit; ``database``: always in the database (refused uploads, which the submission path counts in its
    own lookup: ``refused_since``)."""

    def __init__(self, app: Flask):
        uri = app.config["RATELIMIT_STORAGE_URI"]
        prefix = app.config["RATELIMIT_KEY_PREFIX"]
        in_memory = uri.startswith("memory://")
        configured = ProcessMemory() if in_memory else storage_from_string(uri)
        if not isinstance(configured, Storage):
            raise ValueError(f"RATELIMIT_STORAGE_URI must name a synchronous storage, found {uri!r}")
        in_database = DatabaseStorage(app.extensions["cpd_engine"])
        self.database = Limiter(in_database, prefix)
        self.shared = self.database if in_memory else Limiter(configured, prefix)
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
    return _stored_key(current_app.config["RATELIMIT_KEY_PREFIX"], parse(limit), key)


def sign_in_failures() -> Failures:
    """Failed sign-ins and bad tokens, counted against ``SIGN_IN_FAILURES`` across every worker."""
    limit = current_app.config["SIGN_IN_FAILURES"]
    shared = throttle()
    return Failures(lambda *keys: shared.over(limit, *keys), lambda *keys: shared.hit(limit, *keys))


def call_throttle() -> Limiter:
    """The worksheet functions' call limit."""
    return current_app.extensions["cpd_throttle"].calls


def address() -> str:
    """The client's address (the proxy's, unless TRUSTED_PROXIES tells the app to read X-Forwarded-For)."""
    return "addr:" + (request.remote_addr or "unknown")


def over_or_raise(limiter: Limiter, limit: str, key: str, message: str) -> None:
    """Count one for ``key``; Limited (with how long to wait) when it was already over ``limit``."""
    if not limiter.hit(limit, key):
        raise Limited("rate_limited", message, limiter.over(limit, key) or 60)


def upload_wait(member_id: int) -> None:
    """Count one record upload for the member; Limited when they are over ``SUBMISSIONS_PER_MINUTE`` a minute."""
    limit = current_app.config["SUBMISSIONS_PER_MINUTE"]
    over_or_raise(throttle(), f"{limit}/minute", f"records:{member_id}",
                  f"at most {limit} record uploads a minute; try again shortly")


def link_requests(email: str) -> float | None:
    """Count one request for a sign-in link to ``email`` from this client; seconds to wait when over a limit
    (None: go on). Counted per address and client together, per address, and per client, with the client's
    own limit high: one client's tries for one address never hold back another address from behind the
    same NAT. The address is kept only as a hash."""
    config = current_app.config
    who = "link:" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
    client = address()
    limits = ((config["SIGN_IN_LINKS_PER_CLIENT_ADDRESS"], f"{client}:{who}"),
              (config["SIGN_IN_LINKS_PER_ADDRESS"], who),
              (config["SIGN_IN_LINKS_PER_CLIENT"], "links:" + client))
    shared = throttle()
    waits = [w for limit, key in limits if (w := shared.over(limit, key))]
    if waits:
        return max(waits)
    for limit, key in limits:
        shared.hit(limit, key)
    return None
