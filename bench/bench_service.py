"""The service end to end under load: real submissions accepted and delivered per second.

Run:  .venv/bin/python bench/bench_service.py [--n 3000] [--rounds 3] [--clients 8]
          [--databases sqlite postgresql] [--postgres URL] [--service-port P] [--receiver-port P]
          [--baseline DIR]        (DIR: git worktree add DIR <commit>; its code runs in the same rounds)
          [--interpreters PY [PY ...]]  (other Pythons, each a venv's with this project's dependencies:
                                  every part runs this checkout's code under each in the same rounds)
          [--web-workers N [N ...]]  (cpd serve --workers; several counts run in the same rounds)
          [--web-threads N [N ...]]  (cpd serve --threads; likewise)
          [--connections N [N ...]]  (cpd worker --connections; likewise)
          [--batch N [N ...]]        (cpd worker --batch; likewise)
          [--receiver-threads N [N ...]]  (cpd receiver --threads; likewise)

For each database it starts, as separate processes on 127.0.0.1: the reference institution
receiver (``cpd receiver``), the service under gunicorn (``cpd serve``, its defaults) and 2 delivery
workers (``cpd worker``). It makes N members, each with a token, and N distinct real workbooks of 40
activities (bench/records.py: reflections of 20-200 words, providers, competences, a plan; each copy
with its own member name), then submits one workbook per member from --clients concurrent clients
(keep-alive connections) and waits until every submission is delivered to the receiver. The rounds
take the databases in turn (sqlite, postgresql, sqlite, ...), each on a fresh database.

Printed per round: accepted/s (N over the time to the last 2xx), delivered/s (N over the time until
the last delivery, end to end from the first request: the time its worker recorded it, ``jobs.done_at``),
how many were delivered by the last upload's answer (whether the deliveries keep up), p50/p95/p99 upload
latency, errors, and the CPU
seconds each part used: this bench's own processes only (the PostgreSQL server's share is the CPU of
the backends serving this run's connections, found by their application_name). Then min/median/max
over the rounds against the goals: 222 a second on PostgreSQL (100,000 members in 7.5 minutes) and 150
on SQLite, on this 2-core machine. PostgreSQL: --postgres (default BENCH_POSTGRES or
postgresql+psycopg://postgres@127.0.0.1:5432/test), a fresh schema per round, dropped after.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import io
import itertools
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from ports import free_port, wait_for_port  # noqa: E402  (tests/ports.py)

GOALS = {"postgresql": 222.0, "sqlite": 150.0}
PG = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T = TypeVar("T")


def spread(xs: list[float], width: int = 6, places: int = 2) -> str:
    """min / median / max, as every bench prints its rounds."""
    return f"{min(xs):{width}.{places}f} / {statistics.median(xs):{width}.{places}f} / {max(xs):{width}.{places}f}"

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
sys.path.insert(0, str(ROOT / "bench"))
from records import NAME, real_workbook  # noqa: E402


def in_threads(target: Callable[[], None], n: int) -> None:
    """``target`` run in ``n`` threads at once, until each returns (the benches' concurrent clients)."""
    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def workbooks(base: bytes, n: int) -> list[bytes]:
    """n copies of the workbook, each with its own member name (the same length: only bytes change)."""
    parts = [(info, zipfile.ZipFile(io.BytesIO(base)).read(info)) for info in zipfile.ZipFile(io.BytesIO(base)).infolist()]
    out = []
    for i in range(n):
        name = f"Bench Member {i:010d}".encode()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in parts:
                z.writestr(info, data.replace(NAME.encode(), name), compress_type=zipfile.ZIP_DEFLATED)
        out.append(buf.getvalue())
    return out


def submitted(folder: str, n: int):
    """The service's app, made in this process on a SQLite file in ``folder``, and ``n`` distinct real 40-activity
    workbooks uploaded through its API by one member (each queues a delivery)."""
    from sync_service import create_app, db
    from sync_service.store.accounts import create_member, issue_token
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/cpd.sqlite3", "LOG_LEVEL": "WARNING",
                      "SUBMISSIONS_PER_MINUTE": 10**6})
    with app.app_context():
        s = db.session()
        token = issue_token(s, create_member(s, "bench@example.org"))
        s.commit()
    client = app.test_client()
    for book in workbooks(real_workbook(40, seed=40), n):
        res = client.post("/api/v1/submissions", data=book,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": XLSX})
        assert res.status_code == 201, res.get_json()
    return app


@contextlib.contextmanager
def fresh_schema(postgres: str) -> Iterator[tuple[str, str]]:
    """A fresh schema in the PostgreSQL database at ``postgres``, dropped afterwards: (the URL that uses it, its
    name)."""
    from sqlalchemy import create_engine, text
    admin = create_engine(postgres)
    schema = "bench_" + secrets.token_hex(4)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}", schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextlib.contextmanager
