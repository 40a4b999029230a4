"""Requests reach the app whole, in time, or not at all: how ``cpd serve`` faces slow clients by itself.

gunicorn runs the worker processes; in each, uvicorn's event loop reads every connection
(``CpdWorker``), so a client that sends slowly holds no thread, only a little memory. The WSGI app
(Flask) runs in a pool of threads and is called only once a request's whole body is in hand
(``WholeRequests``): a thread never waits on the network for a request. The call crosses between the loop
and a thread once each way (a2wsgi's own middleware crossed for each read of the body and each part of the
response, and waited each time for the loop): the body goes in whole, the response comes back whole unless
it is over a megabyte. Each request must arrive in
time (``DeadlineProtocol``): its headers within ``header_timeout`` seconds of its first byte (or of
the connection opening), its body within ``body_timeout`` seconds of its headers; a client slower than
that is answered 408 and disconnected. A body over ``max_body`` bytes is answered 413 without being read.
"""
from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi.wsgi import build_environ
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

from .errors import ServiceError
from .whole_body import HELD_WHOLE

log = logging.getLogger("cpd.requests")


def _answer(status: int, reason: str, body: bytes, content_type: bytes) -> bytes:
    return (b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % (status, reason.encode(), content_type, len(body)) + body)


def _error_body(path: str, status: int, code: str, message: str) -> tuple[bytes, bytes]:
    """The service's own error shape: JSON for the API and the add-in, a short page otherwise."""
    if path.startswith(("/api/", "/addin/")) or not path:
        return json.dumps({"error": ServiceError(code, message).to_dict()}).encode(), b"application/json"
    page = (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{status} · CPD tracker</title>'
            f'<body><main><h1>{status}</h1><p>{message}</p></main></body></html>')
    return page.encode(), b"text/html; charset=utf-8"


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers and one for its body."""

    header_timeout = 10.0
    body_timeout = 60.0

    def connection_made(self, transport) -> None:
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = "headers"
        super().connection_made(transport)
        self._arm("headers", self.header_timeout)          # a connection that says nothing is closed too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm("headers", self.header_timeout)

    def on_headers_complete(self) -> None:
        self._arm("body", self.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, phase: str, seconds: float) -> None:
        self._disarm()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        answered = self.cycle is not None and self.cycle.response_started and self._phase == "body"
        if not answered:
            path = (self.scope or {}).get("path", "") if self._phase == "body" else ""
            limit = self.header_timeout if self._phase == "headers" else self.body_timeout
            body, kind = _error_body(path, 408, "request_timeout",
                                     f"the request's {self._phase} did not arrive within {limit:g} seconds")
            self.transport.write(_answer(408, "Request Timeout", body, kind))
        log.warning(json.dumps({"event": "request_timeout", "phase": self._phase}, separators=(",", ":")))
        self.transport.close()


class WholeRequests:
    """An ASGI app that reads each request's whole body on the event loop, then runs the WSGI app with it in a
    thread of its pool, once: the thread gets the body whole and hands back the whole response (a response
    longer than ``buffered`` bytes, a file say, is sent on from the thread as it comes)."""

    buffered = 1024 * 1024

    def __init__(self, wsgi_app, threads: int, max_body: int):
        self.app = wsgi_app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="WSGI")
        self.max_body = max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_body:
            await self._too_large(scope, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        # a2wsgi's environ, its wsgi.input the body in hand (its own Body fetches each read from the loop)
        body = b"".join(chunks)
        environ = build_environ(scope, io.BytesIO(body))  # type: ignore[arg-type]
        environ[HELD_WHOLE] = body  # type: ignore[literal-required]  # read as it is (whole_body)
        loop = asyncio.get_running_loop()
        response = _Response(loop, send, self.buffered)
        await loop.run_in_executor(self.pool, contextvars.copy_context().run, response.run, self.app, environ)
        if not response.streamed:
            await send(response.start_message())
            await send({"type": "http.response.body", "body": b"".join(response.body)})

    async def _too_large(self, scope, send) -> None:
        body, kind = _error_body(scope.get("path", ""), 413, "too_large",
                                 f"the request is over {self.max_body // (1024 * 1024)} MB")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _Response:
    """One WSGI call's response, made in a thread of the pool: kept whole up to ``buffered`` bytes, past that
    sent on as it comes (each part handed to the event loop, which writes it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send, buffered: int):
        self.loop, self.send, self.buffered = loop, send, buffered
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.streamed = False

    def start_response(self, status: str, headers, exc_info=None):
        if exc_info is not None and self.streamed:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = [(name.strip().encode("latin1").lower(), value.strip().encode("latin1"))
                        for name, value in headers]
        return self.write

    def start_message(self) -> dict:
        return {"type": "http.response.start", "status": self.status, "headers": self.headers}

    def write(self, chunk: bytes) -> None:
        if self.streamed:
            self._hand({"type": "http.response.body", "body": chunk, "more_body": True})
            return
        self.body.append(chunk)
        self.size += len(chunk)
        if self.size > self.buffered:            # too long to keep: send what is kept, and the rest as it comes
            self.streamed = True
            self._hand(self.start_message())
            self._hand({"type": "http.response.body", "body": b"".join(self.body), "more_body": True})
            self.body = []

    def run(self, app, environ) -> None:
        parts = app(environ, self.start_response)
        try:
            for chunk in parts:
                if chunk:
                    self.write(chunk)
        finally:
            getattr(parts, "close", lambda: None)()
        if self.streamed:
            self._hand({"type": "http.response.body", "body": b""})

    def _hand(self, message: dict) -> None:
        asyncio.run_coroutine_threadsafe(self.send(message), self.loop).result()


class CpdWorker(UvicornWorker):
    """gunicorn's worker process, serving with uvicorn's event loop and ``DeadlineProtocol``. The app's own
    settings decide what a proxy may tell it (``TRUSTED_PROXIES``), so uvicorn reads no forwarded headers."""

    CONFIG_KWARGS = {"loop": "auto", "http": DeadlineProtocol, "lifespan": "off", "proxy_headers": False,
                     "server_header": False, "date_header": True}

    async def _serve(self) -> None:
        """uvicorn_worker's own, with the server that shares connections fairly among the workers."""
        from gunicorn.arbiter import Arbiter

        from .fair_accept import FairServer
        self.config.app = self.wsgi
        server = FairServer(config=self.config)
        asyncio.get_running_loop().add_signal_handler(signal.SIGQUIT, self._quit, server)
        watch = asyncio.get_running_loop().create_task(self._watch_master(server))
        await server.serve(sockets=self.sockets)
        watch.cancel()
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)

    def _quit(self, server: Any) -> None:
        """gunicorn's quick shutdown (SIGINT or SIGQUIT to the master reaches each worker as SIGQUIT): stop serving,
        as on SIGTERM. uvicorn_worker's own handler only marks the worker not alive, which uvicorn's server never
        reads: each web worker served on until gunicorn killed it 30 s later."""
        self.alive = False
        server.should_exit = True

    async def _watch_master(self, server: Any, every: float = 1.0) -> None:
        """Stop serving, as on SIGTERM, once the master process is gone (killed, or crashed): gunicorn's own
        workers look for that, uvicorn's do not, and one left behind served on for ever, holding the port."""
        while not server.should_exit:
            if os.getppid() != self.ppid:
                log.warning("the service's master process (pid %d) is gone: this worker stops", self.ppid)
                server.should_exit = True
                return
            await asyncio.sleep(every)
