"""CPD.READINESS on a real 2,000-activity record: in Python (as xlwings calls it) and over HTTP (as the
Office.js add-in calls it) against ``cpd serve`` as it runs in production, idle and with 4 callers at once.

Run:  .venv/bin/python bench/bench_functions.py [--activities 2000] [--rounds 3] [--calls 40] [--port P]

The ranges are those of the documented formula, =CPD.READINESS(Record!A3:F7, Record!A9:Q5009, Plan!A4:G54),
read from a real workbook (bench/records.py: reflections of 20-200 words, providers, competences, a plan of
four objectives): 5,001 rows of activities of which 3,000 are blank, as the spreadsheet passes them (xlwings:
dates as dates, blanks as None; Office.js: dates as serial numbers, blanks as ""). Each round runs every
case in turn (the cases interleaved), --calls calls each; printed: min / median / max over the rounds of each
round's median (and p95 for the concurrent case). Baselines in the same rounds: the same function on the
rows that hold activities only (A9:Q2009: what the trailing blank rows cost), and over HTTP the same body
posted to an unknown function (refused before any work: the transport's own cost).

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
    threads = [threading.Thread(target=client) for _ in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--activities", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=40, help="calls per case per round")
    ap.add_argument("--port", type=int, help="the service's port (default: a free one)")
    args = ap.parse_args()
    from addin.xlwings_udfs import CPD_READINESS

    record, acts, plan = documented_ranges(args.activities)
    used = acts[:args.activities + 1]
    expected = CPD_READINESS(record, acts, plan)
    assert expected == CPD_READINESS(record, used, plan) and expected[0][0] in ("READY", "NOT READY"), expected
    s_record, s_acts, s_plan = documented_ranges(args.activities, serials=True)
    body = json.dumps({"args": [s_record, s_acts, s_plan]}).encode()

    import gc
    gc.collect()
    gc.freeze()                      # the bench's own setup out of the collector's way, as cpd serve does
    port = args.port or free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/cpd.sqlite3", "CPD_INSTANCE_PATH": f"{tmp}/instance",
               "CPD_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, server)
            status, answer, conn = post(port, "/api/v1/functions/READINESS", body)
            assert status == 200 and json.loads(answer)["result"] == expected, (status, answer[:200])
            cases = {
                "Python, A9:Q5009 (documented)": lambda: timed(lambda: CPD_READINESS(record, acts, plan), args.calls),
                "Python, A9:Q2009 (rows used)": lambda: timed(lambda: CPD_READINESS(record, used, plan), args.calls),
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
    print(f"CPD.READINESS over {args.activities:,} real activities with the plan; body {len(body) / 1e6:.1f} MB; "
          f"{args.rounds} rounds of {args.calls} calls a case; ms, min / median / max of the rounds' medians:")
    for name, xs in medians.items():
        xs = sorted(xs)
        print(f"  {name:<32} {xs[0]:7.2f} / {statistics.median(xs):7.2f} / {xs[-1]:7.2f}")
    tails.sort()
    print(f"  {'HTTP, 4 callers at once: p95':<32} {tails[0]:7.2f} / {statistics.median(tails):7.2f} / "
          f"{tails[-1]:7.2f}")
    print("Goals: Python at most 5 ms; HTTP idle at most 15 ms; p95 under 50 ms with 4 callers at once.")


if __name__ == "__main__":
    main()
