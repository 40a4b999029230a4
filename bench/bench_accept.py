"""Accepting one real submission in the service's own process: what the web worker spends on it, without
the server, the network or the other processes (``bench_service.py`` measures those end to end).

Run:  .venv/bin/python bench/bench_accept.py [--n 300] [--rounds 3] [--databases sqlite postgresql]
      .venv/bin/python bench/bench_accept.py --instructions [--n 60] [--baseline DIR] [--databases sqlite postgresql]
          (DIR: git worktree add DIR <commit>; its code is measured in the same rounds)

Each measurement is a fresh process (this checkout's code, or DIR's first on the path): the app made by
``create_app`` on a fresh database (a SQLite file, or a fresh schema in --postgres), N members with a
token each, N + 20 distinct real 40-activity workbooks (bench/records.py, each with its own member
name), 20 submissions to warm, then N submissions through the Flask test client (``POST
/api/v1/submissions``, as the API receives them). Printed: the process's CPU a submission, min / median
/ max over the rounds, the checkout and the baseline interleaved. ``--instructions`` counts instead, under
valgrind's callgrind, a process making N submissions less one making none, over N: the same count
whatever else the machine is doing (PYTHONHASHSEED=0; SQLite unless --databases is given: on PostgreSQL
only the web process's own instructions are counted, not the server's, nor the kernel's for each round trip).
"""
from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from bench_service import child_process_arguments, checkouts, interleaved, spread  # noqa: E402  (bench/ is this script's folder: on the path)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WARM = 20


def child(args) -> None:
    """Make the app, the members and the workbooks, warm, then make --count submissions; print the CPU."""
    sys.path.insert(0, args.code)
    from sync_service import create_app, db
    from sync_service.store.accounts import create_member, issue_token
    assert create_app.__code__.co_filename.startswith(args.code), create_app.__code__.co_filename
    books = pickle.loads(Path(args.books).read_bytes())[:args.count + WARM]
    app = create_app({"DATABASE_URL": args.url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        s = db.session()
        tokens = [issue_token(s, create_member(s, f"bench{i}@example.org")) for i in range(args.count + WARM)]
        s.commit()
    client = app.test_client()

    def submit(i: int) -> None:
        res = client.post("/api/v1/submissions", data=books[i],
                          headers={"Authorization": f"Bearer {tokens[i]}", "Content-Type": XLSX})
        assert res.status_code == 201, res.get_json()

    for i in range(WARM):
        submit(i)
    cpu = time.process_time()
    for i in range(WARM, WARM + args.count):
        submit(i)
    cpu = time.process_time() - cpu
    app.extensions["cpd_engine"].dispose()
    print(f"{cpu / max(args.count, 1) * 1000:.4f}")


def make_books(n: int, folder: Path) -> Path:
    """n + 20 distinct real 40-activity workbooks, made once for every process (pickled into ``folder``)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_service import workbooks
    from records import real_workbook
    path = folder / "books.pickle"
    path.write_bytes(pickle.dumps(workbooks(real_workbook(40, seed=40), n + WARM)))
    return path


def measure(code: str, database: str, n: int, postgres: str, books: Path, count: bool = False) -> float:
    """One child process on a fresh database: its CPU ms a submission, or (``count``) the instructions the
    whole process executed (``bench_commands.instructions``: valgrind's callgrind)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_commands import instructions
    from bench_service import fresh_database
    with tempfile.TemporaryDirectory() as tmp, fresh_database(database, postgres, tmp) as url:
        command = [sys.executable, __file__, "--child", "--count", str(n), "--code", code, "--url", url,
                   "--books", str(books)]
        env = {**os.environ, "PYTHONHASHSEED": "0", "CPD_INSTANCE_PATH": f"{tmp}/instance"}
        if count:
            return instructions(command, env)
        run = subprocess.run(command, capture_output=True, text=True, cwd=tmp, env=env)
    if run.returncode:
        raise SystemExit(f"the measuring process failed:\n{run.stderr[-2000:]}")
    return float(run.stdout)


def per_submission(code: str, database: str, n: int, postgres: str, books: Path) -> float:
    """Millions of instructions a submission: N submissions less none, under callgrind, over N (the web
    process's own: on PostgreSQL the server's work and the kernel's for the round trips are not counted)."""
    return (measure(code, database, n, postgres, books, True)
            - measure(code, database, 0, postgres, books, True)) / n / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, help="submissions measured a process (default 300; 60 with --instructions)")
    child_process_arguments(ap)
    ap.add_argument("--instructions", action="store_true", help="count instructions (callgrind) instead of CPU time")
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--books", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    codes = checkouts(args.baseline)
    n = args.n or (60 if args.instructions else 300)
    with tempfile.TemporaryDirectory() as tmp:
        books = make_books(n, Path(tmp))
        if args.instructions:
            print(f"One real 40-activity submission accepted in-process: millions of the web process's instructions, "
                  f"over {n}")
            for database in args.databases if "--databases" in sys.argv else ["sqlite"]:
                for name, code in codes.items():
                    print(f"  {database:10} {name:14} {per_submission(code, database, n, args.postgres, books):8.2f}")
            return
        found = interleaved(args.rounds, args.databases, codes,
                            lambda code, database: measure(code, database, n, args.postgres, books), "ms a submission")
    print(f"One real 40-activity submission accepted in-process: CPU ms of the web process, {args.rounds} rounds of "
          f"{n} (min / median / max)")
    for (database, name), xs in found.items():
        print(f"  {database:10} {name:14} {spread(xs)}")


if __name__ == "__main__":
    main()
