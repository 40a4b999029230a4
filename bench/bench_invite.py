"""An admin inviting a CSV of members from the members page: the whole request in the service's own
process, on each database (the identity issue's point: a CSV of 1,000 in under 10 s).

Run:  .venv/bin/python bench/bench_invite.py [--n 1000] [--rounds 3] [--databases sqlite postgresql]
                                             [--baseline DIR]
      (DIR: git worktree add DIR <commit>; its code is measured in the same rounds)

Each measurement is a fresh process (this checkout's code, or DIR's first on the path): the app made by
``create_app`` with mail set up (the invitations are queued; the worker that sends them is not run) on a
fresh database (a SQLite file, or a fresh schema in --postgres) holding 1,000 members already, an admin
signed in through the login page, a CSV of 20 invited to warm, then a CSV of N rows (N - 10 new
addresses with a name, membership number and grade; 5 already members; 5 listed twice) posted to ``POST
/admin/members/invite`` through the Flask test client, as a browser's form sends it. Printed: the
request's wall time (with the database server's part) and the process's CPU, min / median / max over the
rounds, the checkout and the baseline interleaved.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from bench_service import child_process_arguments, checkouts, fresh_database, interleaved, spread

ALREADY = 1000


def child(args) -> None:
    """Make the app and its members, sign the admin in, warm, then invite the CSV; print wall and CPU."""
    sys.path.insert(0, args.code)
    from sqlalchemy import insert

    from sync_service import create_app, db
    from sync_service.store.accounts import create_member, issue_token
    from sync_service.store.models import Member
    from mentor_world import csrf                   # tests/ (on the path by bench_service): the pages' CSRF token
    assert create_app.__code__.co_filename.startswith(args.code), create_app.__code__.co_filename
    app = create_app({"DATABASE_URL": args.url, "LOG_LEVEL": "WARNING", "SMTP_URL": "smtp://127.0.0.1:9",
                      "PUBLIC_URL": "https://cpd.example.org"})
    with app.app_context():
        s = db.session()
        admin = create_member(s, "admin@example.org")
        admin.is_admin = True
        token = issue_token(s, admin)
        s.execute(insert(Member), [{"email": f"old{i}@example.org", "public_id": f"m_old{i:014d}"}
                                   for i in range(ALREADY)])
        s.commit()
    client = app.test_client()
    res = client.post("/login", data={"token": token, "csrf": csrf(client.get("/login").data)})
    assert res.status_code == 302, res.data
    form = csrf(client.get("/admin/members").data)

    def invite(rows: list[str]) -> str:
        res = client.post("/admin/members/invite", content_type="multipart/form-data",
                          data={"csrf": form, "csv": (io.BytesIO("\n".join(rows).encode()), "members.csv")})
        assert res.status_code == 200, res.status_code
        return re.sub(r"\s+", " ", re.search(r'<p id="report-counts">(.*?)</p>', res.get_data(as_text=True), re.S)[1])

    assert invite([f"warm{i}@example.org,Warm {i}" for i in range(20)]) == "20 invited, 0 already there, 0 refused."
    new = args.count - 10
    rows = ["email,name,membership number,grade"] + [f"new{i}@example.net,New Member {i},{100000 + i},MIET"
                                                     for i in range(new)]
    rows += [f"old{i}@example.org,Old {i}" for i in range(5)] + [f"new{i}@example.net,Twice" for i in range(5)]
    wall, cpu = time.perf_counter(), time.process_time()
    counts = invite(rows)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert counts == f"{new} invited, 10 already there, 0 refused.", counts
    app.extensions["cpd_engine"].dispose()
    print(json.dumps({"wall": wall, "cpu": cpu}))


def measure(code: str, database: str, n: int, postgres: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp, fresh_database(database, postgres, tmp) as url:
        run = subprocess.run([sys.executable, __file__, "--child", "--count", str(n), "--code", code, "--url", url],
                             capture_output=True, text=True, cwd=tmp,
                             env={**os.environ, "PYTHONHASHSEED": "0", "CPD_INSTANCE_PATH": f"{tmp}/instance"})
    if run.returncode:
        raise SystemExit(f"the measuring process failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="rows in the CSV (at least 20)")
    child_process_arguments(ap)
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    if args.n < 20:
        ap.error("--n must be at least 20")
    codes = checkouts(args.baseline)
    cpu: dict[tuple[str, str], list[float]] = {}

    def wall(code: str, database: str) -> float:
        found = measure(code, database, args.n, args.postgres)
        cpu.setdefault((database, code), []).append(found["cpu"])
        return found["wall"]

    walls = interleaved(args.rounds, args.databases, codes, wall, "s")
    print(f"\nAn admin inviting a CSV of {args.n} rows from the members page, in-process, {args.rounds} rounds "
          "(min / median / max): the request's seconds, and the process's CPU seconds")
    for (database, name), xs in walls.items():
        print(f"  {database:<10} {name:<14} wall {spread(xs)}   CPU {spread(cpu[(database, codes[name])])}")


if __name__ == "__main__":
    main()
