"""CPD.READINESS on a real 2,000-activity record: in Python (as xlwings calls it) and over HTTP (as the
Office.js add-in calls it) against ``cpd serve`` as it runs in production, idle and with 4 callers at once.

Run:  .venv/bin/python bench/bench_functions.py [--activities 2000] [--rounds 3] [--calls 40] [--port P]
      .venv/bin/python bench/bench_functions.py --interpreters PY [PY ...] [--rounds 5]   (PY: another venv's python)
      .venv/bin/python bench/bench_functions.py --baseline DIR [--rounds 3]   (DIR: git worktree add DIR REV)
      .venv/bin/python bench/bench_functions.py --instructions [--baseline DIR]

The ranges are those of the documented formula, =CPD.READINESS(Record!A3:F7, Record!A9:Q5009, Plan!A4:G54),
read from a real workbook (bench/records.py: reflections of 20-200 words, providers, competences, a plan of
four objectives): 5,001 rows of activities of which 3,000 are blank, as the spreadsheet passes them (xlwings:
dates as dates, blanks as None; Office.js: dates as serial numbers, blanks as ""); over HTTP the body is what
the add-in's own functions.js sends for them (run in Node.js: its trailing blank rows left out since this
sitting's change; a baseline's functions.js makes the baseline's body). Every call gets its values afresh, as
a spreadsheet hands them at each recalculation (xlwings converts the cells anew, the endpoint decodes a new
body): made before the call, outside its time. The cases: a recalculation after a member's edit (each call
with one more activity's hours changed than the last: "a cell edited", the goal's case); the sheet's other
CPD formulas on the same ranges, or a whole recalculation ("none edited"); and the first calculation after
opening a workbook ("a new record": the functions' memory of the last ranges emptied before each call). Each
round runs every case in turn (the cases interleaved), --calls calls each; printed: min / median / max over
the rounds of each round's median (and p95 for the concurrent case: four members at once, each recalculating
their own record after an edit). Baselines in the same rounds: the same function on the rows that hold
activities only (A9:Q2009: what the trailing blank rows cost), the same function on the values as Office.js
sends them (serial numbers, "": what the HTTP endpoint runs), and over HTTP the same body posted to an unknown
function (refused before any work: the transport's own cost). With --baseline DIR (a checkout of another
commit), each round runs the Python cases on this checkout and on DIR's code (a fresh process each), and
every HTTP case on both codes' servers, one after the other (both running throughout; which goes first
alternates by round), and prints both side by side. With --interpreters PY [PY ...] (each a Python with this
project's dependencies installed, a venv's), each round runs the Python cases on this checkout's code in a
fresh process of each interpreter and of this one, in turn (which goes first rotates by round): what a
member's Python version costs.

Goals: at most 5 ms in Python, 15 ms over HTTP idle, p95 under 50 ms with 4 callers at once.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_service import checkouts, in_threads, in_turn, python_versions, spread  # noqa: E402  (it puts this checkout first on the path: the --code path goes after)
if "--code" in sys.argv:             # a child counting another checkout's code (--instructions): its addin first
    sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])
from ports import free_port, wait_for_port  # noqa: E402  (tests/ports.py)
from records import documented_ranges  # noqa: E402


def timed(fn, calls: int, given: Callable[[], tuple] = tuple, before: Callable[[], object] = tuple) -> list[float]:
    """Each call's time: ``fn(*given())``, what ``given`` makes (and ``before`` does) left out of it."""
    out = []
    for _ in range(calls):
        args = given()
        before()
        t = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t) * 1000)
    return out


HOURS = 9                          # the activity range's CPD hours column


class Edits:
    """Ranges as a spreadsheet hands them at each recalculation: new values every call (xlwings converts the
    sheet's cells afresh, the endpoint decodes a new body), each call with one more cell changed than the last
    (a member's edit: the hours of one activity, a different one each time), or none (``edit=False``: the
    sheet's other CPD formulas on the same ranges, or a whole recalculation)."""

    def __init__(self, ranges: tuple, edit: bool = True, rows: int = 2000):
        self.ranges, self.edit, self.rows, self.k = pickle.dumps(ranges), edit, rows, 0

    def __call__(self) -> tuple:
        ranges = pickle.loads(self.ranges)
        if self.edit:
            self.k += 1
            acts = ranges[1]
            acts[1 + (self.k * 37) % self.rows][HOURS] = 0.5 + self.k % 9
            self.ranges = pickle.dumps(ranges)
            ranges = pickle.loads(self.ranges)
        return ranges


