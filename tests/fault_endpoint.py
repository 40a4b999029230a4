"""A scripted institution endpoint on 127.0.0.1 for fault tests: a raw TCP server, so it can
hang past a timeout or reset the connection mid-response, and it records every request."""
from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time

from tcp_relay import http_head


class FaultEndpoint:
    """Each request takes the next step of the script; the last step repeats.

    Steps: ("status", code, headers_dict, body_dict) | ("hang", seconds) | ("reset",) |
    ("together", n, code, headers_dict, body_dict): answered only once ``n`` requests are waiting for their
    answers at the same time (each group of ``n`` let go together); 503 to each of a group not made up within
    5 seconds, so requests sent one after another are answered 503.
    """

    def __init__(self, script):
        self.script = list(script)
        self.requests: list[dict] = []
        self.barriers: dict[int, threading.Barrier] = {}
        endpoint = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                conn = self.request
                conn.settimeout(10)
                got = http_head(conn)
                if got is None:
                    return
                _, headers, body = got
                length = int(headers.get("content-length", 0))
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                endpoint.requests.append({"headers": headers, "body": body, "at": time.time()})
                step = endpoint.script.pop(0) if len(endpoint.script) > 1 else endpoint.script[0]
                if step[0] == "together":
                    try:
                        endpoint.barriers.setdefault(step[1], threading.Barrier(step[1], timeout=5)).wait()
                        step = ("status", *step[2:])
                    except threading.BrokenBarrierError:
                        endpoint.barriers[step[1]].reset()
                        step = ("status", 503, {}, {"error": "alone"})
                if step[0] == "hang":
                    time.sleep(step[1])
                    return
                if step[0] == "reset":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"rec")
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                _, code, extra, payload = step
                out = json.dumps(payload).encode()
                hdrs = {"Content-Type": "application/json", "Content-Length": str(len(out)), "Connection": "close",
                        **extra}
                conn.sendall(f"HTTP/1.1 {code} X\r\n".encode() + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
                             .encode() + b"\r\n" + out)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cpd/submissions"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
