"""The reference receiver under the deliveries of a busy service: its CPU a delivery and deliveries a second,
this checkout's ``cpd receiver`` and a baseline's in the same rounds.

Run:  .venv/bin/python bench/bench_receiver.py [--n 3000] [--connections 8] [--rounds 3] [--baseline DIR]
      (DIR: git worktree add DIR <commit>; its receiver is measured in the same rounds)

Real delivery documents: --documents distinct real 40-activity workbooks (bench/records.py) uploaded
through the service's API in this process (SQLite), their stored documents read back as a worker sends
them (47 KB of JSON each). Each round starts ``cpd receiver`` as it is run (gunicorn, its default
workers and threads, a fresh SQLite store) for each checkout in turn, then --n deliveries, the documents
in turn each under a key of its own, are sent by the delivery worker's own sender (``jobs.delivery``:
signed, over kept-alive connections) from --connections threads at once, as two ``cpd worker``s with
four connections each send. Printed: the receiver's CPU (its processes only) a delivery and deliveries a
second, min / median / max over the rounds.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_service import (checkouts, free_port, in_turn, spread, submitted, tree_cpu,  # noqa: E402
                           wait_for_port)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def documents(n: int, folder: str) -> list[tuple[str, bytes]]:
    """(submission id, stored document) of n real submissions, made by the service in this process."""
    from sqlalchemy import select

    from sync_service import db
    from sync_service.store.models import Submission
    app = submitted(folder, n)
    with app.app_context():
        found = [(sub_id, body) for sub_id, body in db.session().execute(select(Submission.id, Submission.body))]
    app.extensions["cpd_engine"].dispose()
    return found


def round_(code: str, docs: list[tuple[str, bytes]], n: int, connections: int, folder: str, tag: str
           ) -> tuple[float, float]:
    """One receiver of ``code`` on a fresh store, n deliveries: (its CPU ms a delivery, deliveries a second)."""
    from sync_service.jobs.delivery import Endpoint, Sender, attempt
    port = free_port()
    env = {**os.environ, "PYTHONPATH": code, "CPD_LOG_LEVEL": "WARNING"}
    with open(f"{folder}/{tag}.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "receiver", "--port", str(port), "--secret",
                                 SECRET, "--database", f"{folder}/{tag}.sqlite3"],
                                env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_port(port, proc)
        time.sleep(1.0)                                   # its gunicorn worker is up
        endpoint = Endpoint(f"http://127.0.0.1:{port}/cpd/submissions", (SECRET,))
        todo, lock, failed = list(range(n)), threading.Lock(), []

        def send() -> None:
            sender = Sender(endpoint)
            try:
                while True:
                    with lock:
                        if not todo:
                            return
                        i = todo.pop()
                    sub_id, body = docs[i % len(docs)]
                    outcome = attempt(endpoint, f"{sub_id}_{tag}_{i}", body, sender)
                    if outcome.kind != "done":
                        failed.append(outcome)
            finally:
                sender.close()

        threads = [threading.Thread(target=send) for _ in range(connections)]
        cpu, start = tree_cpu(proc.pid), time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, cpu = time.perf_counter() - start, tree_cpu(proc.pid) - cpu
        if failed:
            raise SystemExit(f"{len(failed)} deliveries not received: {failed[0]}")
        return cpu / n * 1000, n / wall
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000, help="deliveries a round, each checkout")
    ap.add_argument("--documents", type=int, default=300, help="distinct real documents, sent in turn")
    ap.add_argument("--connections", type=int, default=8, help="deliveries sent at once")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", help="a checkout of another commit, measured in the same rounds")
    args = ap.parse_args()
    codes = checkouts(args.baseline)
    with tempfile.TemporaryDirectory() as tmp:
        docs = documents(args.documents, tmp)
        from addin import json_bytes
        sent = sum(len(json_bytes(b)) for _, b in docs) / len(docs) / 1024
        print(f"{len(docs)} real delivery documents ({sent:.0f} KB of JSON each, as sent); {args.n} deliveries a "
              f"round from {args.connections} connections at once", flush=True)
        found: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
        for r in range(args.rounds):
            for name, code in in_turn(codes.items(), r):
                found[name].append(x := round_(code, docs, args.n, args.connections, tmp, f"r{r}{name[0]}"))
                print(f"round {r + 1}, {name}: {x[0]:.3f} ms of the receiver's CPU a delivery, {x[1]:.1f} a second",
                      flush=True)
    print(f"The reference receiver, {args.rounds} rounds of {args.n} (min / median / max):")
    for name, xs in found.items():
        print(f"  {name:14} CPU a delivery {spread([x[0] for x in xs], 6, 3)} ms   "
              f"delivered a second {spread([x[1] for x in xs], 7, 1)}")


if __name__ == "__main__":
    main()
