"""CPD.READINESS on a real 2,000-activity record: in Python (as xlwings calls it) and over HTTP (as the
Office.js add-in calls it) against ``cpd serve`` as it runs in production, idle and with 4 callers at once.

Run:  .venv/bin/python bench/bench_functions.py [--activities 2000] [--rounds 3] [--calls 40] [--port P]
      .venv/bin/python bench/bench_functions.py --baseline DIR [--rounds 3]   (DIR: git worktree add DIR REV)
      .venv/bin/python bench/bench_functions.py --instructions [--baseline DIR]

The ranges are those of the documented formula, =CPD.READINESS(Record!A3:F7, Record!A9:Q5009, Plan!A4:G54),
read from a real workbook (bench/records.py: reflections of 20-200 words, providers, competences, a plan of
four objectives): 5,001 rows of activities of which 3,000 are blank, as the spreadsheet passes them (xlwings:
dates as dates, blanks as None; Office.js: dates as serial numbers, blanks as ""). Each round runs every
case in turn (the cases interleaved), --calls calls each; printed: min / median / max over the rounds of each
round's median (and p95 for the concurrent case). Baselines in the same rounds: the same function on the
rows that hold activities only (A9:Q2009: what the trailing blank rows cost), the same function on the
values as Office.js sends them (serial numbers, "": what the HTTP endpoint runs), and over HTTP the same body
posted to an unknown function (refused before any work: the transport's own cost). With --baseline DIR (a
checkout of another commit), each round runs every case on this checkout and then on DIR's code, each in a
fresh process with its own ``cpd serve``, and prints both side by side.

Goals: at most 5 ms in Python, 15 ms over HTTP idle, p95 under 50 ms with 4 callers at once.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_service import checkouts, in_threads, spread  # noqa: E402  (it puts this checkout first on the path: the --code path goes after)
if "--code" in sys.argv:             # a child counting another checkout's code (--instructions): its addin first
    sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])
from ports import free_port, wait_for_port  # noqa: E402  (tests/ports.py)
from records import documented_ranges  # noqa: E402


def timed(fn, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


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
    """``callers`` clients at once, each on its own keep-alive connection, ``calls`` calls each."""
    times: list[float] = []
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for _ in range(calls):
            t = time.perf_counter()
            status, _, conn = post(port, "/api/v1/functions/READINESS", body, conn)
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
    """A child of --instructions: the ranges loaded (made once by the parent), one call to warm, then --count
    calls."""
    import pickle
    from addin import FUNCTIONS
    assert args.code is None or FUNCTIONS["READINESS"].impl.__code__.co_filename.startswith(args.code)
    ranges = pickle.loads(Path(args.ranges).read_bytes())
    run = FUNCTIONS["READINESS"].run
    run(*ranges)
    for _ in range(args.count):
        run(*ranges)


def count_instructions(args) -> None:
    """Instructions of one call: a child making 20 calls less one making none, each under callgrind, on
    ranges made once (so that the count is the calls', not the making's)."""
    import pickle
    from bench_commands import instructions
    codes = checkouts(args.baseline)
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan, A9:Q5009: millions of "
          f"instructions a call (callgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("xlwings", "officejs"):
            ranges = Path(tmp) / f"{shape}.pickle"
            ranges.write_bytes(pickle.dumps(documented_ranges(args.activities, serials=shape == "officejs")))
            for name, code in codes.items():
                counted = [instructions([sys.executable, __file__, "--count", str(n), "--ranges", str(ranges),
                                         "--code", code], {**os.environ, "PYTHONHASHSEED": "0"}) for n in (0, CALLS)]
                print(f"  {name:14} {shape:9} {(counted[1] - counted[0]) / CALLS / 1e6:8.2f}", flush=True)


def measure(args) -> tuple[dict[str, list[float]], list[float], int]:
    """``args.rounds`` rounds of every case on this process's code: each case's per-round medians, the
    concurrent case's per-round p95s, and the body's size."""
    from addin import FUNCTIONS
    from addin.xlwings_udfs import CPD_READINESS
    readiness = FUNCTIONS["READINESS"].run          # what the HTTP endpoint calls, on the values Office.js sends
    assert args.code is None or FUNCTIONS["READINESS"].impl.__code__.co_filename.startswith(args.code)

    record, acts, plan = documented_ranges(args.activities)
    used = acts[:args.activities + 1]
    expected = CPD_READINESS(record, acts, plan)
    assert expected == CPD_READINESS(record, used, plan) and expected[0][0] in ("READY", "NOT READY"), expected
    s_record, s_acts, s_plan = documented_ranges(args.activities, serials=True)
    body = json.dumps({"args": [s_record, s_acts, s_plan]}).encode()
    assert readiness(s_record, s_acts, s_plan) == expected

    import gc
    gc.collect()
    gc.freeze()                      # the bench's own setup out of the collector's way, as cpd serve does
    port = args.port or free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/cpd.sqlite3", "CPD_INSTANCE_PATH": f"{tmp}/instance",
               "CPD_LOG_LEVEL": "WARNING"}
        if args.code:                # the server runs the same code as this process
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [args.code, env.get("PYTHONPATH")]))
        server = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, server)
            status, answer, conn = post(port, "/api/v1/functions/READINESS", body)
            assert status == 200 and json.loads(answer)["result"] == expected, (status, answer[:200])
            cases = {
                "Python, A9:Q5009 (documented)": lambda: timed(lambda: CPD_READINESS(record, acts, plan), args.calls),
                "Python, A9:Q2009 (rows used)": lambda: timed(lambda: CPD_READINESS(record, used, plan), args.calls),
                "Python, as Office.js passes it": lambda: timed(lambda: readiness(s_record, s_acts, s_plan), args.calls),
                "HTTP idle": lambda: timed(lambda: post(port, "/api/v1/functions/READINESS", body, conn), args.calls),
                "HTTP floor (refused unread)": lambda: timed(lambda: post(port, "/api/v1/functions/NONE", body, conn),
                                                             args.calls),
                "HTTP, 4 callers at once": lambda: concurrent(port, body, args.calls),
            }
            medians: dict[str, list[float]] = {k: [] for k in cases}
            tails: list[float] = []
            for _ in range(args.rounds):
                for name, case in cases.items():
                    xs = case()
                    medians[name].append(statistics.median(xs))
                    if name.startswith("HTTP, 4"):
                        tails.append(p95(xs))
            conn.close()
        finally:
            server.terminate()
            server.wait(20)
    return medians, tails, len(body)


def interleaved(args) -> None:
    """This checkout and ``--baseline`` in the same rounds: each round runs every case on one code, then on the
    other (a fresh process and server for each), so the machine's mood falls on both alike."""
    codes = checkouts(args.baseline)
    found: dict[str, dict[str, list[float]]] = {c: {} for c in codes}
    for _ in range(args.rounds):
        for name, code in codes.items():
            run = subprocess.run([sys.executable, __file__, "--one-round", "--code", code, "--activities",
                                  str(args.activities), "--calls", str(args.calls)], capture_output=True, text=True,
                                 check=False)
            if run.returncode:
                raise SystemExit(f"the round on {name} failed:\n{run.stderr[-2000:]}")
            for case, value in json.loads(run.stdout.splitlines()[-1]).items():
                found[name].setdefault(case, []).append(value)
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan; {args.rounds} rounds of "
          f"{args.calls} calls a case, this checkout and the baseline ({args.baseline}) in turn in each round; ms, "
          f"min / median / max of the rounds' medians:")
    print(f"  {'':<32} {'this checkout':^24}   {'baseline':^24}")
    for case in found["this checkout"]:
        row = "   ".join(spread(found[name][case]) for name in codes)
        print(f"  {case:<32} {row}")


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
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)     # a child: make N calls and stop
    ap.add_argument("--ranges", help=argparse.SUPPRESS)                 # a child: the pickled ranges
    ap.add_argument("--code", help=argparse.SUPPRESS)
    ap.add_argument("--one-round", action="store_true", help=argparse.SUPPRESS)   # a child: one round, as JSON
    args = ap.parse_args()
    if args.count is not None:
        return calls_only(args)
    if args.instructions:
        return count_instructions(args)
    if args.one_round:
        args.rounds = 1
        medians, tails, _ = measure(args)
        print(json.dumps({**{k: v[0] for k, v in medians.items()}, "HTTP, 4 callers at once: p95": tails[0]}))
        return
    if args.baseline:
        return interleaved(args)
    medians, tails, size = measure(args)
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan; body {size / 1e6:.1f} MB; "
          f"{args.rounds} rounds of {args.calls} calls a case; ms, min / median / max of the rounds' medians:")
    for name, xs in [*medians.items(), ("HTTP, 4 callers at once: p95", tails)]:
        print(f"  {name:<32} {spread(xs, 7)}")
    print("Goals: Python at most 5 ms; HTTP idle at most 15 ms; p95 under 50 ms with 4 callers at once.")


if __name__ == "__main__":
    main()
