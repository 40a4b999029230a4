"""How ``cpd serve``'s web workers end. One that gunicorn forks as the service is told to stop ends at once
(``server.stop_if_told``), instead of serving on until gunicorn kills it 30 s later: until its own handlers are
in place it has the master's, which only queue a signal for the master's loop, in the worker's copy of the queue.
All of them stop when the master process is killed outright, and at once when it alone is sent gunicorn's quick
shutdown (SIGINT or SIGQUIT)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from ports import free_port
from processes import alive, children_of

MASTERS_HANDLERS = """
import os, queue, signal, sys, time
from gunicorn.arbiter import Arbiter
from sync_service.server import stop_if_told
arbiter = Arbiter.__new__(Arbiter)
arbiter.SIG_QUEUE = queue.SimpleQueue()
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
    signal.signal(sig, arbiter.signal)          # gunicorn's master's handler, as a worker has it after the fork
"""


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", MASTERS_HANDLERS + code], capture_output=True, text=True, timeout=30)


def test_a_worker_told_to_stop_before_its_own_handlers_ends_at_once():
    done = run("os.kill(os.getpid(), signal.SIGTERM)\n"            # the master's SIGTERM, just after the fork
               "stop_if_told(arbiter, None)\n"
               "print('served on', flush=True)\n")
    assert done.returncode == 0, done.stderr
    assert "served on" not in done.stdout


def test_a_worker_not_told_to_stop_goes_on_and_a_later_sigterm_ends_it():
    done = run("arbiter.SIG_QUEUE.put_nowait(signal.SIGCHLD)\n"     # what else the master may have had queued
               "arbiter.SIG_QUEUE.put_nowait(signal.SIGHUP)\n"
               "stop_if_told(arbiter, None)\n"
               "print('serving', flush=True)\n"
               "os.kill(os.getpid(), signal.SIGTERM)\n"
               "time.sleep(10)\n"
               "print('not stopped', flush=True)\n")
    assert done.stdout == "serving\n", done.stderr
    assert done.returncode == -15


@contextlib.contextmanager
def serving(tmp_path) -> Iterator[tuple[subprocess.Popen, list[int]]]:
    """``cpd serve`` with 2 web workers, answering: its process and its workers' pids (killed at the end if left)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cpd.sqlite3'}", "HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/functions", timeout=2)
                workers = [pid for pid, _ in children_of(proc.pid)]
                if len(workers) == 2:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        assert len(workers) == 2, "cpd serve did not start its 2 web workers"
        yield proc, workers
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in workers:
            if alive(pid):
                os.kill(pid, 9)


def test_the_web_workers_stop_when_the_service_process_is_killed(tmp_path):
    """``cpd serve``'s master killed outright (SIGKILL, a crash, the OOM killer): its web workers stop within a few
    seconds instead of serving on for ever, holding the port a new ``cpd serve`` needs."""
    with serving(tmp_path) as (proc, workers):
        proc.kill()
        proc.wait(10)
        gone = time.monotonic() + 10
        while any(map(alive, workers)) and time.monotonic() < gone:
            time.sleep(0.1)
        assert not any(map(alive, workers)), "web workers left serving after their master was killed"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT], ids=["SIGINT", "SIGQUIT"])
def test_a_quick_shutdown_sent_to_the_service_process_alone_stops_it_at_once(tmp_path, sig):
    """SIGINT or SIGQUIT sent to ``cpd serve``'s own process only (``kill -INT PID``, not Ctrl+C, which reaches every
    process of the terminal's group): gunicorn tells each web worker with SIGQUIT, and they stop in a moment. Before,
    uvicorn's workers took SIGQUIT as nothing to act on and served on until gunicorn killed them 30 s later."""
    with serving(tmp_path) as (proc, workers):
        os.kill(proc.pid, sig)
        assert proc.wait(15) == 0
        assert not any(map(alive, workers)), "web workers left after the service stopped"
