"""What `cpd serve`'s own stack costs a request: gunicorn, uvicorn's event loop, the whole-request read and the
call into the app's thread pool, without the app's work. The request is a real 40-activity workbook posted to
``/api/v1/submissions`` without a token, so the app answers 401 before it reads the workbook or opens the
database; everything the server does around the app is done as for a real upload.

Run:  .venv/bin/python bench/bench_stack.py [--n 4000] [--clients 8] [--rounds 3] [--baseline DIR]
          (DIR: git worktree add DIR <commit>; its code runs in the same rounds)

Each measurement starts ``cpd serve`` (its defaults, an SQLite file it never writes to here) on a free
127.0.0.1 port, sends 200 requests to warm it, then N from --clients concurrent keep-alive connections.
Printed: the CPU seconds of the server's processes (the arbiter and its workers) a request, in ms, and the
requests a second, min / median / max over the rounds, the checkout and the baseline interleaved.
"""
from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from bench_service import XLSX, checkouts, in_threads, interleaved, spread, tree_cpu  # noqa: E402  (bench/ is on the path)
from records import real_workbook  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from ports import free_port, wait_for_port  # noqa: E402

WARM = 200


def post_all(port: int, body: bytes, n: int, clients: int) -> dict[int, int]:
    """n POSTs of ``body`` from ``clients`` keep-alive connections; the statuses counted."""
    left, statuses, lock = [n], {}, threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not left[0]:
                    break
                left[0] -= 1
            conn.request("POST", "/api/v1/submissions", body=body, headers={"Content-Type": XLSX})
            answer = conn.getresponse()
            answer.read()
            with lock:
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
        conn.close()

    in_threads(client, clients)
    return statuses


def measure(code: str, body: bytes, n: int, clients: int) -> tuple[float, float]:
    """(server CPU ms a request, requests a second) for one fresh ``cpd serve`` running ``code``."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/service.sqlite3", "CPD_INSTANCE_PATH": f"{tmp}/instance",
               "CPD_LOG_LEVEL": "WARNING", "PYTHONPATH": code}
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port)], env=env, cwd=tmp,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, server)
            post_all(port, body, WARM, clients)
            cpu, wall = tree_cpu(server.pid), time.perf_counter()
            statuses = post_all(port, body, n, clients)
            wall, cpu = time.perf_counter() - wall, tree_cpu(server.pid) - cpu
        finally:
            server.terminate()
            server.wait(30)
    if statuses != {401: n}:
        raise SystemExit(f"expected {n} answers 401, got {statuses}")
    return cpu / n * 1000, n / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", help="a checkout of another commit, measured in the same rounds")
    args = ap.parse_args()
    body = real_workbook(40, seed=40)
    print(f"cpd serve's defaults; {args.n} requests a round, each a real 40-activity workbook ({len(body) / 1024:.1f} "
          f"KB) answered 401, from {args.clients} keep-alive clients; {os.cpu_count()} cores")
    rates: dict[str, list[float]] = {}

    def one(code: str, _database: str) -> float:
        cpu, rate = measure(code, body, args.n, args.clients)
        rates.setdefault(code, []).append(rate)
        return cpu

    codes = checkouts(args.baseline)
    found = interleaved(args.rounds, ["sqlite"], codes, one, "ms of server CPU a request")
    print(f"\nOver {args.rounds} rounds (min / median / max):")
    for (_, name), cpu in found.items():
        print(f"  {name:14} server CPU a request {spread(cpu, places=3)} ms   requests/s {spread(rates[codes[name]], places=0)}")


if __name__ == "__main__":
    main()
