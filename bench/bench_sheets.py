"""Checking a CPD record kept in Google Sheets, beside checking the same record as an .xlsx file.

Run:  .venv/bin/python bench/bench_sheets.py [--activities 2000] [--repeat 9] [--instructions]

A 2,000-activity record is built as a template workbook and loaded into the loopback fake of
the Sheets API (tests/fake_sheets.py), as Google Sheets holds an imported .xlsx. Then, median of
--repeat runs each, in this one process:

- the .xlsx path: ``read_workbook`` (the hardened reader) + scoring, as ``cpd check`` runs it;
- the Sheets path: ``SheetsClient.read`` (over HTTP to the fake, as a member's check reads) +
  the same reader on the values + scoring, as ``cpd sheets check`` runs it; printed in all and
  with the time spent waiting on HTTP (the fake's time, measured around each request) taken out.

Then the commands as a member runs them, each a fresh process (.pyc files written first), interleaved
--repeat times: ``cpd check`` of the workbook and ``cpd sheets check`` of the same record in the fake,
with the access token kept between commands as it is for a member (``CPD_GOOGLE_TOKEN_FILE``): min /
median / max and their ratio, and the API and token requests the fake saw per command.

The fake's own time making each answer (building and serialising the grid, as Google's servers would) is
measured inside it and printed beside the processes' figures, with the check's time without it: what the
command itself costs, whatever the API's speed.

Goals: at most 2 API calls per check whatever the size (the sheets and their sizes, then their cells with
values and formulas in one answer), no token request while the kept one lasts; the Sheets path, HTTP
excluded, within 1.5x of the .xlsx path; ``cpd sheets check`` at most 1.5x ``cpd check`` as a process.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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
    parser.add_argument("--instructions", action="store_true",
                        help="also count each command's instructions once (valgrind's callgrind; the fake runs in "
                             "this process, so its work is not counted)")
    args = parser.parse_args()

    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from records import real_workbook
    from fake_sheets import FakeSheets
    from addin.grid import read_record
    from addin.readiness import assess
    from addin.workbook.reader import read_workbook
    from google_sheets.client import SheetsClient, SheetsSettings
    from google_sheets.connection import Connection

    folder = tempfile.TemporaryDirectory()        # the record, the service account's key, the token cache
    tmp = Path(folder.name)
    path = tmp / "record.xlsx"
    path.write_bytes(real_workbook(args.activities, seed=args.activities))
    fake = FakeSheets().start()
    email = fake.service_account(tmp / "key.json")
    book = fake.load_xlsx(path.read_bytes(), share={email: "reader"})

    http_time = [0.0]
    original = Connection.answer

    def timed_request(self, *a, **kw):
        t = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            http_time[0] += time.perf_counter() - t
    Connection.answer = timed_request  # type: ignore[method-assign]

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
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(GOOGLE_APPLICATION_CREDENTIALS=str(tmp / "key.json"), CPD_GOOGLE_SHEETS_URL=fake.url,
               CPD_GOOGLE_TOKEN_FILE=str(tmp / "google-token.json"))
    commands = {"cpd check": [sys.executable, "-m", "addin.cli", "check", str(path)],
                "cpd sheets check": [sys.executable, "-m", "addin.cli", "sheets", "check", book.key]}
    for cmd in commands.values():                     # .pyc files, and the token kept, as a member's would be
        subprocess.run(cmd, env=env, capture_output=True, check=True, cwd=tmp)
    procs: dict[str, list[float]] = {name: [] for name in commands}
    answering: list[float] = []                       # the fake's time making each sheets check's answers
    api0, token0 = fake.api_calls(), fake.token_requests
    for _ in range(args.repeat):
        for name, cmd in commands.items():
            before = fake.answering
            t = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=True, cwd=tmp)
            procs[name].append((time.perf_counter() - t) * 1000)
            if name == "cpd sheets check":
                answering.append((fake.answering - before) * 1000)
    api_per, token_per = (fake.api_calls() - api0) / args.repeat, (fake.token_requests - token0) / args.repeat
    counted = {}
    if args.instructions:
        from bench_commands import instructions
        counted = {name: instructions(cmd, env) / 1e6 for name, cmd in commands.items()}
    fake.stop()
    folder.cleanup()

    med = statistics.median
    x, s, net = med(xlsx_times) * 1000, med(sheets_times) * 1000, med(sheets_net) * 1000
    print(f"{args.activities:,} activities, median of {args.repeat}:")
    print(f"  cpd check (.xlsx): read + validate + score          {x:8.1f} ms")
    print(f"  cpd sheets check: 2 API calls + read + score        {s:8.1f} ms (HTTP to the fake included)")
    print(f"  cpd sheets check without the HTTP wait              {net:8.1f} ms")
    print(f"  API calls per check: {max(c for c, _ in calls)} sent by the client, {max(f for _, f in calls)} "
          f"seen by the fake (goal: at most 2)")
    print(f"  Sheets path (HTTP excluded) / .xlsx path: {net / x:.2f}x (goal: at most 1.5x)")
    print(f"As processes, {args.repeat} each, interleaved, ms (min / median / max):")
    for name, xs in procs.items():
        print(f"  {name:<18} {min(xs):7.0f} / {med(xs):7.0f} / {max(xs):7.0f}")
    print(f"  cpd sheets check / cpd check: {med(procs['cpd sheets check']) / med(procs['cpd check']):.2f}x "
          f"(goal: at most 1.5x); per command {api_per:g} API calls and {token_per:g} token requests")
    own = [p - a for p, a in zip(procs["cpd sheets check"], answering)]
    print(f"  the fake making its answers (Google's share, not the command's): {min(answering):.0f} / "
          f"{med(answering):.0f} / {max(answering):.0f} ms a check; the check without it "
          f"{min(own):.0f} / {med(own):.0f} / {max(own):.0f} ms, {med(own) / med(procs['cpd check']):.2f}x cpd check")
    if counted:
        print(f"  instructions (callgrind): cpd check {counted['cpd check']:.1f}M, cpd sheets check "
              f"{counted['cpd sheets check']:.1f}M, {counted['cpd sheets check'] / counted['cpd check']:.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("CPD_GOOGLE_SHEETS_RETRY_SECONDS", "2")
    main()
