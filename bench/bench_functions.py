"""The readiness function over 2,000 activities: in Python (as xlwings calls it) and through the
HTTP endpoint (as the Office.js add-in calls it), on loopback.

Run:  .venv/bin/python bench/bench_functions.py [--activities 2000] [--repeat 15]

Prints the median and best time of each. Goal: under 20 ms in Python and under 50 ms through the endpoint.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

EXCEL_EPOCH = datetime(1899, 12, 30)


def ranges(n: int):
    from addin.profile import load_profile
    from addin.form.layout import columns_for
    from gen import random_rows
    from datetime import date
    profile = load_profile("iet")
    header = {"period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31)}
    cols = columns_for(profile)
    rows = random_rows(random.Random(n), profile, header, n)
    table = [[c.header if c.field != "hours" else "CPD hours" for c in cols]]
    for r in rows:
        r["competences"] = "E4, B2"
        table.append([_serial(r.get(c.field)) for c in cols])
    record = [["Name:", "Bench", "", "", "Covering the period from:", 45658],
              ["Status:", "Active", "", "", "To:", 46022]]
    return record, table


def _serial(v):
    if hasattr(v, "year"):
        return (datetime(v.year, v.month, v.day) - EXCEL_EPOCH).days
    return "" if v is None else v


def timings_ms(fn, repeat: int) -> tuple[float, float]:
    """Median and best of `repeat` runs (the best is the steadier figure on a shared machine)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--activities", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=40)
    args = ap.parse_args()
    from addin.xlwings_udfs import CPD_READINESS
    from sync_service import create_app
    from werkzeug.serving import make_server

    record, table = ranges(args.activities)
    result = CPD_READINESS(record, table)
    assert isinstance(result, list) and result[0][0] in ("READY", "NOT READY"), result
    python_ms, python_best = timings_ms(lambda: CPD_READINESS(record, table), args.repeat)

    from werkzeug.serving import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_request(self, *a, **k):
            pass
    server = make_server("127.0.0.1", 0, create_app({}), threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/functions/READINESS"
    body = json.dumps({"args": [record, table]}).encode()

    def call():
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req) as resp:
            assert json.loads(resp.read())["result"] == result
    http_ms, http_best = timings_ms(call, args.repeat)
    server.shutdown()
    print(f"CPD.READINESS over {args.activities:,} activities, {args.repeat} runs (median / best):")
    print(f"  in Python (xlwings path)    {python_ms:6.1f} / {python_best:5.1f} ms   goal < 20 ms: "
          f"{'met' if python_ms < 20 else 'NOT met'} by the median")
    print(f"  through the HTTP endpoint   {http_ms:6.1f} / {http_best:5.1f} ms   goal < 50 ms: "
          f"{'met' if http_ms < 50 else 'NOT met'} by the median   (request body {len(body) / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