def forget() -> None:
    """The worksheet functions' memory of the last calls' ranges, emptied where the code has one (a record
    not seen before: the first calculation after opening a workbook)."""
    from addin.functions import ranges, sheet
    for memory in (getattr(ranges, "RECALC", None), getattr(sheet, "ASSESSED", None)):
        if memory is not None:
            memory.clear()


def post(port: int, path: str, body: bytes, conn: http.client.HTTPConnection | None = None):
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        conn.close()                 # the server closed the kept-alive connection while idle: once more, fresh
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
    return resp.status, resp.read(), conn


def concurrent(port: int, body: bytes, calls: int, callers: int = 4) -> list[float]:
    """``callers`` clients at once, each on its own keep-alive connection, ``calls`` calls each: each a member
    recalculating their own record after an edit at each call (``edited_bodies``)."""
    times: list[float] = []
    lock = threading.Lock()

    members = iter(range(callers))
    made = {m: edited_bodies(body, calls, m) for m in range(callers)}

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        edited = made[next(members)]
        for _ in range(calls):
            sent, = edited()
            t = time.perf_counter()
            status, _, conn = post(port, "/api/v1/functions/READINESS", sent, conn)
            assert status == 200, status
            mine.append((time.perf_counter() - t) * 1000)
        conn.close()
        with lock:
            times.extend(mine)
    in_threads(client, callers)
    return times


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


CALLS = 20                         # calls a counted child makes (--instructions)


def calls_only(args) -> None:
    """A child of --instructions: the ranges loaded (made once by the parent), one call to warm, ``CALLS`` new
    copies of them made (``--edited``: each with one more cell changed), then --count calls, each on its copy
    (a record not seen before, unless ``--edited``); or, with --body, the service's endpoint called in-process
    as its workers call it, with that body, as a record not seen before."""
    from addin import FUNCTIONS
    assert args.code is None or FUNCTIONS["READINESS"].impl.__code__.co_filename.startswith(args.code)
    if args.body:
        import asyncio
        from sync_service import create_app
        from sync_service.whole_requests import WholeRequests
        body = Path(args.body).read_bytes()
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["CPD_INSTANCE_PATH"] = f"{tmp}/instance"      # its secret key there, not in the cwd
            app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/cpd.sqlite3", "LOG_LEVEL": "WARNING",
                              "FUNCTION_CALLS": "1000000/minute"})
            served = WholeRequests(app, threads=4, max_body=app.config["MAX_CONTENT_LENGTH"])
            asyncio.run(_post_in_process(served, body, 1 + args.count))
        return
    ranges = pickle.loads(Path(args.ranges).read_bytes())
    run = FUNCTIONS["READINESS"].run
    run(*ranges)
    given = Edits(ranges, edit=args.edited, rows=args.activities)
    copies = [given() for _ in range(CALLS)]
    for copy in copies[:args.count]:
        if not args.edited:
            forget()
        run(*copy)


async def _post_in_process(served, body: bytes, calls: int) -> None:
    """The call as ``cpd serve``'s workers make it, without their HTTP parsing and the network: the body in
    64 KB parts, as uvicorn hands it on, to ``WholeRequests`` and so to the app in a thread of its pool."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/functions/READINESS", "raw_path": b"/api/v1/functions/READINESS", "query_string": b"",
             "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    for _ in range(calls):
        forget()
        parts = [{"type": "http.request", "body": body[i:i + 65536], "more_body": i + 65536 < len(body)}
                 for i in range(0, len(body), 65536)]
        sent: list[dict] = []

        async def receive(parts=parts) -> dict:
            return parts.pop(0)

        async def send(message: dict, sent=sent) -> None:
            sent.append(message)
        await served(scope, receive, send)
        assert sent[0]["status"] == 200, sent


def count_instructions(args) -> None:
    """Instructions of one call: a child making 20 calls less one making none, each under callgrind, on
    ranges made once and copied (so that the count is the calls', not the making's): a record not seen
    before, as xlwings and Office.js pass it, and (``xlwings-edited``) a recalculation after an edit; and the
    service's endpoint in-process on the body each code's functions.js sends, through ``WholeRequests`` as
    ``cpd serve``'s workers call the app (their HTTP parsing and the network left out)."""
    from bench_commands import instructions
    codes = checkouts(args.baseline)
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan, A9:Q5009: millions of "
          f"instructions a call (callgrind)")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("xlwings", "officejs", "xlwings-edited", "endpoint"):
            given = Path(tmp) / f"{shape}.data"
            if shape != "endpoint":
                given.write_bytes(pickle.dumps(documented_ranges(args.activities, serials=shape == "officejs")))
            for name, code in codes.items():
                if shape == "endpoint":
                    given.write_bytes(the_body(args, code))
                what = ["--body" if shape == "endpoint" else "--ranges", str(given), "--activities",
                        str(args.activities)] + (["--edited"] if shape == "xlwings-edited" else [])
                counted = [instructions([sys.executable, __file__, "--count", str(n), *what, "--code", code], env)
                           for n in (0, CALLS)]
                print(f"  {name:14} {shape:14} {(counted[1] - counted[0]) / CALLS / 1e6:8.2f}", flush=True)


