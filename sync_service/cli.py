"""The service's ``cpd`` commands: ``serve``, ``worker``, ``receiver`` and ``admin``.

They are added to the ``cpd`` group through the ``cpd.commands`` entry points (pyproject.toml),
as the Flask tutorial's ``init_app`` adds an app's commands: the core (``addin``) never imports
the service.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import click

from addin import CpdError
from addin.cli.common import fail

from . import logs, server

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--public-url", default=None, help="The https address members and Office reach the service at "
              "(put in the add-in manifest); required to serve the manifest on an address other than loopback.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TLS certificate file: Office add-ins need https (or put a TLS proxy in front).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), default=None, help="TLS private key file.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help=f"Web worker processes (default: twice the cores, at most 9; here {server.default_workers()}).")
@click.option("--threads", type=click.IntRange(1, 64), default=server.ServerOptions.threads, show_default=True,
              help="Threads per worker.")
@click.option("--timeout", type=click.FloatRange(5, 3600), default=60, show_default=True,
              help="Seconds a request's body (an upload) may take to arrive after its headers; a slower client "
                   "is answered 408 and disconnected.")
@click.option("--header-timeout", type=click.FloatRange(1, 300), default=10, show_default=True,
              help="Seconds a request's headers may take to arrive; a slower client is answered 408 and "
                   "disconnected.")
@click.option("--keepalive", type=click.FloatRange(0, 300), default=5, show_default=True,
              help="Seconds an idle keep-alive connection stays open.")
@click.option("--server", "server_name", type=click.Choice(server.SERVERS[:2]), default=server.default_server(),
              show_default=True, help="The production server (gunicorn on Linux and macOS, waitress on Windows).")
@click.option("--dev", is_flag=True, help="Use Werkzeug's development server instead (one process, for trying "
              "things out; never in production).")
@click.option("--demo", is_flag=True, help="Also start the reference institution receiver and a worker "
              "beside the service, and print a demo member's token: everything on this computer.")
def serve(host: str, port: int, public_url: str | None, cert: str | None, key: str | None, workers: int | None,
          threads: int, timeout: float, header_timeout: float, keepalive: float, server_name: str, dev: bool,
          demo: bool) -> None:
    """Run the CPD service: submissions (API), the member's pages, the add-in functions for Excel on the
    web and Mac, and the add-in's files. Its database is an SQLite file unless DATABASE_URL names another.

    It runs under gunicorn (waitress on Windows) with several worker processes, each reading its
    connections on an event loop: a slow client holds no thread, and one whose request does not arrive
    in time is disconnected. It serves https itself with --cert and --key, or behind a TLS proxy
    (docs/deployment.md). The manifest to add to Excel is at /addin/manifest.xml. Deliveries
    to the institution, mail and sheet writes run in 'cpd worker' processes; --demo starts one, with the
    reference receiver as the institution.
    """
    from sync_service import create_app
    from addin import example_path

    if bool(cert) != bool(key):
        fail(CpdError("bad_option", "give both --cert and --key, or neither"))
    if public_url and not public_url.startswith(("https://", "http://")):
        fail(CpdError("bad_option", f"--public-url must be an address such as https://cpd.example.org, "
                                    f"found {public_url!r}"))
    scheme = "https" if cert else "http"
    base = f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"
    settings: dict = {"PUBLIC_URL": public_url.rstrip("/")} if public_url else {}
    if host in LOOPBACK:
        if not os.environ.get("CPD_PUBLIC_URL"):
            settings.setdefault("PUBLIC_URL", base)   # this computer only: the address it listens on
        if not cert:
            settings["SESSION_COOKIE_SECURE"] = False     # plain http on this computer only; https sets Secure
    try:
        app = create_app(settings or None)            # checks the settings and migrates, once, before any worker
    except ValueError as exc:
        fail(CpdError("bad_setting", str(exc)))
    children: list = []
    try:
        if demo:
            if not app.config.get("LOG_FILE"):             # the terminal keeps to what the demo says to the member
                settings["LOG_FILE"] = app.config["LOG_FILE"] = os.path.join(app.instance_path, "demo-log.jsonl")
                logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FILE"])
            token, link, receiver_url = _start_demo(app, host, port, children)
            click.echo(f"Demo institution receiver on {receiver_url}; a worker started.")
            click.echo(f"Demo member demo@example.org: sign in at {base}/login/email/{link}")
            click.echo("  (the link works once, for 15 minutes; the demo sends no mail: start it again for a new one)")
            click.echo(f"Demo token for programs (shown once): {token}")
            cpd = _this_cpd()
            click.echo(f"Submit the example:  {cpd} login --url {base} --token {token}")
            click.echo(f"                      {cpd} submit {_typed_path(example_path('iet'))}")
            click.echo(f"Request and delivery log lines: {_typed_path(app.config['LOG_FILE'])}")
        options = server.ServerOptions(host=host, port=port, workers=workers or server.default_workers(),
                                       threads=threads, timeout=timeout, header_timeout=header_timeout,
                                       keepalive=keepalive, cert=cert, key=key, server="dev" if dev else server_name,
                                       max_body=int(app.config["MAX_CONTENT_LENGTH"]))
        manifest = f"{settings['PUBLIC_URL']}/addin/manifest.xml" if settings.get("PUBLIC_URL") else \
            "not served until --public-url is set"
        how = ("development server" if dev
               else f"{options.server}, {options.workers} workers x {options.threads} threads")
        click.echo(f"CPD service on {base}/  ({how}; add-in manifest: {manifest}; "
                   f"database: {app.config['DATABASE_URL'].split('@')[-1]}). Ctrl+C stops it.")
        if dev:
            make_app = lambda: app            # noqa: E731 - one process: the app already made
        else:
            with _signals_held():
                app.extensions["cpd_engine"].dispose()      # no connection crosses into the workers
            make_app = lambda: create_app({**settings, "AUTO_MIGRATE": False})   # noqa: E731 - one per worker
        server.run(make_app, options)
    finally:
        _stop_children(children)         # the demo's, however cpd serve ends (SIGTERM is a SystemExit here)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM and Ctrl+C held while the database's connections are closed, and taken as soon as they are: the
    driver's code is not left in the middle (SQLAlchemy reports a SystemExit there as a traceback)."""
    import signal
    if not hasattr(signal, "pthread_sigmask"):                   # Windows: no signal masks
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _stop_children(children: list, seconds: float = 5.0) -> None:
    """Stop the demo's processes and wait for them: each was started in its own process group (the
    receiver's server has worker processes of its own), which is asked to stop, then killed if it has
    not within ``seconds``; none is left running (or holding the terminal) once ``cpd serve`` has ended."""
    import signal
    import subprocess
    import time

    def signal_group(child, sig) -> None:
        try:
            os.killpg(child.pid, sig) if hasattr(os, "killpg") else child.send_signal(sig)
        except (ProcessLookupError, PermissionError):
            pass

    for child in children:
        signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            click.echo(f"The demo's {' '.join(child.args[3:4])} did not stop within {seconds:g} s: stopped.",
                       err=True)
        signal_group(child, getattr(signal, "SIGKILL", signal.SIGTERM))   # its own workers too, if any are left
        child.wait()


