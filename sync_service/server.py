"""Running a WSGI app in production: gunicorn on Linux and macOS, waitress on Windows.

``cpd serve`` and ``cpd receiver`` come here. Werkzeug's development server is only used with
``--dev``. The app is made in each gunicorn worker (after the fork), so no database connection is
shared between processes; the schema is brought up to date once, in the parent, before any worker
starts. Each gunicorn worker reads its connections on an event loop and hands the app only whole
requests that arrived in time (``whole_requests``): slow clients hold no thread.
"""
from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass

SERVERS = ("gunicorn", "waitress", "dev")


def default_server() -> str:
    return "waitress" if sys.platform == "win32" else "gunicorn"


def default_workers() -> int:
    """Web workers by default: twice the cores, at most 9. Each worker serves its requests from a thread pool
    (``threads``), so gunicorn's "twice the cores plus one" (for workers of one thread) only adds a process
    that takes the same cores from the others and from the database: on 2 cores, 4 workers delivered 220.1
    real members a second on PostgreSQL against 5's 211.8 (3 rounds interleaved), with 4 callers of a
    worksheet function at once answered as fast (p95 31.9 against 34.8 ms); 3 delivered as many and left
    those callers waiting longer (p95 40.1 against 33.5). README, Performance."""
    return min(2 * (os.cpu_count() or 1), 9)


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    # The app's threads in each worker (whole requests only: the worker's event loop reads them). 2, not 4: the
    # threads of a process share its interpreter's lock, and on 2 cores with 4 workers the fewer took less CPU
    # a submission and delivered more in 10 of 11 rounds against 4 (PostgreSQL 205.3 against 203.7 a second
    # median over 5 rounds, SQLite 202.6 against 198.6 over 3; README, Performance); 1 was as fast but leaves
    # a process's other requests waiting behind one slow one.
    threads: int = 2
    timeout: float = 60.0            # a request's body must arrive within this many seconds of its headers
    header_timeout: float = 10.0     # a request's headers must arrive within this many seconds of its first byte
    keepalive: float = 5.0           # an idle keep-alive connection is closed after this
    max_body: int = 20 * 1024 * 1024  # a larger request body is refused (413) unread
    cert: str | None = None
    key: str | None = None
    server: str = "gunicorn"


def run(make_app: Callable[[], Any], options: ServerOptions, ready: Callable[[], None] | None = None) -> None:
    """Serve the app that ``make_app`` builds until stopped (SIGTERM or Ctrl+C)."""
    if options.server == "gunicorn":
        _gunicorn(make_app, options, ready)
    elif options.server == "waitress":
        _waitress(make_app, options, ready)
    else:
        from werkzeug.serving import run_simple
        if ready:
            ready()
        run_simple(options.host, options.port, make_app(), threaded=True, use_reloader=False,
                   ssl_context=(options.cert, options.key) if options.cert else None)


def _gunicorn(make_app, options: ServerOptions, ready) -> None:
    from gunicorn.app.base import BaseApplication

    from . import logs
    from .whole_requests import CpdWorker, DeadlineProtocol, WholeRequests

    DeadlineProtocol.header_timeout = options.header_timeout      # set before the fork: every worker has them
    DeadlineProtocol.body_timeout = options.timeout

    class Application(BaseApplication):
        def load_config(self):
            settings = {
                "bind": [f"[{options.host}]:{options.port}" if ":" in options.host
                         else f"{options.host}:{options.port}"],
                "workers": options.workers, "worker_class": CpdWorker, "worker_connections": 1000,
                "timeout": max(int(options.timeout), 30), "graceful_timeout": 30,
                "keepalive": int(options.keepalive), "limit_request_line": 8190, "limit_request_fields": 100,
                "accesslog": None, "errorlog": "-", "loglevel": "warning", "proc_name": "cpd",
                "logconfig_dict": logs.server_log_config(),
                "certfile": options.cert, "keyfile": options.key,
                "when_ready": (lambda _server: ready()) if ready else None,
                # gunicorn 25.1's control socket (for its gunicornc tool) off: by default every instance on
                # the machine binds the same ~/.gunicorn/gunicorn.ctl, each taking it from the one before and
                # removing it when it stops, and its thread in the master is stopped and started round each fork
                "control_socket_disable": True,
                "post_fork": stop_if_told,
            }
            for name, value in settings.items():
                if value is None or (name == "control_socket_disable" and name not in self.cfg.settings):
                    continue                    # (gunicorn before 25.1 has no control socket; any other name it has)
                self.cfg.set(name, value)

        def load(self):
            app = WholeRequests(make_app(), options.threads, options.max_body)
            gc.freeze()        # the app's long-lived objects out of the collector's way: no 100 ms pauses
            return app

    Application().run()


STOPS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT) if hasattr(signal, "SIGQUIT") else ()


def stop_if_told(arbiter: Any, _worker: Any) -> None:
    """gunicorn's ``post_fork`` hook, first thing in a new worker process: the stop signals back to their default
    (ending the process), and the process ended now if one came since the fork. Until this point the worker has
    the master's handler, which only queues a signal for the master's loop, in the worker's copy of the queue,
    where nothing would read it: a worker forked as the service is told to stop (while it starts, or as a worker
    is replaced) missed its SIGTERM and served on until gunicorn killed it 30 s later (``cpd serve --workers 9``
    stopped at a random moment of its start: 2 stops in 120 on 2 busy cores; none in 160 with this hook)."""
    import queue
    for sig in STOPS:
        signal.signal(sig, signal.SIG_DFL)       # (a signal pending now runs the master's handler first)
    pending = arbiter.SIG_QUEUE
    told = []
    if isinstance(pending, list):                # gunicorn before 25: a list
        told, pending[:] = list(pending), []
    else:
        with contextlib.suppress(queue.Empty):
            while True:
                told.append(pending.get_nowait())
    if set(told) & set(STOPS):
        sys.exit(0)


def _waitress(make_app, options: ServerOptions, ready) -> None:
    import waitress

    if options.cert:
        raise SystemExit("waitress does not serve https: put a TLS proxy in front (docs/deployment.md)")
    if ready:
        ready()
    waitress.serve(make_app(), host=options.host, port=options.port, threads=options.workers * options.threads,
                   channel_timeout=int(options.timeout), ident="cpd")
