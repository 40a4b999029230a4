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

from flask import Flask, jsonify, render_template_string, request

ERROR_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ status }} · CPD tracker</title>
<body style="font-family: system-ui, sans-serif; margin: 40px"><h1>{{ status }}</h1><p>{{ message }}</p>
<p><a href="/">Back to your CPD</a></p></body></html>"""


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
    app = Flask(__name__, instance_path=os.path.abspath(os.environ.get("CPD_INSTANCE_PATH") or "instance"))
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,      # the hardened reader's own file limit
        PUBLIC_URL=None,                          # the https:// address Office reaches the service at
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'cpd.sqlite3'}",
        AUTO_MIGRATE=True,
        SUBMISSIONS_PER_MINUTE=30,
        INSTITUTION_URL=os.environ.get("CPD_INSTITUTION_URL"),                 # where the worker delivers
        SIGNING_SECRETS=[s for s in os.environ.get("CPD_SIGNING_SECRETS", "").split(",") if s],
        DELIVERY_TIMEOUT=15.0,
        DELIVERY_LEASE_MARGIN=30.0,
        GOOGLE_APPLICATION_CREDENTIALS=None,      # else the environment's: the service account's key file
        GOOGLE_SHEETS_URL=None,                   # else CPD_GOOGLE_SHEETS_URL or Google's own
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

    from . import addin_files, db, functions, logs, openapi, pages, submissions
    from .sheets import api as sheets_api, pages as sheets_pages
    db.init_app(app)
    logs.init_app(app)
    app.register_blueprint(functions.bp)
    app.register_blueprint(addin_files.bp)
    app.register_blueprint(submissions.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(sheets_api.bp)
    app.register_blueprint(sheets_pages.bp)

    def error(status: int, code: str, message: str):
        if request.path.startswith(("/api/", "/addin/")):
            return jsonify(error={"code": code, "message": message}), status
        return render_template_string(ERROR_PAGE, status=status, message=message), status

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

    return app


def endpoint(app: Flask):
    """The institution endpoint the delivery worker posts to, from the app's settings."""
    from .delivery import Endpoint
    if not app.config.get("INSTITUTION_URL") or not app.config.get("SIGNING_SECRETS"):
        raise ValueError("set INSTITUTION_URL and SIGNING_SECRETS (CPD_INSTITUTION_URL, CPD_SIGNING_SECRETS)")
    return Endpoint(app.config["INSTITUTION_URL"], tuple(app.config["SIGNING_SECRETS"]),
                    float(app.config["DELIVERY_TIMEOUT"]), lease_margin=float(app.config["DELIVERY_LEASE_MARGIN"]))
