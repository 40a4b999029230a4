"""The sync service (Flask): the submission API with its storage (SQLite by default, PostgreSQL
by DATABASE_URL), the CPD worksheet functions for Excel on the web and Mac (Office.js custom
functions), the add-in's files, the member's pages and their linked Google Sheets. Delivery to the
institution runs in ``cpd worker`` processes. It calls ``addin``'s core and never re-implements a rule.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, jsonify, make_response, render_template_string, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

ERROR_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ status }} · CPD tracker</title>
<link rel="stylesheet" href="/static/cpd.css"><body><main><section><h1>{{ status }}</h1><p>{{ message }}</p>
{% if request_id %}<p>Reference: {{ request_id }}</p>{% endif %}<p><a href="/">Back to your CPD</a></p></section></main>
</body></html>"""
class CpdFlask(Flask):
    def log_exception(self, exc_info) -> None:
        """An unexpected error, logged as one JSON line with no message and no data (``logs``)."""
        from .logs import log_exception
        log_exception(exc_info[1])


def _instance_secret(instance: Path) -> str:
    """The session-signing key: made once, kept in the instance folder, readable by the service only."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    # Data lives in ./instance (or CPD_INSTANCE_PATH), never inside the installed package.
    app = CpdFlask(__name__, instance_path=os.path.abspath(os.environ.get("CPD_INSTANCE_PATH") or "instance"))
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,      # the hardened reader's own file limit
        PUBLIC_URL=None,                          # the https:// address members and Office reach the service at
        TRUSTED_PROXIES=0,                        # proxies in front whose X-Forwarded-For/-Proto to believe
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'cpd.sqlite3'}",
        AUTO_MIGRATE=True,
        SUBMISSIONS_PER_MINUTE=30,
        SIGN_IN_FAILURES="10/minute",             # failed sign-ins and bad tokens, per address and per token
        FUNCTION_CALLS="600/minute",              # worksheet function calls per address
        FUNCTION_MAX_ROWS=20000,                  # rows in one worksheet function's ranges
        LOG_LEVEL="INFO",
        ADDIN_FRAME_ANCESTORS=None,               # else Office's domains (hardening.OFFICE_FRAME_ANCESTORS)
        INSTITUTION_URL=os.environ.get("CPD_INSTITUTION_URL"),                 # where the worker delivers
        SIGNING_SECRETS=[s for s in os.environ.get("CPD_SIGNING_SECRETS", "").split(",") if s],
        GOOGLE_APPLICATION_CREDENTIALS=None,      # else the environment's: the service account's key file
        GOOGLE_SHEETS_URL=None,                   # else CPD_GOOGLE_SHEETS_URL or Google's own
        SMTP_URL=None,                            # e-mail notifications: smtp://host:port (notify.py); off if unset
        SMTP_FROM=None,                           # the notifications' sender, else cpd-tracker@localhost
        STATS_MIN_GROUP=10,                       # the group view suppresses groups of fewer records than this
        UNAVAILABLE_RETRY_AFTER=5,                # seconds a client is told to wait while the database is away
    )
    app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=12))
    if os.environ.get("CPD_SETTINGS"):               # a settings file: KEY = value, Python syntax
        app.config.from_pyfile(os.environ["CPD_SETTINGS"])
    app.config.from_prefixed_env("CPD")
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if int(app.config["TRUSTED_PROXIES"]):
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)

    from . import (accounts, addin_files, db, functions, group_view, hardening, logs, openapi, pages, record_pages,
                   records_api, submissions, throttle)
    from .sheets import api as sheets_api, pages as sheets_pages
    logs.init_app(app)
    db.init_app(app)
    throttle.init_app(app)
    accounts.init_app(app)
    hardening.init_app(app)
    app.register_blueprint(functions.bp)
    app.register_blueprint(addin_files.bp)
    app.register_blueprint(submissions.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(sheets_api.bp)
    app.register_blueprint(sheets_pages.bp)
    app.register_blueprint(records_api.bp)
    app.register_blueprint(record_pages.bp)
    app.register_blueprint(group_view.bp)

    def error(status: int, code: str, message: str, **extra):
        if request.path.startswith(("/api/", "/addin/")):
            return jsonify(error={"code": code, "message": message, **extra}), status
        return render_template_string(ERROR_PAGE, status=status, message=message,
                                      request_id=extra.get("request_id")), status

    @app.errorhandler(413)
    def too_large(_):
        return error(413, "too_large", f"the request is over {app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB")

    @app.errorhandler(404)
    def not_found(_):
        return error(404, "not_found", "no such address")

    @app.errorhandler(405)
    def not_allowed(_):
        return error(405, "method_not_allowed", "that method is not allowed here")

    @app.errorhandler(400)
    def bad_request(exc):
        return error(400, "bad_request", getattr(exc, "description", "bad request"))

    @app.errorhandler(403)
    def forbidden(exc):
        return error(403, "forbidden", getattr(exc, "description", "that is not allowed"))

    @app.errorhandler(hardening.ControlCharacters)
    def control_characters(exc):
        return error(400, "control_characters", str(exc))

    @app.errorhandler(SQLAlchemyTimeout)
    @app.errorhandler(DBAPIError)
    def database_error(exc):
        """The database cannot be reached (down, restarting, locked past the wait, no connection free): 503 and
        when to try again, not a 500. Any other database error is a fault, and a 500."""
        if not db.unavailable(exc):
            raise exc
        from .logs import database_unavailable
        database_unavailable(exc)
        wait = int(app.config["UNAVAILABLE_RETRY_AFTER"])
        response = error(503, "database_unavailable", f"the service's database is not available for a moment; "
                         f"try again in {wait} seconds", request_id=getattr(g, "request_id", None))
        response = make_response(response)
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(500)
    def internal(_):
        rid = getattr(g, "request_id", None)
        return error(500, "internal_error", f"something went wrong on the service; it has been logged as {rid}",
                     request_id=rid)

    return app