def _this_cpd() -> str:
    """How to type the cpd that is running, from where it was started: ``cpd`` when that is on the PATH,
    else its path (``.venv/bin/cpd`` in a venv that is not activated)."""
    import shutil
    started = os.path.abspath(sys.argv[0])
    if started.endswith("__main__.py"):                    # python -m addin.cli
        return f"{os.path.relpath(sys.executable)} -m addin.cli"
    if shutil.which("cpd") and os.path.abspath(shutil.which("cpd") or "") == started:
        return "cpd"
    return os.path.relpath(started)


def _typed_path(path) -> str:
    """A file's path as the member types it from where they are: relative when it is below here."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else os.path.abspath(path)


def _start_demo(app, host: str, port: int, children: list):
    """The reference receiver and a worker as processes, each put in ``children`` as it starts (so that what has
    started is stopped however cpd serve ends), and a demo member with a fresh token."""
    import os
    import signal
    import subprocess
    from pathlib import Path
    from sqlalchemy import select
    from sync_service import db, signing
    from sync_service.store.accounts import create_member, issue_token
    from sync_service.store.models import Member
    from sync_service.store.sign_in import new_link, verify

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    secret_file = instance / "demo-signing-secret"
    if not secret_file.exists():
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(signing.new_secret())
    secret = secret_file.read_text().strip()
    with app.app_context():
        session = db.write_session()
        member = session.scalar(select(Member).where(Member.email == "demo@example.org")) \
            or create_member(session, "demo@example.org")
        verify(member)                               # the demo's own made-up address
        token = issue_token(session, member, name="Demo")
        link = new_link(session, member)
        session.commit()
    cpd = [sys.executable, "-m", "addin.cli"]
    receiver_port = _port_free_from(host, port + 1)
    receiver_url = f"http://{host}:{receiver_port}/cpd/submissions"
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "CPD_LOG_FILE": app.config["LOG_FILE"]}
    group = hasattr(os, "killpg")           # each in its own process group, stopped as a group (_stop_children)
    # from here SIGTERM ends cpd serve as Ctrl+C does, through serve's ``finally``: the processes started by then
    # run in sessions of their own, and would be left running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    receiver = subprocess.Popen([*cpd, "receiver", "--host", host, "--port", str(receiver_port), "--secret", secret,
                                 "--database", str(instance / "demo-institution.sqlite3")],
                                start_new_session=group)
    children.append(receiver)
    _wait_until_listening(host, receiver_port, receiver)      # the first delivery finds the institution up
    if receiver.poll() is not None:
        fail(CpdError("demo_receiver_failed", f"the demo institution's receiver did not start on port "
                                              f"{receiver_port}; see the lines above"))
    children.append(subprocess.Popen([*cpd, "worker", "--endpoint", receiver_url, "--secret", secret, "--poll",
                                      "0.5"], env=env, start_new_session=group))
    return token, link, receiver_url


def _port_free_from(host: str, port: int) -> int:
    """``port`` if nothing listens on it, else one the system has free: the demo's receiver goes beside the
    service (port + 1) unless another program has that port (its deliveries would go to that program)."""
    import socket
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in (port, 0):
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)      # as the server binds it
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return probe.getsockname()[1]
    return port


def _wait_until_listening(host: str, port: int, process, seconds: float = 30.0) -> None:
    """Wait until ``process`` accepts connections on ``port`` (at most ``seconds``; it may have exited)."""
    import socket
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)


KINDS = ("delivery", "reminder", "mail", "sheet_write")
NAMES = {"delivery": "deliveries", "reminder": "reminders", "mail": "messages", "sheet_write": "sheet writes"}


@click.command()
@click.option("--database-url", envvar="DATABASE_URL", default=None, help="The service's database (or DATABASE_URL).")
@click.option("--kinds", default=",".join(KINDS), show_default=True, metavar="KIND,...",
              help="The kinds of job this worker does (delivery, reminder, mail, sheet_write), to split them "
                   "between processes. Reminders and mail are done only when CPD_SMTP_URL is set.")
@click.option("--endpoint", envvar="CPD_INSTITUTION_URL", default=None,
              help="The institution's submission endpoint (or CPD_INSTITUTION_URL); needed for deliveries.")
@click.option("--secret", "secrets_", envvar="CPD_SIGNING_SECRETS", multiple=True,
              help="Signing secret whsec_... (or CPD_SIGNING_SECRETS, comma-separated). Give two while rotating.")
@click.option("--timeout", type=click.FloatRange(0.1, 300), default=15.0, show_default=True,
              help="Seconds to wait for the institution's answer.")
@click.option("--lease-margin", type=click.FloatRange(0, 3600), default=30.0, show_default=True,
              help="Seconds past the timeout before another worker may take a delivery this one claimed.")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds before a kind of job is looked at again once its queue is empty (it found none, or "
                   "less than a batch): what is queued meanwhile goes in one batch.")
@click.option("--schedule", envvar="CPD_RETRY_SCHEDULE", default=None, metavar="SECONDS,...",
              help="Waits between a delivery's tries, comma-separated (default: 10,30,120,600,1800,3600,10800,"
                   "21600,43200,86400); a delivery is dead-lettered after one try more than the waits.")
@click.option("--retry-after-max", envvar="CPD_RETRY_AFTER_MAX", type=click.FloatRange(0, 7 * 86400), default=3600,
              show_default=True, help="Seconds: the longest Retry-After honoured; a larger or invalid one counts "
              "as this (or CPD_RETRY_AFTER_MAX).")
@click.option("--batch", type=click.IntRange(1, 100), default=8, show_default=True,
              help="Deliveries leased at once, then sent over the --connections.")
@click.option("--connections", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Deliveries sent at once, each over its own kept-alive connection to the institution (1: one "
                   "after another, in order).")
@click.option("--gzip", "gzip_", envvar="CPD_DELIVERY_GZIP", type=click.BOOL, default=False,
              help="Send bodies gzipped (Content-Encoding: gzip), for an endpoint set up to undo it before it "
                   "checks the signature (or CPD_DELIVERY_GZIP=true). Default: plain JSON, signed as sent.")
@click.option("--once", is_flag=True, help="Do every job due now, then stop.")
def worker(database_url, kinds, endpoint, secrets_, timeout, lease_margin, poll, schedule, retry_after_max, batch,
           connections, gzip_, once) -> None:
    """Run a worker: do the service's jobs of the outbox: deliveries of stored submissions to the institution,
    mail, and writes into linked Google Sheets (several workers may run at once)."""
    import signal
    import threading
    from sync_service import create_app
    from sync_service.jobs import local_kinds
    from sync_service.jobs import worker as jobs

    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown or not wanted:
        fail(CpdError("bad_option", f"--kinds names {', '.join(KINDS)}; found {kinds!r}"))
    app = create_app({"DATABASE_URL": database_url} if database_url else None)
    chosen = []
    if "delivery" in wanted:
        chosen.append(_deliveries(endpoint, secrets_, timeout, lease_margin, schedule, retry_after_max, batch,
                                  connections, gzip_))
    try:
        chosen += local_kinds(app.config, tuple(wanted))
    except ValueError as exc:
        fail(CpdError("bad_setting", str(exc)))
    doing = {"delivery": f"delivering to {endpoint}", "mail": "sending mail",
             "reminder": "queueing deadline reminders", "sheet_write": "writing into linked sheets"}
    sessions = app.extensions["cpd_sessions"]
    if once:
        try:
            tried = jobs.drain(sessions, chosen)
            click.echo(", ".join(f"{n} {NAMES[kind]} tried" for kind, n in tried.items()) + ".")
        finally:
            for kind in chosen:
                kind.close()
        return
    stop = threading.Event()

    def on_term(*_) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)       # a second SIGTERM ends the process at once
        stop.set()
    signal.signal(signal.SIGTERM, on_term)
    click.echo(f"Worker {'; '.join(doing[k.kind] for k in chosen)}. Ctrl+C stops it.")
    # The jobs run in a thread of their own and the main thread only waits for it, so a signal's handler never
    # interrupts code holding the lock of ``stop`` (setting it there would wait on that lock for ever).
    runner = threading.Thread(target=jobs.run, args=(sessions, chosen, stop, poll), name="cpd-jobs")
    runner.start()
    try:
        while runner.is_alive():
            runner.join(1.0)
    except KeyboardInterrupt:
        stop.set()
        runner.join()


def _deliveries(endpoint, secrets_, timeout, lease_margin, schedule, retry_after_max, batch, connections, gzip_):
    """The delivery kind from the worker's options, or a one-line error naming the option."""
    from sync_service.jobs.delivery import RETRY_SCHEDULE, Deliveries, Endpoint

    if not endpoint:
        fail(CpdError("bad_option", "deliveries need --endpoint (or CPD_INSTITUTION_URL); or leave delivery "
                                    "out of --kinds"))
    secrets_ = tuple(s.strip() for part in secrets_ for s in part.split(",") if s.strip())
    if not secrets_:
        fail(CpdError("bad_option", "deliveries need --secret (or CPD_SIGNING_SECRETS)"))
    if not all(s.startswith("whsec_") for s in secrets_):
        fail(CpdError("bad_option", "signing secrets start with whsec_"))
    waits: tuple[float, ...] = RETRY_SCHEDULE
    if schedule:
        try:
            waits = tuple(float(x) for x in schedule.split(",") if x.strip())
        except ValueError:
            fail(CpdError("bad_option", f"--schedule must be seconds separated by commas, found {schedule!r}"))
        if not waits or min(waits) < 0:
            fail(CpdError("bad_option", "--schedule needs at least one wait, none negative"))
    target = Endpoint(endpoint, secrets_, timeout, schedule=waits, lease_margin=lease_margin,
                      retry_after_max=retry_after_max, gzip=gzip_)
    try:
        return Deliveries(target, batch, connections)
    except ValueError as exc:
        fail(CpdError("bad_option", str(exc)))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8100, show_default=True, help="Port to listen on.")