def python_cases(args) -> tuple[dict[str, Callable[[], list[float]]], list]:
    """The cases run in this process, on this process's code (``--code``'s when given), checked first; and the
    function's answer."""
    from addin import FUNCTIONS
    from addin.xlwings_udfs import CPD_READINESS
    readiness = FUNCTIONS["READINESS"].run          # what the HTTP endpoint calls, on the values Office.js sends
    assert args.code is None or FUNCTIONS["READINESS"].impl.__code__.co_filename.startswith(args.code)

    record, acts, plan = documented_ranges(args.activities)
    used = acts[:args.activities + 1]
    expected = CPD_READINESS(record, acts, plan)
    assert expected == CPD_READINESS(record, used, plan) and expected[0][0] in ("READY", "NOT READY"), expected
    serials = documented_ranges(args.activities, serials=True)
    assert readiness(*serials) == expected
    documented = Edits((record, acts, plan), rows=args.activities)
    cases = {
        "Python, A9:Q5009, a cell edited": (CPD_READINESS, documented, tuple),
        "Python, A9:Q5009, none edited": (CPD_READINESS, Edits((record, acts, plan), edit=False), tuple),
        "Python, A9:Q5009, a new record": (CPD_READINESS, Edits((record, acts, plan), edit=False), forget),
        "Python, A9:Q2009, a cell edited": (CPD_READINESS, Edits((record, used, plan), rows=args.activities), tuple),
        "Python, Office.js values, edited": (readiness, Edits(serials, rows=args.activities), tuple),
    }
    import gc
    gc.collect()
    gc.freeze()                      # the bench's own setup out of the collector's way, as cpd serve does
    return {name: functools.partial(timed, fn, args.calls, given, before)
            for name, (fn, given, before) in cases.items()}, expected


_SENT_BY_FUNCTIONS_JS = """
const fs = require("fs"), vm = require("vm");
globalThis.window = { CPD_SERVICE_URL: "" };
let sent;
globalThis.fetch = async (url, init) => { sent = init.body; return { ok: true, json: async () => ({}) }; };
vm.runInThisContext(fs.readFileSync(process.argv[1], "utf8"));
READINESS(...JSON.parse(fs.readFileSync(0, "utf8"))).then(() => process.stdout.write(sent));
"""


def the_body(args, code: str | None = None) -> bytes:
    """The body the Office.js add-in sends for the documented call (ranges as Excel passes them to it: serial
    numbers, "" blanks): what ``code``'s own functions.js makes of them, run in Node.js."""
    ranges = json.dumps(list(documented_ranges(args.activities, serials=True)))
    script = Path(code or ROOT) / "sync_service" / "officejs" / "static" / "functions.js"
    try:
        run = subprocess.run(["node", "-e", _SENT_BY_FUNCTIONS_JS, str(script)], input=ranges.encode(),
                             capture_output=True, check=True, timeout=120)
    except FileNotFoundError:
        raise SystemExit("the HTTP cases send what the add-in's functions.js sends: they need Node.js") from None
    return run.stdout


