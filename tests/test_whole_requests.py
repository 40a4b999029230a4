"""The WSGI app as ``cpd serve`` calls it (``whole_requests.WholeRequests`` under uvicorn's event loop with the
service's HTTP protocol, on a real 127.0.0.1 port): once per request, in a thread of the pool, with the whole
body; its response sent whole, or, past ``WholeRequests.buffered`` bytes, sent on as it comes, byte for byte
either way; what it writes through ``start_response``'s ``write`` kept in order; an error before any byte is
sent answered 500 on a connection that then serves the next request."""
from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import socket
import threading

import pytest
import uvicorn
from flask import Flask, Response, request

from ports import free_port, wait_for_port
from sync_service.whole_body import HELD_WHOLE, WholeBodyRequest
from sync_service.whole_requests import DeadlineProtocol, WholeRequests

BIG = 3 * 1024 * 1024 + 17          # over WholeRequests.buffered: sent on as it comes


def _app() -> Flask:
    app = Flask("whole")
    app.request_class = WholeBodyRequest                 # as create_app makes it

    @app.post("/echo")
    def echo():
        body = request.get_data()
        return {"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                "thread": threading.current_thread().name}

    @app.post("/held")
    def held():
        if request.args.get("most"):                     # a view's own limit, lower than the server's
            request.max_content_length = int(request.args["most"])
        body = request.get_data()
        return {"length": len(body), "as_held": body is request.environ[HELD_WHOLE],
                "stream": type(request.stream).__name__}

    @app.get("/big")
    def big():
        def parts():
            for i in range(0, BIG, 65536):
                yield bytes((i // 65536) % 251 for _ in range(min(65536, BIG - i)))
        return Response(parts(), mimetype="application/octet-stream")

    @app.get("/boom")
    def boom():
        raise RuntimeError("the app failed")

    return app


def _written(environ, start_response):
    """A WSGI app that sends part of its body through ``write`` and the rest as its iterable."""
    write = start_response("200 OK", [("Content-Type", "text/plain"), ("X-Kind", "written")])
    write(b"first ")
    write(b"second ")
    return [b"third"]


_APP = _app()


def _dispatch(environ, start_response):
    if environ["PATH_INFO"] == "/written":
        return _written(environ, start_response)
    return _APP.wsgi_app(environ, start_response)


@pytest.fixture(scope="module")
def port():
    port = free_port()
    config = uvicorn.Config(WholeRequests(_dispatch, threads=4, max_body=8 * 1024 * 1024), host="127.0.0.1",
                            port=port, http=DeadlineProtocol, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    wait_for_port(port)
    yield port
    server.should_exit = True
    thread.join(10)


def _get(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None):
    conn.request(method, path, body=body)
    answer = conn.getresponse()
    return answer.status, dict(answer.getheaders()), answer.read()


def test_a_request_body_reaches_the_app_whole_in_a_pool_thread(port):
    body = (bytes(range(256)) * 20_480)[:5 * 1024 * 1024 + 3]          # 5 MB, under the 8 MB limit
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, _, answer = _get(conn, "POST", "/echo", body)
    assert status == 200
    got = json.loads(answer)
    assert got["length"] == len(body) and got["sha256"] == hashlib.sha256(body).hexdigest()
    assert got["thread"].startswith("WSGI")


def test_the_body_held_whole_is_the_requests_data_as_it_is(port):
    """werkzeug would read the body again through its LimitedStream, 64 KB at a time into a growing bytearray
    (about eight copies of a 2 MB body); the app's request reads the bytes the server holds, uncopied."""
    body = b"[" + b'"cell", ' * 300_000 + b"0]"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, _, answer = _get(conn, "POST", "/held", body)
    assert status == 200 and json.loads(answer) == {"length": len(body), "as_held": True, "stream": "BytesIO"}
    status, _, _ = _get(conn, "POST", "/held?most=1000", body)    # a view's lower limit still holds
    assert status == 413


def test_a_response_over_the_buffer_is_sent_on_byte_for_byte(port):
    assert BIG > WholeRequests.buffered
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, headers, answer = _get(conn, "GET", "/big")
    expected = b"".join(bytes((i // 65536) % 251 for _ in range(min(65536, BIG - i))) for i in range(0, BIG, 65536))
    assert status == 200 and headers["content-type"] == "application/octet-stream"
    assert len(answer) == BIG and answer == expected
    status, _, answer = _get(conn, "POST", "/echo", b"after")          # the same connection goes on
    assert status == 200 and json.loads(answer)["length"] == 5


def test_what_the_app_writes_comes_first_in_order(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, headers, answer = _get(conn, "GET", "/written")
    assert (status, headers["x-kind"], answer) == (200, "written", b"first second third")


def test_an_app_error_is_answered_500_and_the_connection_serves_the_next_request(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, _, _ = _get(conn, "GET", "/boom")
    assert status == 500
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, _, answer = _get(conn, "POST", "/echo", b"x" * 10)
    assert status == 200 and b"sha256" in answer


def test_a_body_declared_over_the_limit_is_refused_413_unread(port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (8 * 1024 * 1024 + 1))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ") and b"the request is over 8 MB" in answer
