"""A TCP relay on 127.0.0.1 in front of a real server (PostgreSQL, for the outage tests): ``down()`` cuts
every connection through it and refuses new ones, as a database that has gone away; ``up()`` brings it
back. Bytes pass through untouched."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator


class TcpRelay:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = True
        self.refused = threading.Event()         # set when a connection is refused while down
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        for client in accepted(self._listener):
            if not self._up:
                self.refused.set()
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()                          # refused: reset at once
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        pipe(src, dst, socket.SHUT_RDWR, both=True)

    def down(self) -> None:
        """The server goes away: every connection through the relay is cut, new ones are refused."""
        self.refused.clear()
        self._up = False
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._open.clear()

    def up(self) -> None:
        self._up = True

    def up_after_first_refusal(self, seconds: float, wait: float = 60.0) -> threading.Thread:
        """Back ``seconds`` after the first connection refused while down (a client's first try), in a thread:
        the outage a client sees lasts that long however late the client starts (a process slow to start on
        a busy machine would otherwise find it nearly over)."""
        def later() -> None:
            self.refused.wait(wait)
            time.sleep(seconds)
            self.up()
        thread = threading.Thread(target=later, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.down()
        self._listener.close()


def accepted(listener: socket.socket) -> Iterator[socket.socket]:
    """Each connection ``listener`` accepts, until it is closed."""
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        yield client


def pipe(src: socket.socket, dst: socket.socket, how: int = socket.SHUT_WR, both: bool = False) -> None:
    """Copy ``src``'s bytes to ``dst`` until ``src`` ends; then shut ``dst`` (and ``src`` too when ``both``)."""
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in ((src, dst) if both else (dst,)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def http_head(conn: socket.socket) -> tuple[str, dict[str, str], bytes] | None:
    """An HTTP request's first line, its headers (names in lower case) and the bytes read past them; None
    when the connection ends first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:] if ":" in h)}
    return lines[0], headers, rest
