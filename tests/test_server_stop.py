"""A web worker that gunicorn forks as the service is told to stop ends at once (``server.stop_if_told``), instead
of serving on until gunicorn kills it 30 s later: until its own handlers are in place it has the master's, which
only queue a signal for the master's loop, in the worker's copy of the queue."""
from __future__ import annotations

import subprocess
import sys

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
