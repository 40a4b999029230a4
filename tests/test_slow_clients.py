"""Slow clients do not stop the service: 24 connections trickle headers and bodies for 30 s at ``cpd serve``
as the README starts it (its default workers and threads), over http and over https (``--cert``/``--key``),
and another client's pages answer in under a second throughout. A client whose headers or body do not
arrive in time is answered 408 and disconnected."""
from __future__ import annotations

import select
import socket
import ssl
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import Served

SECONDS = 30.0
TRICKLERS = 12                        # of each kind: headers, bodies
HEADER_TIMEOUT = 10.0


@pytest.fixture
def tls_files(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def connect(port: int, tls: bool) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    return sock


class Trickler(threading.Thread):
    """Sends a request a byte at a time (every ``gap`` seconds) until ``stop``; a new connection each time the
    server closes one. ``cut``: how long each connection lasted and what the server answered."""

    def __init__(self, port: int, tls: bool, stop: threading.Event, body: bool):
        super().__init__(daemon=True)
        self.port, self.tls, self.stop, self.body = port, tls, stop, body
        self.cut: list[tuple[float, bytes]] = []

    def run(self) -> None:
        while not self.stop.is_set():
            sock = connect(self.port, self.tls)
            opened = time.monotonic()
            if self.body:              # whole headers, then a 100,000-byte body one byte a second
                first, payload, gap = (b"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000"
                                       b"\r\n\r\n"), b"x" * 100_000, 1.0
            else:                      # headers one byte every 2 s, never finished
                first, payload, gap = b"G", b"ET /login HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000, 2.0
            answer = b""
            try:
                sock.sendall(first)
                for i in range(len(payload)):
                    readable, _, _ = select.select([sock], [], [], gap)
                    if readable:       # the server answered (and closes), or TLS sent a record of its own
                        answer = self._answer(sock)
                        if answer is not None:
                            break
                    if self.stop.is_set():
                        break
                    sock.sendall(payload[i:i + 1])
            except OSError:
                pass
            answer = answer or b""
            if answer or not self.stop.is_set():
                self.cut.append((time.monotonic() - opened, answer))
            sock.close()


    @staticmethod
    def _answer(sock) -> bytes | None:
        """What the server sent (b"" when it closed), or None when it was no data (a TLS session ticket)."""
        sock.settimeout(0.2)
        try:
            return sock.recv(200)
        except (socket.timeout, ssl.SSLWantReadError):
            return None
        finally:
            sock.settimeout(60)


def pages_stay_quick(base: str, tls: bool) -> list[float]:
    context = ssl._create_unverified_context() if tls else None
    waits = []
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        for path in ("/login", "/api/v1/functions"):
            started = time.monotonic()
            with urllib.request.urlopen(base + path, timeout=10, context=context) as res:
                assert res.status == 200
                res.read()
            waits.append(time.monotonic() - started)
        time.sleep(0.2)
    return waits


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_trickling_clients_do_not_stop_the_service(tmp_path, tls, request):
    args = []
    if tls:
        cert, key = request.getfixturevalue("tls_files")
        args = ["--cert", str(cert), "--key", str(key)]
    server = Served(tmp_path, f"sqlite:///{tmp_path / 'cpd.sqlite3'}", *args,
                    url_scheme="https" if tls else "http")
    try:
        stop = threading.Event()
        tricklers = [Trickler(server.port, tls, stop, body=i % 2 == 1) for i in range(2 * TRICKLERS)]
        for t in tricklers:
            t.start()
        time.sleep(1.0)                 # every trickler connected and sending
        waits = pages_stay_quick(server.url, tls)
        stop.set()
        for t in tricklers:
            t.join(10)
    finally:
        server.stop()
    assert max(waits) < 1.0, f"slowest page {max(waits):.2f} s of {len(waits)}"
    header_cuts = [c for t in tricklers if not t.body for c in t.cut if c[1]]
    assert header_cuts, "no trickled headers were cut off"
    for lasted, answer in header_cuts:
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert HEADER_TIMEOUT - 0.5 < lasted < HEADER_TIMEOUT + 3, lasted
    assert "request_timeout" in server.logs()
