"""The web app's log lines, as JSON (``logs``): one per request (a request id, also sent as
``X-Request-Id``, the member's pseudonymous id, the route pattern, the outcome, sizes and time), one per
unexpected error, and one per request answered while the database was away. Never a name, an address,
a cell value, a token or a file name."""
from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, g, request

from .logs import configure, error_event, errors, line, log


def database_unavailable(exc: BaseException) -> None:
    """A request answered 503 because the database was away: a warning line, no message."""
    errors.warning(error_event(exc, "database_unavailable", request_id=getattr(g, "request_id", None),
                               method=request.method,
                               route=request.url_rule.rule if request.url_rule else "(unmatched)"))


def log_exception(exc: BaseException) -> None:
    errors.error(error_event(exc, request_id=getattr(g, "request_id", None), method=request.method,
                             route=request.url_rule.rule if request.url_rule else "(unmatched)"))


def init_app(app: Flask) -> None:
    configure(app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FILE"))

    @app.before_request
    def _start():
        g.request_id = uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def _log(response):
        error = None
        if response.is_json and response.status_code >= 400:
            body = response.get_json(silent=True) or {}
            found = body.get("error") if isinstance(body, dict) else None
            error = found.get("code") if isinstance(found, dict) else found   # OAuth's errors are plain codes
        if log.isEnabledFor(logging.INFO):
            log.info(line(
                request_id=getattr(g, "request_id", None), member=getattr(g, "member_ref", None),
                method=request.method, route=request.url_rule.rule if request.url_rule else "(unmatched)",
                status=response.status_code, code=error, bytes_in=request.content_length or 0,
                bytes_out=response.calculate_content_length() or 0,
                ms=round((time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 1)))
        response.headers["X-Request-Id"] = getattr(g, "request_id", "")
        return response
