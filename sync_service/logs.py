"""Logs without personal data, one JSON object per line on standard error.

- ``cpd.requests``: one line per request: a request id (also sent as ``X-Request-Id``), the
  member's pseudonymous id, the route (the pattern, not the path), the outcome, sizes and time.
- ``cpd.delivery``: the worker's delivery events (``delivery.py``).
- ``cpd.errors``: an unexpected error: the request id, the error's type and where in the code it
  happened, never its message (a database error's message can quote the row, and so a name or an
  e-mail address), never SQL parameters (the engine hides them), never record contents.

Never names, membership numbers, cell values, tokens or file names. ``LOG_LEVEL``
(``CPD_LOG_LEVEL``) sets the level: INFO shows every request, WARNING only errors; ``LOG_FILE``
(``CPD_LOG_FILE``) appends the lines to a file instead of standard error (``cpd serve --demo`` does, so
that its terminal keeps to what it says to the member).
"""
from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path

log = logging.getLogger("cpd.requests")
errors = logging.getLogger("cpd.errors")
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class StderrHandler(logging.StreamHandler):
    """Writes each record's message (already a JSON line) to whatever ``sys.stderr`` is at the time."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure(level: str | int = "INFO", file: str | None = None) -> None:
    """Send the ``cpd`` loggers to standard error (or append them to ``file``), once per process, at
    ``level``."""
    logger = logging.getLogger("cpd")
    ours = [h for h in logger.handlers if getattr(h, "cpd_target", None) is not None]
    if [h.cpd_target for h in ours] != [file or "stderr"]:       # type: ignore[attr-defined]
        for old in ours:
            logger.removeHandler(old)
            old.close()
        handler: logging.Handler = logging.FileHandler(file, encoding="utf-8") if file else StderrHandler()
        handler.cpd_target = file or "stderr"                     # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.propagate = False                  # its lines are JSON already: never again through the root's
    logger.setLevel(level.upper() if isinstance(level, str) else level)


class JsonLines(logging.Formatter):
    """The web server's own lines (gunicorn, uvicorn: workers started and stopped, timeouts) as JSON
    lines like every other: the level, the logger and the message; an exception by its type only."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        return line(event="server", level=record.levelname.lower(), logger=record.name,
                    message=record.getMessage()[:500], error=type(exc).__name__ if exc else None)


def server_log_config(level: str = "WARNING") -> dict:
    """gunicorn's ``logconfig_dict``: its loggers and uvicorn's as JSON lines on standard error."""
    quiet = {"level": level, "handlers": ["json"], "propagate": False}
    return {"version": 1, "disable_existing_loggers": False,
            "root": {"level": level, "handlers": ["json"]},
            "loggers": {name: dict(quiet) for name in ("gunicorn.error", "uvicorn.error", "uvicorn")}
            | {name: {"level": level, "handlers": [], "propagate": False}
               for name in ("gunicorn.access", "uvicorn.access")},
            "handlers": {"json": {"class": "sync_service.logs.StderrHandler", "formatter": "json"}},
            "formatters": {"json": {"()": "sync_service.logs.JsonLines"}}}


def line(**fields) -> str:
    return json.dumps(fields, separators=(",", ":"), default=str)


def where(exc: BaseException) -> list[str]:
    """The exception's path through this product's own code, as file:line function (no messages)."""
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if PACKAGE_ROOT in path.parents and ".venv" not in path.parts and "site-packages" not in path.parts:
            frames.append(f"{path.relative_to(PACKAGE_ROOT)}:{frame.lineno} {frame.name}")
    return frames[-6:]


def error_event(exc: BaseException, event: str = "error", **fields) -> str:
    """An error as a log line: its type (and the database driver's, for a database error), where it
    happened; never its message."""
    cause = getattr(exc, "orig", None)
    return line(event=event, error=type(exc).__name__, driver_error=type(cause).__name__ if cause else None,
                sqlstate=getattr(cause, "sqlstate", None), where=where(exc), **fields)
