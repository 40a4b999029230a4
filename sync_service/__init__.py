"""The sync service (Flask): the submission API with its storage (SQLite by default, PostgreSQL
by DATABASE_URL), the CPD worksheet functions for Excel on the web and Mac (Office.js custom
functions) and the add-in's files. Delivery to the institution and the member's pages are still
to come. It calls ``addin``'s core and never re-implements a rule.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
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
    )
    app.config.from_prefixed_env("CPD")
    if config:
        app.config.from_mapping(config)

    from . import addin_files, db, functions, logs, submissions
    db.init_app(app)
    logs.init_app(app)
    app.register_blueprint(functions.bp)
    app.register_blueprint(addin_files.bp)
    app.register_blueprint(submissions.bp)

    @app.errorhandler(413)
    def too_large(_):
        return jsonify(error={"code": "too_large", "message": "the request is over "
                              f"{app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB"}), 413

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error={"code": "not_found", "message": "no such address"}), 404

    @app.errorhandler(405)
    def not_allowed(_):
        return jsonify(error={"code": "method_not_allowed", "message": "that method is not allowed here"}), 405

    return app


def endpoint(app: Flask):
    """The institution endpoint the delivery worker posts to, from the app's settings."""
    from .delivery import Endpoint
    if not app.config.get("INSTITUTION_URL") or not app.config.get("SIGNING_SECRETS"):
        raise ValueError("set INSTITUTION_URL and SIGNING_SECRETS (CPD_INSTITUTION_URL, CPD_SIGNING_SECRETS)")
    return Endpoint(app.config["INSTITUTION_URL"], tuple(app.config["SIGNING_SECRETS"]),
                    float(app.config["DELIVERY_TIMEOUT"]), lease_margin=float(app.config["DELIVERY_LEASE_MARGIN"]))
