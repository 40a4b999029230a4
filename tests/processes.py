"""The processes a test started, seen from outside them: which are whose children, which are still running;
work started in several processes at the same moment; and another program writing an SQLite file meanwhile."""
from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path


def children_of(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid``."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    return [(int(p), args) for p, pp, args in (line.split(None, 2) for line in out.splitlines() if line.strip())
            if int(pp) == pid]


def alive(pid: int) -> bool:
    """Whether ``pid`` is running (a zombie has ended; its parent has not reaped it)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False


def at_once(work: Callable[[], object], n: int, timeout: float = 60) -> list[tuple[str, object]]:
    """``work()`` in ``n`` processes forked from this one and let go at the same moment (as a service's processes
    start together): for each, ("ok", what it returned) or ("error", "Type: message")."""
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(n), ctx.Queue()

    def run() -> None:
        barrier.wait()
        try:
            results.put(("ok", work()))
        except BaseException as exc:                   # what a process that failed to start would show
            results.put(("error", f"{type(exc).__name__}: {exc}"[:300]))

    procs = [ctx.Process(target=run) for _ in range(n)]
    for p in procs:
        p.start()
    got = [results.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(30)
    return got


@contextlib.contextmanager
def writing_meanwhile(path: str | Path, statement: str, seconds: float) -> Iterator[sqlite3.Connection]:
    """Another program writing the SQLite database at ``path`` (``statement`` inside BEGIN IMMEDIATE, taking no
    writers' turn; a new database stays in rollback mode), committing ``seconds`` after the block begins; its
    connection. When the block is over the commit has been made and the connection is closed."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute(statement)
    commit = threading.Timer(seconds, other.execute, ("COMMIT",))
    commit.start()
    try:
        yield other
    finally:
        commit.join()
        other.close()