def fresh_database(database: str, postgres: str, folder: str) -> Iterator[str]:
    """The URL of a fresh database: a SQLite file in ``folder``, or a fresh schema in ``postgres``."""
    if database == "sqlite":
        yield f"sqlite:///{folder}/cpd.sqlite3"
    else:
        with fresh_schema(postgres) as (url, _):
            yield url


def child_process_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of a bench that measures each checkout in fresh child processes on fresh databases, its
    rounds interleaving a baseline's; and the child's own (hidden)."""
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--databases", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])
    ap.add_argument("--postgres", default=PG, help="PostgreSQL URL (a fresh schema in it for each process)")
    ap.add_argument("--baseline", help="a checkout of another commit, measured in the same rounds")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--code", default=str(ROOT), help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)


def checkouts(baseline: str | None) -> dict[str, str]:
    """This checkout, and the baseline's when there is one: the code each measurement runs."""
    return {"this checkout": str(ROOT)} | ({"baseline": str(Path(baseline).resolve())} if baseline else {})


def in_turn(items: Iterable[T], round_: int) -> list[T]:
    """The variants a round measures, in the order it measures them: which goes first alternates by round (the
    one measured second in a pair mostly ran a few percent faster here, whatever its code: the same web workers'
    code took 2-8% more CPU a member in five of six rounds when it went first)."""
    found = list(items)
    return found if round_ % 2 == 0 else found[::-1]


def interleaved(rounds: int, databases: list[str], codes: dict[str, str],
                measure: Callable[[str, str], float], unit: str) -> dict[tuple[str, str], list[float]]:
    """Every round measures each database with each checkout in turn, the baseline interleaved with this
    checkout (``measure(code, database)``; which goes first alternates by round), each figure printed as it
    comes: the figures by (database, checkout)."""
    found: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        for database in databases:
            for name, code in in_turn(codes.items(), r):
                found.setdefault((database, name), []).append(x := measure(code, database))
                print(f"round {r + 1}, {database}, {name}: {x:.3f} {unit}", flush=True)
    return found


def python_versions(pythons: Iterable[str]) -> dict[str, str]:
    """Each interpreter's name for a table's heading: its version (with its path when two share a version)."""
    found = {py: subprocess.run([py, "-c", "import platform; print(platform.python_version())"],
                                capture_output=True, text=True, check=True).stdout.strip() for py in pythons}
    return {py: f"Python {v}" + (f" ({py})" if list(found.values()).count(v) > 1 else "") for py, v in found.items()}


