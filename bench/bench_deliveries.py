"""Deliveries to an institution whose answers take a while: delivered a second by one worker, by how many
connections it sends over at once (``cpd worker --connections``).

Run:  .venv/bin/python bench/bench_deliveries.py [--n 240] [--latency 50] [--connections 1 4] [--rounds 3]

The institution is played by a small HTTP server in this process that answers each delivery with a receipt
after --latency milliseconds (a network round trip and the institution's own work; kept-alive connections,
a thread each). The service is made in this process on a SQLite file, --n distinct real 40-activity workbooks
are uploaded through its API (each queues a delivery), then one worker's delivery kind (``Deliveries``,
batches of 8, as ``cpd worker`` runs it) works until every delivery is recorded as delivered. Each round runs
each connection count on the same submissions, queued again, in turn. Printed: delivered a second, min /
median / max over the rounds; with a 50 ms answer one connection can deliver at most 20 a second.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_service import spread, submitted  # noqa: E402  (bench/ is this script's folder: on the path)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def slow_institution(latency: float) -> ThreadingHTTPServer:
    """An endpoint answering each POST with a receipt after ``latency`` seconds, keeping connections alive."""
    counter = iter(range(10**9))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True      # the head and the body are written apart: sent at once, as a server does

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(latency)
            out = json.dumps({"receipt_id": f"rcpt_{next(counter)}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=240, help="submissions delivered a round, each connection count")
    ap.add_argument("--latency", type=float, default=50.0, help="ms the institution takes to answer")
    ap.add_argument("--connections", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from sqlalchemy import update

    from sync_service.jobs.delivery import Deliveries, Endpoint
    from sync_service.store.models import Job, JobStatus

    server = slow_institution(args.latency / 1000)
    endpoint = Endpoint(f"http://127.0.0.1:{server.server_address[1]}/cpd/submissions", (SECRET,))
    with tempfile.TemporaryDirectory() as tmp:
        app = submitted(tmp, args.n)
        sessions = app.extensions["cpd_sessions"]
        found: dict[int, list[float]] = {c: [] for c in args.connections}
        print(f"{args.n} real submissions delivered by one worker to an institution answering after "
              f"{args.latency:g} ms; {args.rounds} rounds")
        for _ in range(args.rounds):
            for connections in args.connections:
                with sessions() as s:               # every delivery due again, from its first try
                    s.execute(update(Job).where(Job.kind == "delivery").values(
                        status=JobStatus.QUEUED, attempts=0, lease_until=None, done_at=None))
                    s.commit()
                kind = Deliveries(endpoint, batch=8, connections=connections)
                try:
                    done, t = 0, time.perf_counter()
                    while n := kind.work(sessions):
                        done += n
                    found[connections].append(done / (time.perf_counter() - t))
                finally:
                    kind.close()
                if done != args.n:
                    raise SystemExit(f"{done} of {args.n} delivered with {connections} connections")
        server.shutdown()
    print("delivered a second (min / median / max):")
    for connections, xs in found.items():
        print(f"  {connections:2} connection{'s' if connections > 1 else ' '}  {spread(xs, 7, 1)}")


if __name__ == "__main__":
    main()
