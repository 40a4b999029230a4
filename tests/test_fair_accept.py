"""Connections shared fairly among ``cpd serve``'s workers (``sync_service.fair_accept``): four clients that
connect at once are served by four workers, not two; a worker holding connections waits before it takes
another; a closed listener takes none. Real gunicorn workers and real sockets on 127.0.0.1."""
from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ports import free_port, wait_for_port
from sync_service.fair_accept import MOST, FairListener

ROOT = Path(__file__).resolve().parent.parent

_SERVER = textwrap.dedent("""
    import os, sys
    from sync_service.server import ServerOptions, run

    def app(environ, start_response):       # answers with the worker process that served it
        body = str(os.getpid()).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    run(lambda: app, ServerOptions(port=int(sys.argv[1]), workers=4))
""")


def _pid(conn: http.client.HTTPConnection) -> str:
    conn.request("GET", "/")
    resp = conn.getresponse()
    assert resp.status == 200
    return resp.read().decode()


def _at_once(port: int, clients: int = 4) -> set[str]:
    """The workers that served ``clients`` clients connecting at the same moment, each keeping its
    connection open until every one has its answer."""
    pids: list[str] = []
    start, done = threading.Barrier(clients), threading.Barrier(clients)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        start.wait()
        pids.append(_pid(conn))
        done.wait()
        conn.close()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return set(pids)


@pytest.mark.serial
def test_four_clients_connecting_at_once_are_served_by_four_workers(tmp_path):
    """uvloop's server takes every waiting connection on one wake: before this, four clients connecting at
    once reached four of five workers in 1 trial of 30 (two or three of them sharing one interpreter for as
    long as they kept their connections)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CPD_INSTANCE_PATH": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        while len(seen) < 4 and time.monotonic() < deadline:     # every worker up and taking connections
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            seen.add(_pid(conn))
            conn.close()
        assert len(seen) == 4, seen
        spread = []
        for _ in range(10):
            spread.append(len(_at_once(port)))
            time.sleep(0.1)                  # the workers see the closed connections go
        assert spread.count(4) >= 8, spread
    finally:
        server.terminate()
        server.wait(30)


class _Echo(asyncio.Protocol):
    def __init__(self, made: list[float]) -> None:
        self.made = made

    def connection_made(self, transport) -> None:
        self.made.append(time.monotonic())
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


async def _connect_and_echo(port: int, message: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(message)
    await writer.drain()
    echoed = await reader.readexactly(len(message))
    writer.close()
    return echoed


def test_a_worker_holding_connections_waits_before_it_takes_another():
    async def scenario():
        loop, sock, made = asyncio.get_running_loop(), _listening(), []
        listener = FairListener(loop, sock, lambda: _Echo(made), held=lambda: 3)
        began = time.monotonic()
        assert await _connect_and_echo(sock.getsockname()[1], b"hello") == b"hello"
        listener.close()
        sock.close()
        return made[0] - began
    waited = asyncio.run(scenario())
    assert waited >= MOST * 0.9, waited                 # three held: it waited its longest before taking it


def test_an_idle_worker_takes_each_connection_and_serves_it():
    async def scenario():
        loop, sock, made = asyncio.get_running_loop(), _listening(), []
        listener = FairListener(loop, sock, lambda: _Echo(made), held=lambda: 0)
        port = sock.getsockname()[1]
        echoed = await asyncio.gather(*(_connect_and_echo(port, b"client %d" % i) for i in range(5)))
        listener.close()
        sock.close()
        return echoed, made
    echoed, made = asyncio.run(scenario())
    assert echoed == [b"client %d" % i for i in range(5)]
    assert len(made) == 5


def test_a_closed_listener_takes_no_connection():
    async def scenario():
        loop, sock, made = asyncio.get_running_loop(), _listening(), []
        listener = FairListener(loop, sock, lambda: _Echo(made), held=lambda: 0)
        listener.close()
        await listener.wait_closed()
        client = socket.create_connection(sock.getsockname())   # completes into the backlog: nobody takes it
        await asyncio.sleep(0.2)
        client.close()
        sock.close()
        return made
    assert asyncio.run(scenario()) == []
