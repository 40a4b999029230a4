"""Rate limits (the ``limits`` library): failed sign-ins and bad tokens per address and per member,
and the worksheet functions per address.

Counts live in ``RATELIMIT_STORAGE_URI`` (``CPD_RATELIMIT_STORAGE_URI``): ``memory://`` by default,
which counts per process (each web worker keeps its own); ``redis://host:6379`` shares the counts
between every worker and host. Limits are written as ``limits`` reads them, e.g. ``10/minute``.
"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, jsonify, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class Throttle:
    def __init__(self, app: Flask):
        self.strategy = MovingWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
        self.prefix = app.config["RATELIMIT_KEY_PREFIX"]

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


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "cpd")
    app.extensions["cpd_throttle"] = Throttle(app)


def throttle() -> Throttle:
    return current_app.extensions["cpd_throttle"]


def address() -> str:
    """The client's address (the proxy's, unless TRUSTED_PROXIES tells the app to read X-Forwarded-For)."""
    return "addr:" + (request.remote_addr or "unknown")


def too_many(wait: float, message: str):
    response = jsonify(error={"code": "rate_limited", "message": message})
    response.status_code = 429
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response
