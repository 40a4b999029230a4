"""Checking a CPD record kept in Google Sheets, beside checking the same record as an .xlsx file.

Run:  .venv/bin/python bench/bench_sheets.py [--activities 2000] [--repeat 9]

A 2,000-activity record is built as a template workbook and loaded into the loopback fake of
the Sheets API (tests/fake_sheets.py), as Google Sheets holds an imported .xlsx. Then, median of
--repeat runs each, in this one process:

- the .xlsx path: ``read_workbook`` (the hardened reader) + scoring, as ``cpd check`` runs it;
- the Sheets path: ``SheetsClient.read`` (real gspread and google-auth over HTTP to the fake) +
  the same reader on the values + scoring, as ``cpd sheets check`` runs it; printed in all and
  with the time spent waiting on HTTP (the fake's time, measured around each request) taken out.

Goals: at most 3 API calls per check whatever the size; the Sheets path, HTTP excluded, within
1.5x of the .xlsx path.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from records import real_workbook
    from fake_sheets import FakeSheets
    from addin.grid import read_record
    from addin.readiness import assess
    from addin.workbook.reader import read_workbook
    from google_sheets.client import CappedRetryHTTPClient, SheetsClient, SheetsSettings

    tmp = Path(tempfile.mkdtemp())
    path = tmp / "record.xlsx"
    path.write_bytes(real_workbook(args.activities, seed=args.activities))
    fake = FakeSheets().start()
    email = fake.service_account(tmp / "key.json")
    book = fake.load_xlsx(path.read_bytes(), share={email: "reader"})

    http_time = [0.0]
    original = CappedRetryHTTPClient.request

    def timed_request(self, *a, **kw):
        t = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            http_time[0] += time.perf_counter() - t
    CappedRetryHTTPClient.request = timed_request

    def xlsx_check():
        read = read_workbook(path)
        return assess(read.require(), read.profile)

    client = SheetsClient(SheetsSettings(credentials_file=str(tmp / "key.json"), api_url=fake.url))

    def sheets_check():
        fetched = client.read(book.key)
        read = read_record(fetched.source)
        return assess(read.require(), read.profile), fetched.calls

    a = xlsx_check()
    b, _ = sheets_check()                          # also fetches the access token, once
    assert a.to_dict() == b.to_dict(), "the two paths disagree"

    xlsx_times, sheets_times, sheets_net, calls = [], [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        xlsx_check()
        xlsx_times.append(time.perf_counter() - t)
        http_time[0] = 0.0
        before = fake.api_calls()
        t = time.perf_counter()
        _, n = sheets_check()
        total = time.perf_counter() - t
        sheets_times.append(total)
        sheets_net.append(total - http_time[0])
        calls.append((n, fake.api_calls() - before))
    fake.stop()

    med = statistics.median
    x, s, net = med(xlsx_times) * 1000, med(sheets_times) * 1000, med(sheets_net) * 1000
    print(f"{args.activities:,} activities, median of {args.repeat}:")
    print(f"  cpd check (.xlsx): read + validate + score          {x:8.1f} ms")
    print(f"  cpd sheets check: 3 API calls + read + score        {s:8.1f} ms (HTTP to the fake included)")
    print(f"  cpd sheets check without the HTTP wait              {net:8.1f} ms")
    print(f"  API calls per check: {max(c for c, _ in calls)} sent by the client, {max(f for _, f in calls)} "
          f"seen by the fake (goal: at most 3)")
    print(f"  Sheets path (HTTP excluded) / .xlsx path: {net / x:.2f}x (goal: at most 1.5x)")


if __name__ == "__main__":
    os.environ.setdefault("CPD_GOOGLE_SHEETS_RETRY_SECONDS", "2")
    main()
