"""The processes a test started, seen from outside them: which are whose children, which are still running."""
from __future__ import annotations

import subprocess


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
