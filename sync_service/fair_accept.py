"""Connections shared fairly among ``cpd serve``'s worker processes.

Every gunicorn worker waits on the one listening socket. An event loop that finds it readable takes every
connection waiting there (uvloop's server and asyncio's both do), so four clients that connect at once mostly
land on one or two of five workers (measured: all four on four workers in 1 trial of 30), and for as long as
they keep their connections alive those workers' interpreters serve two or three of them in turn while others
stay idle. Here a worker takes one connection each time the socket is readable, and a worker that already
holds connections first waits ``STEP`` seconds for each (at most ``MOST``), so that an idle worker takes the
next one: nginx's rule (a loaded worker stops accepting for a while) in the event loop. Only the moment a
connection is taken changes; what is served on it, and how, is uvicorn's as before.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.server import STARTUP_FAILURE

log = logging.getLogger("cpd.requests")

STEP = 0.005            # seconds a worker waits, for each connection it holds, before taking another
MOST = 0.010            # never longer than this: under load every worker holds some, and clients must not wait
RETRY = 1.0             # out of file descriptors (or memory): try again after this, as asyncio's server does
_SHORT_OF = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class FairListener:
    """One listening socket in one worker's event loop: takes a connection at a time, later the more
    connections the worker holds. Has the ``close``/``wait_closed`` uvicorn calls on its servers."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: Any, protocol_factory: Callable[[], asyncio.Protocol],
                 held: Callable[[], int], ssl: Any = None) -> None:
        self._loop, self._sock, self._factory, self._held, self._ssl = loop, sock, protocol_factory, held, ssl
        self._fd = sock.fileno()
        self._starting: set[asyncio.Task] = set()       # taken, their protocol not yet among ``held``
        self._later: asyncio.TimerHandle | None = None
        self._closed = False
        sock.setblocking(False)
        loop.add_reader(self._fd, self._readable)

    def load(self) -> int:
        return self._held() + len(self._starting)

    def _readable(self) -> None:
        load = self.load()
        if load:                                        # others first: look again after a moment
            self._pause(min(load * STEP, MOST))
            return
        self._take()

    def _pause(self, seconds: float) -> None:
        self._loop.remove_reader(self._fd)
        self._later = self._loop.call_later(seconds, self._resume)

    def _resume(self) -> None:
        self._later = None
        if self._closed:
            return
        self._loop.add_reader(self._fd, self._readable)
        self._take()                                    # this worker's turn: one, if any is still waiting

    def _take(self) -> None:
        try:
            conn, _ = self._sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return                                      # another worker took it, or the client gave up
        except OSError as exc:
            if exc.errno not in _SHORT_OF:
                raise
            log.error("accepting connections paused for %.0f s: %s", RETRY, exc.strerror)
            if self._later is None:
                self._pause(RETRY)
            return
        conn.setblocking(False)
        task = self._loop.create_task(self._serve(conn))
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _serve(self, conn: Any) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn, ssl=self._ssl)
        except (OSError, asyncio.TimeoutError) as exc:    # a TLS handshake that failed or never came
            log.debug("connection dropped before it was served: %s", exc)
            conn.close()

    def close(self) -> None:
        self._closed = True
        if self._later is not None:
            self._later.cancel()
            self._later = None
        else:
            self._loop.remove_reader(self._fd)

    async def wait_closed(self) -> None:
        return None                                     # the connections are uvicorn's to close


class FairServer(uvicorn.Server):
    """uvicorn's server, taking connections from gunicorn's sockets through ``FairListener``."""

    async def startup(self, sockets: list | None = None) -> None:
        if sockets is None:                             # not under gunicorn: uvicorn's own listening
            await super().startup(sockets)
            return
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            sys.exit(STARTUP_FAILURE)
        config, state = self.config, self.server_state

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(config=config, server_state=state,  # type: ignore[call-arg]
                                              app_state=self.lifespan.state)

        loop = asyncio.get_running_loop()
        self.servers = [FairListener(loop, sock, protocol, lambda: len(state.connections), config.ssl)  # type: ignore[misc]
                        for sock in sockets]
        self.started = True
