"""The durable outbox's own work a delivery: a worker leasing a batch of due jobs and recording what each
try did, in the worker's process, without the HTTP send (``bench_service.py`` measures the whole run).

Run:  .venv/bin/python bench/bench_outbox.py [--jobs 4000] [--rounds 3] [--databases sqlite postgresql]
                                             [--baseline DIR]
      (DIR: git worktree add DIR <commit>; its code is measured in the same rounds)

Each measurement is a fresh process (this checkout's code, or DIR's first on the path) on a fresh
database made by the service's own migrations (a SQLite file, or a fresh schema in --postgres): --jobs
deliveries queued as an upload queues them, then leased eight at a time (``store.outbox.claim``, as the
delivery worker's batch) and each recorded as delivered with its receipt (``store.outbox.record``) until
none is due. Printed: the process's CPU a job, min / median / max over the rounds, the checkout and the
baseline interleaved.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from bench_service import child_process_arguments, checkouts, fresh_database, interleaved, spread

BATCH = 8


def child(args) -> None:
    """Queue --jobs deliveries, then lease and record them all; print the CPU ms a job."""
    sys.path.insert(0, args.code)
    import time
    from datetime import timedelta

    from sqlalchemy.orm import sessionmaker

    from sync_service.store import outbox
    from sync_service.store.database import make_engine, upgrade, writing
    from sync_service.store.outbox import Outcome, Schedule
    assert outbox.__file__.startswith(args.code), outbox.__file__
    engine = make_engine(args.url)
    upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as s:
        conn = writing(s).connection()
        for _ in range(args.jobs):
            outbox.enqueue(conn, "delivery")
        s.commit()
    schedule, lease, done = Schedule(waits=(60.0, 300.0)), timedelta(seconds=60), 0
    cpu = time.process_time()
    with sessions() as s:
        while claimed := outbox.claim(s, ("delivery",), lease, limit=BATCH):
            statuses = outbox.record(s, [(c, Outcome("done", receipt_id=f"rcpt_{c.id}")) for c in claimed], schedule)
            if statuses != ["delivered"] * len(claimed):
                raise SystemExit(f"a try was not recorded as delivered: {statuses}")
            done += len(claimed)
    cpu = time.process_time() - cpu
    engine.dispose()
    if done != args.jobs:
        raise SystemExit(f"{done} of {args.jobs} jobs leased")
    print(f"{cpu / args.jobs * 1000:.4f}")


def measure(code: str, database: str, jobs: int, postgres: str) -> float:
    with tempfile.TemporaryDirectory() as tmp, fresh_database(database, postgres, tmp) as url:
        run = subprocess.run([sys.executable, __file__, "--child", "--jobs", str(jobs), "--code", code, "--url", url],
                             capture_output=True, text=True, cwd=tmp, env={**os.environ, "PYTHONHASHSEED": "0"})
    if run.returncode:
        raise SystemExit(f"the measuring process failed:\n{run.stderr[-2000:]}")
    return float(run.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=4000, help="deliveries queued and done a process")
    child_process_arguments(ap)
    args = ap.parse_args()
    if args.child:
        return child(args)
    codes = checkouts(args.baseline)
    results = interleaved(args.rounds, args.databases, codes,
                          lambda code, database: measure(code, database, args.jobs, args.postgres), "ms a job")
    print(f"\nA delivery's lease and record in the worker's process, without the send: CPU ms a job, "
          f"{args.rounds} rounds of {args.jobs} (min / median / max)")
    for (database, name), values in results.items():
        print(f"  {database:<10} {name:<14} {spread(values, places=3)}")


if __name__ == "__main__":
    main()
