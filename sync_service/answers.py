"""The one place that turns an error into an answer: the service's own errors (``errors``), Werkzeug's
(404, 405, 413, a bad request), the database away, and anything unexpected (500, logged with a request
id). The API and the add-in get JSON, ``{"error": {"code", "message", ...}}`` (with the request id);
pages get a page that says what happened. Registered once, by ``init_app``."""
from __future__ import annotations

import math

from flask import Flask, current_app, g, jsonify, make_response, render_template_string, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from werkzeug.exceptions import HTTPException

from addin import CpdError

from .errors import (BadRequest, Conflict, Forbidden, Limited, NotFound, ServiceError, TooLarge, Unauthenticated,
                     Unavailable, Unusable, from_core)
from .store.database import unavailable
from .store.device import DeviceError

STATUS = {BadRequest: 400, Unauthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409, TooLarge: 413,
          Unusable: 422, Limited: 429, Unavailable: 503}
ERROR_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ status }} · CPD tracker</title>
<link rel="stylesheet" href="/static/cpd.css"><body><main><section><h1>{{ status }}</h1><p>{{ message }}</p>
{% if request_id %}<p>Reference: {{ request_id }}</p>{% endif %}<p><a href="/">Back to your CPD</a></p></section></main>
</body></html>"""
CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def status_of(exc: ServiceError) -> int:
    return next((status for kind, status in STATUS.items() if isinstance(exc, kind)), 400)


def wants_json() -> bool:
    """The API, the add-in, and a page's script that asks for JSON (the passkey ceremonies)."""
    return request.path.startswith(("/api/", "/addin/")) or request.headers.get("Accept") == "application/json"


def answer(status: int, code: str, message: str, headers: dict | None = None, **details):
    """The error answer for this request: JSON for the API and the add-in, a page otherwise; either names the
    request's id, as its log line does."""
    details.setdefault("request_id", getattr(g, "request_id", None))
    if wants_json():
        response = make_response(jsonify(error={"code": code, "message": message, **details}), status)
    else:
        response = make_response(render_template_string(ERROR_PAGE, status=status, message=message,
                                                        request_id=details.get("request_id")), status)
    response.headers.update(headers or {})
    return response


def for_error(exc: ServiceError):
    """A ServiceError as this request answers it, with Retry-After or WWW-Authenticate where they belong."""
    headers = {}
    if isinstance(exc, (Limited, Unavailable)):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return answer(status_of(exc), exc.code, exc.message, headers, **exc.details)


def for_oauth(exc: DeviceError):
    """An OAuth error of the device flow's endpoints, in OAuth's own shape (RFC 6749 5.2), which OAuth
    clients read: ``{"error": code, "error_description": text}``, 401 for an unknown client, else 400."""
    response = make_response(jsonify({"error": exc.code, "error_description": exc.description}),
                             401 if exc.code == "invalid_client" else 400)
    response.headers["Cache-Control"] = "no-store"
    return response


def for_core_error(exc: CpdError):
    """A core error no view turned into the service's own (a setting the Sheets client lacks, say): answered
    as the service answers it, never as a 500 (``errors.from_core``)."""
    return for_error(from_core(exc))


def init_app(app: Flask) -> None:
    app.register_error_handler(ServiceError, for_error)
    app.register_error_handler(DeviceError, for_oauth)
    app.register_error_handler(CpdError, for_core_error)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            return answer(413, "too_large", f"the request is over {limit} MB")
        message = {404: "no such address", 405: "that method is not allowed here"}.get(status) or \
            getattr(exc, "description", None) or exc.name
        return answer(status, CODES.get(status, "error"), message)

    @app.errorhandler(SQLAlchemyTimeout)
    @app.errorhandler(DBAPIError)
    def _database(exc):
        """The database cannot be reached (down, restarting, locked past the wait, no connection free): 503 and
        when to try again, not a 500. Any other database error is a fault, and a 500."""
        if not unavailable(exc):
            raise exc
        from .request_log import database_unavailable
        database_unavailable(exc)
        wait = int(current_app.config["UNAVAILABLE_RETRY_AFTER"])
        return answer(503, "database_unavailable", f"the service's database is not available for a moment; "
                      f"try again in {wait} seconds", {"Retry-After": str(wait)})

    @app.errorhandler(500)
    def _internal(_):
        rid = getattr(g, "request_id", None)
        return answer(500, "internal_error", f"something went wrong on the service; it has been logged as {rid}",
                      request_id=rid)
