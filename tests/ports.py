"""Loopback ports for the processes tests and benches start: a free one, and waiting until one listens."""
from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
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
