"""Loopback ports for the processes tests and benches start: a free one, and waiting until one listens."""
from __future__ import annotations

import random
import socket
import subprocess
import time

_EPHEMERAL_FLOOR = 32768          # Linux's default first ephemeral port, when the kernel does not say
_PICK = random.SystemRandom()     # not the module's generator, which a test (or hypothesis) may have seeded


def _ephemeral_floor() -> int:
    """Where the kernel's ephemeral ports (those it gives outgoing connections) begin."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return _EPHEMERAL_FLOOR


def free_port() -> int:
    """A loopback port nothing listens on, for a process about to listen there.

    Chosen at random below the ephemeral range: a port the kernel picked (binding port 0) lies in that
    range, where any outgoing connection made meanwhile (a database client's, a worker's) may be given it
    before the server binds it, and the server then exits with the address in use. Below the range only
    another listener can take it."""
    floor = _ephemeral_floor()
    low = max(1024, floor - 12000)
    for _ in range(100):
        port = _PICK.randrange(low, floor)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:              # a machine whose low ports are all taken: the kernel's choice
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, seconds: float = 60) -> None:
    """Until something accepts connections on 127.0.0.1:port (fails if ``proc`` exits first)."""
    deadline = time.time() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert proc is None or proc.poll() is None, f"the process for port {port} exited ({proc.returncode})"
            assert time.time() < deadline, f"nothing listens on port {port} after {seconds} s"
            time.sleep(0.1)