def make_members(database_url: str, n: int, env: dict[str, str]) -> list[str]:
    """n members with a token each (``bench/make_members.py``), made by the code ``env`` runs (its PYTHONPATH:
    that code's migrations make the schema); their tokens."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tokens"
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_members.py"), database_url, str(n), str(out)],
                       env=env, check=True)
        tokens = out.read_text().split("\n")
    assert len(tokens) == n
    return tokens


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that have been waited for (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


def tree_cpu(pid: int) -> float:
    """CPU of a process and all its live descendants."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += cpu_seconds(p)
        try:
            todo += [int(c) for t in os.listdir(f"/proc/{p}/task")
                     for c in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
        except OSError:
            pass
    return total


def backend_cpu(database_url: str, application: str) -> dict[int, float]:
    """CPU of each PostgreSQL backend serving a connection named ``application`` (this run's own)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url.split("?")[0])
    try:
        with engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                                {"a": application}).scalars().all()
    finally:
        engine.dispose()
    return {pid: cpu_seconds(pid) for pid in pids}


def delivered(engine) -> tuple[int, float | None]:
    """(deliveries delivered, when the last of them was recorded as delivered: seconds since the epoch; None
    when none was)."""
    from datetime import timezone
    from sqlalchemy import DateTime, Integer, text
    with engine.connect() as conn:
        count, last = conn.execute(text(
            "SELECT count(*) AS count, max(done_at) AS last FROM jobs WHERE kind = 'delivery' "
            "AND status = 'delivered'").columns(count=Integer, last=DateTime(timezone=True))).one()
    if last is not None and last.tzinfo is None:          # SQLite keeps the UTC time without its zone
        last = last.replace(tzinfo=timezone.utc)
    return count, last.timestamp() if last is not None else None


def run(label: str, database_url: str, n: int, clients: int, tmp: Path, books: list[bytes],
        ports: tuple[int | None, int | None] = (None, None), application: str = "", code: Path | None = None,
        options: dict[str, list[str]] | None = None, python: str = sys.executable) -> dict:
    """One round: the parts started under ``python`` (``options``: more arguments for a part, by ``KNOBS``' part
    names), the members' workbooks submitted, every delivery waited for; what was measured."""
    options = options or {}
    env = {**os.environ, "DATABASE_URL": database_url, "CPD_INSTANCE_PATH": str(tmp / "instance"),
           "PYTHONPATH": str((code or ROOT).resolve()),     # the code measured, whatever ``python`` has installed
           "CPD_LOG_LEVEL": "WARNING"}
    cpd = [python, "-m", "addin.cli"]
    tokens = make_members(database_url, n, env)
    secret = "whsec_" + __import__("base64").b64encode(secrets.token_bytes(24)).decode()
    rport, sport = ports[1] or free_port(), ports[0] or free_port()
    commands = {
        "receiver": ([*cpd, "receiver", "--port", str(rport), "--secret", secret,
                      "--database", str(tmp / f"{label}-receiver.sqlite3"), *options.get("receiver", [])], env),
        "server": ([*cpd, "serve", "--port", str(sport), *options.get("serve", [])],
                   {**env, "CPD_SUBMISSIONS_PER_MINUTE": "1000"}),
        **{f"worker{i}": ([*cpd, "worker", "--endpoint", f"http://127.0.0.1:{rport}/cpd/submissions", "--secret",
                           secret, "--poll", "0.05", *options.get("worker", [])],
                          env) for i in range(2)},
    }
    procs = {}
    for name, (command, e) in commands.items():      # each part's messages kept, to show if it stops
        with open(tmp / f"{name}.log", "wb") as log:
            procs[name] = subprocess.Popen(command, env=e, cwd=str(tmp), stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_port(sport, procs["server"])
        wait_for_port(rport, procs["receiver"])
        time.sleep(1.0)                                   # the gunicorn workers are up
        cpu0 = {k: tree_cpu(p.pid) for k, p in procs.items()}
        pg0 = backend_cpu(database_url, application) if application else {}
        me0 = time.process_time()
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        jobs = list(range(n))
        last_ok = [0.0]

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", sport, timeout=60)
            while True:
                with lock:
                    if not jobs:
                        break
                    i = jobs.pop()
                t0 = time.perf_counter()
                try:
                    conn.request("POST", "/api/v1/submissions", body=books[i],
                                 headers={"Authorization": f"Bearer {tokens[i]}", "Content-Type": XLSX})
                    resp = conn.getresponse()
                    resp.read()
                    status = resp.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", sport, timeout=60)
                    status = 0
                t1 = time.perf_counter()
                with lock:
                    latencies.append(t1 - t0)
                    statuses[status] = statuses.get(status, 0) + 1
                    if 200 <= status < 300:
                        last_ok[0] = t1
            conn.close()

        start, start_wall = time.perf_counter(), time.time()
        in_threads(client, clients)
        accepted_at = last_ok[0] - start
        ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
        from sqlalchemy import create_engine
        looking = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))   # one for the round
        try:
            by_accepted, _ = delivered(looking)           # how far the deliveries kept up with the uploads
            deadline = time.time() + 600
            while (done := delivered(looking))[0] < ok and time.time() < deadline:
                time.sleep(0.2)
        finally:
            looking.dispose()
        done, last = done
        # the time the last delivery was recorded (the workers' own clock, this machine's), not the time this
        # loop saw it: polling once a second added 0-1 s to every round's time
        delivered_at = (last - start_wall) if last is not None else time.perf_counter() - start
        stopped = [name for name, p in procs.items() if p.poll() is not None]
        if stopped:                                       # a part that stopped would leave its work to the others
            raise SystemExit("\n".join(f"{name} stopped during the round (exit {procs[name].returncode}):\n"
                                        + (tmp / f"{name}.log").read_text(errors="replace")[-3000:]
                                        for name in stopped))
        cpu = {k: tree_cpu(p.pid) - cpu0[k] for k, p in procs.items()}
        cpu["clients (this process)"] = time.process_time() - me0
        if application:
            cpu["postgresql backends"] = sum(t - pg0.get(pid, 0.0)
                                             for pid, t in backend_cpu(database_url, application).items())
        q = statistics.quantiles(latencies, n=100)
        return {"label": label, "n": n, "accepted": ok, "delivered": done, "errors": n - ok,
                "statuses": statuses, "accepted_per_s": ok / accepted_at, "delivered_per_s": done / delivered_at,
                "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000, "wall": delivered_at, "cpu": cpu,
                "by_accepted": by_accepted, "accepted_wall": accepted_at}
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def large_upload(tmp: Path, activities: int = 20000) -> dict:
    """One large record through the app in this process (SQLite): the server's time for the upload, and
    the stored and delivered sizes against the file's."""
    from sync_service import create_app, db
    from sync_service.store.accounts import create_member, issue_token
    from sync_service.jobs.delivery import Endpoint, claim
    from sync_service.store.models import Submission
    data = real_workbook(activities, seed=activities)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/large.sqlite3", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        s = db.session()
        token = issue_token(s, create_member(s, "large@example.org"))
        s.commit()
    client, times = app.test_client(), []
    for i in range(3):
        t0 = time.perf_counter()
        res = client.post("/api/v1/submissions", data=data, headers={"Authorization": f"Bearer {token}",
                                                                     "Idempotency-Key": f"large-upload-{i}"})
        times.append(time.perf_counter() - t0)
        assert res.status_code == 201, res.get_json()
    with app.app_context():
        stored = db.session().get(Submission, res.get_json()["id"]).body
        (claimed,), found = claim(db.session(), Endpoint("http://127.0.0.1:9/", ("whsec_AAAA",)), limit=1)
        delivered = found[claimed.submission_id]
    app.extensions["cpd_engine"].dispose()
    return {"activities": activities, "file": len(data), "seconds": statistics.median(times), "stored": len(stored),
            "delivered": len(delivered)}


