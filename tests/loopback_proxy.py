"""A forward HTTP proxy on 127.0.0.1, as a member's network may have: a CONNECT tunnel for HTTPS, and a
plain-HTTP request sent to it whole (absolute-form), relayed to its server. It can ask for a user and
password (407 otherwise), and notes what each connection asked for (``seen``)."""
from __future__ import annotations

import base64
import socket
import threading
from urllib.parse import urlsplit

from tcp_relay import accepted, http_head, pipe


class LoopbackProxy:
    def __init__(self, user: str | None = None, password: str | None = None):
        self.wanted = None if user is None else "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.seen: list[tuple[str, str]] = []          # (method, target) of each connection's first request
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        for client in accepted(self._listener):
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            got = http_head(client)
            if got is None:
                return
            line, headers, rest = got
            method, target, _ = line.split(" ", 2)
            self.seen.append((method, target))
            if self.wanted is not None and headers.get("proxy-authorization") != self.wanted:
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                               b"Proxy-Authenticate: Basic realm=\"office\"\r\nContent-Length: 0\r\n\r\n")
                return
            if method == "CONNECT":                     # a tunnel: what follows is the client's and server's own
                host, port = target.rsplit(":", 1)
                upstream = socket.create_connection((host, int(port)))
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                first = rest
            else:                                       # a request sent whole: relayed as it came
                parts = urlsplit(target)
                upstream = socket.create_connection((parts.hostname or "", parts.port or 80))
                first = line.encode("latin-1") + b"\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1") + b"\r\n" + rest
            with upstream:
                if first:
                    upstream.sendall(first)
                back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
                back.start()
                pipe(client, upstream)
                back.join(30)