@click.option("--secret", "secrets_", envvar="CPD_SIGNING_SECRETS", multiple=True, required=True,
              help="Signing secret(s) whsec_... (or CPD_SIGNING_SECRETS, comma-separated).")
@click.option("--database", default="receiver.sqlite3", show_default=True, type=click.Path(dir_okay=False),
              help="Where received submissions are stored (SQLite).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Threads per worker.")
@click.option("--dev", is_flag=True, help="Use Werkzeug's development server instead.")
def receiver(host: str, port: int, secrets_, database: str, workers: int, threads: int, dev: bool) -> None:
    """Run the reference institution receiver: verifies, dedupes, stores and answers with a receipt."""
    from sync_service.receiver import create_receiver

    secrets_ = [s.strip() for part in secrets_ for s in part.split(",") if s.strip()]
    config = {"SIGNING_SECRETS": secrets_, "RECEIVER_DATABASE": database}
    create_receiver(config)                       # makes the store once, before any worker
    click.echo(f"Institution receiver on http://{host}:{port}/cpd/submissions, storing in {database}.")
    server.run(lambda: create_receiver(config), server.ServerOptions(
        host=host, port=port, workers=workers, threads=threads, server="dev" if dev else server.default_server()))


from .admin_cli import admin  # noqa: E402,F401 - the entry point's name (pyproject.toml)