@contextlib.contextmanager
def serving(code: str | None, port: int | None = None) -> Iterator[int]:
    """``cpd serve`` (production defaults, a fresh SQLite database) running ``code``'s checkout: its port."""
    port = port or free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/cpd.sqlite3", "CPD_INSTANCE_PATH": f"{tmp}/instance",
               "CPD_LOG_LEVEL": "WARNING"}
        if code:                     # the server runs that checkout's code
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH")]))
        server = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port)], env=env,
                                  cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)   # not the
        # caller's directory: run from a checkout, ``-m`` would put that checkout's code before PYTHONPATH's
        try:
            wait_for_port(port, server)
            yield port
        finally:
            server.terminate()
            server.wait(20)


def http_cases(port: int, body: bytes, calls: int, expected: list | None = None) -> dict[str, Callable[[], list[float]]]:
    """The cases over HTTP against the server on ``port``, its answer checked first (``expected``, when given:
    the same as in Python); the idle ones on one kept-alive connection."""
    status, answer, conn = post(port, "/api/v1/functions/READINESS", body)
    result = json.loads(answer)["result"] if status == 200 else answer[:200]
    assert status == 200 and result[0][0] in ("READY", "NOT READY") and result == (expected or result), (status, result)
    path = "/api/v1/functions/READINESS"
    edited = edited_bodies(body, calls)

    def answered(sent: bytes, path: str = path, status: int = 200) -> None:
        assert post(port, path, sent, conn)[0] == status          # every call answered (none refused: 429)

    return {
        "HTTP idle, a cell edited": lambda: timed(answered, calls, edited),
        "HTTP idle, none edited": lambda: timed(lambda: answered(body), calls),
        "HTTP floor (refused unread)": lambda: timed(lambda: answered(body, "/api/v1/functions/NONE", 404), calls),
        "HTTP, 4 callers at once": lambda: concurrent(port, body, calls),
    }


def edited_bodies(body: bytes, calls: int, member: int = 0) -> Callable[[], tuple[bytes]]:
    """``body`` as the add-in sends it at each recalculation after an edit (one more activity's hours changed
    each call, in turn); ``member``: each member's own record (every activity's hours a little different)."""
    args = json.loads(body)
    acts = args["args"][1]
    if member:
        for row in acts[1:]:
            if isinstance(row[HOURS], (int, float)):
                row[HOURS] += member / 4
    bodies = []
    for k in range(1, calls + 1):
        acts[1 + (k * 37) % (len(acts) - 1)][HOURS] = 0.5 + k % 9
        bodies.append(json.dumps(args, separators=(",", ":")).encode())
    made = iter(bodies * 1000)
    return lambda: (next(made),)


def record_case(found: dict[str, list[float]], name: str, xs: list[float]) -> None:
    """A case's round: its median (and, for the concurrent case, its p95 too)."""
    found.setdefault(name, []).append(statistics.median(xs))
    if name.startswith("HTTP, 4"):
        found.setdefault(f"{name}: p95", []).append(p95(xs))


def measure(args) -> tuple[dict[str, list[float]], int]:
    """``args.rounds`` rounds of every case on this process's code: each case's per-round medians (and the
    concurrent case's p95s), and the body's size."""
    cases, expected = python_cases(args)
    body = the_body(args, args.code)
    found: dict[str, list[float]] = {}
    with serving(args.code, args.port) as port:
        cases |= http_cases(port, body, args.calls, expected)
        for _ in range(args.rounds):
            for name, case in cases.items():
                record_case(found, name, case())
    return found, len(body)


def interleaved(args) -> None:
    """This checkout and ``--baseline`` in the same rounds. Python: each round runs the cases in a fresh process
    on one code, then on the other. HTTP: a ``cpd serve`` for each code runs throughout, and each round runs
    every case on one server and at once on the other (which goes first alternates by round), so that the
    machine's mood, which moves within seconds here, falls on both alike."""
    codes = checkouts(args.baseline)
    found: dict[str, dict[str, list[float]]] = {c: {} for c in codes}
    with contextlib.ExitStack() as stack:
        ports = {name: stack.enter_context(serving(code)) for name, code in codes.items()}
        bodies = {name: the_body(args, code) for name, code in codes.items()}    # each code's add-in's own
        cases = {name: http_cases(port, bodies[name], args.calls) for name, port in ports.items()}
        for r in range(args.rounds):
            order = in_turn(codes, r)
            for name in order:
                for case, value in one_round(sys.executable, args, codes[name]).items():
                    found[name].setdefault(case, []).append(value)
            for case in cases[order[0]]:
                for name in order:
                    record_case(found[name], case, cases[name][case]())
    sizes = ", ".join(f"{name} {len(body) / 1e6:.2f} MB" for name, body in bodies.items())
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan; bodies: {sizes}; {args.rounds} "
          f"rounds of {args.calls} calls a case, this checkout and the baseline ({args.baseline}) in turn in each "
          f"round; ms, min / median / max of the rounds' medians:")
    print(f"  {'':<32} {'this checkout':^24}   {'baseline':^24}")
    for case in found["this checkout"]:
        row = "   ".join(spread(found[name][case]) for name in codes)
        print(f"  {case:<32} {row}")