# The settings a run may compare, each several values in the same rounds: option -> (part, its flag, the
# label, help).
KNOBS = {
    "web-workers": ("serve", "--workers", "web workers", "cpd serve's worker processes (default: its own default)"),
    "web-threads": ("serve", "--threads", "threads", "cpd serve's threads a worker process (default: its own default)"),
    "connections": ("worker", "--connections", "connections",
                    "each delivery worker's connections at once (cpd worker --connections; default: its own default)"),
    "batch": ("worker", "--batch", "batch", "deliveries each delivery worker leases at once (cpd worker --batch; "
              "default: its own default)"),
    "receiver-threads": ("receiver", "--threads", "receiver threads",
                         "the reference receiver's threads (cpd receiver --threads; default: its own default)"),
}


def _options(values: dict[str, int]) -> dict[str, list[str]]:
    """The parts' arguments for the settings' ``values`` (by ``KNOBS``' names)."""
    out: dict[str, list[str]] = {}
    for name, value in values.items():
        part, flag, _, _ = KNOBS[name]
        out.setdefault(part, []).extend([flag, str(value)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="members, one submission each")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each database, taken in turn")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default=PG, help="PostgreSQL URL (a schema is made in it per round)")
    parser.add_argument("--service-port", type=int, help="the service's port (default: a free one)")
    parser.add_argument("--receiver-port", type=int, help="the receiver's port (default: a free one)")
    parser.add_argument("--no-large", action="store_true", help="skip the one 20,000-activity upload")
    parser.add_argument("--baseline", type=Path, help="a checkout of another commit (git worktree add DIR REV): "
                        "each round also runs the service, the workers and the receiver on its code")
    parser.add_argument("--interpreters", nargs="+", metavar="PY", default=[],
                        help="other Pythons (each a venv's python with this project's dependencies installed): each "
                             "round also runs the service, the workers and the receiver under each, in turn, on this "
                             "checkout's code (or --baseline's)")
    for name, (_, _, _, helped) in KNOBS.items():
        parser.add_argument(f"--{name}", type=int, nargs="+", metavar="N",
                            help=f"{helped}; several numbers are each run in the same rounds, interleaved")
    args = parser.parse_args()
    chosen = {name: getattr(args, name.replace("-", "_")) for name in KNOBS
              if getattr(args, name.replace("-", "_"))}
    base = real_workbook(40)
    t0 = time.perf_counter()
    books = workbooks(base, args.n)
    print(f"{args.n:,} distinct real workbooks of 40 activities ({len(base) / 1024:.1f} KB each) made in "
          f"{time.perf_counter() - t0:.1f} s; {args.clients} clients; cpd serve's defaults"
          f"{''.join(' with ' + ' or '.join(map(str, chosen[name])) + f' {KNOBS[name][2]}' for name in chosen)}, "
          f"2 delivery workers, the reference receiver; {os.cpu_count()} cores")
    assert len({hashlib.sha256(b).hexdigest() for b in books}) == args.n
    if not args.no_large:
        with tempfile.TemporaryDirectory() as tmp:
            big = large_upload(Path(tmp))
        print(f"One real record of {big['activities']:,} activities ({big['file'] / 1024:.0f} KB .xlsx): upload "
              f"{big['seconds'] * 1000:.0f} ms of server time; stored {big['stored'] / 1024:.0f} KB "
              f"({big['stored'] / big['file']:.2f}x the file), delivery body {big['delivered'] / 1024:.0f} KB "
              f"({big['delivered'] / big['file']:.2f}x; goal both within 2x)")
    results = []
    ports = (args.service_port, args.receiver_port)
    codes = [("", None)] + ([(" (baseline)", args.baseline)] if args.baseline else [])
    pythons = python_versions([sys.executable, *args.interpreters]) if args.interpreters else {sys.executable: ""}
    variants = [(suffix + (f" ({named})" if named else "")
                 + "".join(f" ({v} {KNOBS[name][2]})" for name, v in zip(chosen, values)), code,
                 _options(dict(zip(chosen, values))), python)
                for suffix, code in codes for python, named in pythons.items()
                for values in itertools.product(*chosen.values())]
    for round_ in range(args.rounds):
        for label in args.databases:
            for suffix, code, options, python in in_turn(variants, round_):
                with tempfile.TemporaryDirectory() as tmp:
                    if label == "sqlite":
                        r = run(label, f"sqlite:///{tmp}/cpd.sqlite3", args.n, args.clients, Path(tmp), books, ports,
                                code=code, options=options, python=python)
                    else:
                        with fresh_schema(args.postgres) as (url, schema):
                            r = run(label, f"{url}&application_name={schema}", args.n, args.clients, Path(tmp),
                                    books, ports, application=schema, code=code, options=options, python=python)
                r["label"] += suffix
                results.append(r)
                report(r, round_ + 1)
    print(f"\nOver {args.rounds} rounds, {args.n:,} members each (min / median / max):")
    for label in args.databases:
        for suffix, *_ in variants:
            mine = [r for r in results if r["label"] == label + suffix]
            for key, name in (("accepted_per_s", "accepted/s"), ("delivered_per_s", "delivered/s")):
                xs = [r[key] for r in mine]
                print(f"  {label + suffix:<34} {name:<12} {spread(xs, 7, 1)}"
                      f"   median {statistics.median(xs) / GOALS[label]:.2f}x the goal of {GOALS[label]:.0f}")
            for key in ("p95", "p99"):
                print(f"  {label + suffix:<34} {'upload ' + key:<12} {spread([r[key] for r in mine], 7, 1)} ms")
            for part in ("server", "all"):
                ms = [1000 * (sum(r["cpu"].values()) if part == "all" else r["cpu"]["server"])
                      / max(r["delivered"], 1) for r in mine]
                print(f"  {label + suffix:<34} {'CPU/member' if part == 'all' else 'web CPU':<12} {spread(ms, 7)} ms")


def report(r: dict, round_: int) -> None:
    total = sum(r["cpu"].values())
    print(f"\nRound {round_}, {r['label']}: {r['accepted_per_s']:.1f} accepted/s, {r['delivered_per_s']:.1f} "
          f"delivered/s (goal {GOALS[r['label'].split()[0]]:.0f}); upload p50/p95/p99 {r['p50']:.1f}/{r['p95']:.1f}/"
          f"{r['p99']:.1f} ms; {r['delivered']:,} delivered of {r['n']:,} in {r['wall']:.2f} s ({r['by_accepted']:,} "
          f"of them by the last upload's answer at {r['accepted_wall']:.2f} s); statuses "
          f"{r['statuses']}; CPU {total:.1f} s = {1000 * total / max(r['delivered'], 1):.2f} ms a member:")
    for part, secs in sorted(r["cpu"].items(), key=lambda kv: -kv[1]):
        print(f"  {part:<24} {secs:>7.1f} s CPU  {1000 * secs / max(r['delivered'], 1):>6.2f} ms/member "
              f"{100 * secs / total:>5.1f}%")


if __name__ == "__main__":
    main()
