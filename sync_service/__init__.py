"""The sync service (Flask): the submission API, the member's pages, mentors, linked Google Sheets, the
CPD worksheet functions for Excel on the web and Mac (Office.js custom functions) and the add-in's
files. Its rooms: ``store`` (the domain: a session in, domain errors out, no Flask), ``api`` and ``web``
(thin blueprints over it), ``jobs`` (the durable outbox's work: deliveries, mail, sheet writes, run by
``cpd worker`` processes). It calls ``addin``'s core and never re-implements a rule.
"""
from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


@cache
def _flask_class() -> type[Flask]:
    """The service's Flask class, made when an app is: importing the package (as ``cpd --help`` does to
    list the service's commands) does not load Flask."""
    from flask import Flask

    class CpdFlask(Flask):
        def log_exception(self, exc_info) -> None:
            """An unexpected error, logged as one JSON line with no message and no data (``logs``)."""
            from .request_log import log_exception
            log_exception(exc_info[1])
    return CpdFlask


def _instance_secret(instance: Path) -> str:
    """The session-signing key: made once, kept in the instance folder, readable by the service only. The
    service's processes often start together on a fresh install (``cpd serve``'s workers, ``cpd worker``s):
    each finds the whole of the first key made, never a half-written one nor an error because another process
    made it meanwhile (``_make_key``)."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        _make_key(path)
    for _ in range(50):               # where links cannot be made, another process may be writing it this moment
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"the session-signing key file {path} is empty; remove it to have a new key made")


def _make_key(path: Path) -> None:
    """A new key written whole to a file of this process's own, then linked into place (in place whole, or not
    at all if another's came first); on a file system without hard links, made in place only if none is."""
    key = secrets.token_hex(32)
    mine = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(mine, path)
        except FileExistsError:
            pass
        except OSError:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            with os.fdopen(fd, "w") as fh:
                fh.write(key)
    finally:
        mine.unlink(missing_ok=True)


def create_app(config: dict | None = None) -> Flask:
    # Data lives in ./instance (or CPD_INSTANCE_PATH), never inside the installed package.
    app = _flask_class()(__name__, instance_path=os.path.abspath(os.environ.get("CPD_INSTANCE_PATH") or "instance"))
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,      # the hardened reader's own file limit
        PUBLIC_URL=None,                          # the https:// address members and Office reach the service at
        TRUSTED_PROXIES=0,                        # proxies in front whose X-Forwarded-For/-Proto to believe
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'cpd.sqlite3'}",
        AUTO_MIGRATE=True,
        SUBMISSIONS_PER_MINUTE=30,
        SIGN_IN_FAILURES="10/minute",             # failed sign-ins and bad tokens, per address and per token
        SIGN_IN_LINKS_PER_CLIENT_ADDRESS="5/15 minutes",   # sign-in links asked for one address from one client
        SIGN_IN_LINKS_PER_ADDRESS="20/hour",      # ... for one address from anywhere
        SIGN_IN_LINKS_PER_CLIENT="200/hour",      # ... from one client for any addresses (a NAT holds many)
        CLOCK=None,                               # a callable giving the time (tests); else the system's
        FUNCTION_CALLS="3000/minute",             # worksheet function calls per address (a recalculation: 6-20)
        FUNCTION_MAX_ROWS=20000,                  # rows in one worksheet function's ranges
        LOG_LEVEL="INFO",
        LOG_FILE=None,                            # else the log lines go to this file, not standard error
        ADDIN_FRAME_ANCESTORS=None,               # else Office's domains (hardening.OFFICE_FRAME_ANCESTORS)
        INSTITUTION_URL=os.environ.get("CPD_INSTITUTION_URL"),                 # where the worker delivers
        SIGNING_SECRETS=[s for s in os.environ.get("CPD_SIGNING_SECRETS", "").split(",") if s],
        GOOGLE_APPLICATION_CREDENTIALS=None,      # else the environment's: the service account's key file
        GOOGLE_SHEETS_URL=None,                   # else CPD_GOOGLE_SHEETS_URL or Google's own
        SMTP_URL=None,                            # e-mail: smtp://host:port (jobs.mail); off if unset
        SMTP_FROM=None,                           # the sender, else cpd-tracker@localhost
        STATS_MIN_GROUP=10,                       # the group view shows nothing that singles out fewer records
        UNAVAILABLE_RETRY_AFTER=5,                # seconds a client is told to wait while the database is away
        DATABASE_WAIT=30,                         # SQLite: seconds a write waits for its turn, then its lock
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
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)   # type: ignore[method-assign]

    from . import answers, api, db, hardening, request_log, throttle, web
    from .whole_body import WholeBodyRequest
    app.request_class = WholeBodyRequest          # the body cpd serve holds whole, read as it is
    request_log.init_app(app)
    db.init_app(app)
    throttle.init_app(app)
    hardening.init_app(app)
    answers.init_app(app)
    api.init_app(app)
    web.init_app(app)
    return app