def one_round(python: str, args, code: str | None = None) -> dict[str, float]:
    """One round of the Python cases in a fresh process of ``python`` (on ``code``'s checkout when given): each
    case's median."""
    command = [python, __file__, "--one-round", "--activities", str(args.activities), "--calls", str(args.calls)]
    run = subprocess.run(command + (["--code", code] if code else []), capture_output=True, text=True, check=False)
    if run.returncode:
        raise SystemExit(f"the round on {code or python} failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.splitlines()[-1])


def by_interpreter(args) -> None:
    """The Python cases on this checkout's code under this interpreter and each of ``--interpreters``, a fresh
    process of each in every round, in turn (which goes first rotates by round)."""
    pythons = [sys.executable] + [str(p) for p in args.interpreters]
    version = python_versions(pythons)
    found: dict[str, dict[str, list[float]]] = {py: {} for py in pythons}
    for r in range(args.rounds):
        for py in pythons[r % len(pythons):] + pythons[:r % len(pythons)]:
            for case, value in one_round(py, args).items():
                found[py].setdefault(case, []).append(value)
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan, this checkout's code; "
          f"{args.rounds} rounds of {args.calls} calls a case, each interpreter in turn in each round; ms, "
          f"min / median / max of the rounds' medians:")
    print(f"  {'':<32} " + "   ".join(f"{version[py]:^24}" for py in pythons))
    for case in found[sys.executable]:
        print(f"  {case:<32} " + "   ".join(spread(found[py][case]) for py in pythons))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--activities", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=40, help="calls per case per round")
    ap.add_argument("--port", type=int, help="the service's port (default: a free one)")
    ap.add_argument("--instructions", action="store_true", help="instead, count the instructions of one call in "
                    "Python, each shape (valgrind's callgrind: the same count whatever else the machine is doing)")
    ap.add_argument("--baseline", type=Path, help="a checkout of another commit, measured in the same rounds "
                    "(with --instructions: counted too)")
    ap.add_argument("--interpreters", type=Path, nargs="+", help="other Pythons (each with this project's "
                    "dependencies: a venv's python), the Python cases run under each and this one in the same rounds")
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)     # a child: make N calls and stop
    ap.add_argument("--ranges", help=argparse.SUPPRESS)                 # a child: the pickled ranges
    ap.add_argument("--body", help=argparse.SUPPRESS)                   # a child: the endpoint's body, in-process
    ap.add_argument("--edited", action="store_true", help=argparse.SUPPRESS)   # a child: a cell edited a call
    ap.add_argument("--code", help=argparse.SUPPRESS)
    ap.add_argument("--one-round", action="store_true", help=argparse.SUPPRESS)   # a child: one round, as JSON
    args = ap.parse_args()
    if args.count is not None:
        return calls_only(args)
    if args.instructions:
        return count_instructions(args)
    if args.one_round:               # a child of --baseline or --interpreters: one round of the Python cases, as JSON
        print(json.dumps({name: statistics.median(case()) for name, case in python_cases(args)[0].items()}))
        return
    if args.interpreters:
        if args.baseline:
            ap.error("--interpreters and --baseline: one at a time")
        return by_interpreter(args)
    if args.baseline:
        return interleaved(args)
    found, size = measure(args)
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan; body {size / 1e6:.1f} MB; "
          f"{args.rounds} rounds of {args.calls} calls a case; ms, min / median / max of the rounds' medians:")
    for name, xs in found.items():
        print(f"  {name:<32} {spread(xs, 7)}")
    print("Goals: Python at most 5 ms; HTTP idle at most 15 ms; p95 under 50 ms with 4 callers at once.")


if __name__ == "__main__":
    main()
