"""A read's calls to the Sheets API, over one connection of the standard library's ``http.client``.

A check is two ``spreadsheets.get`` calls. Made through gspread they would first load gspread, requests,
google-auth and oauthlib, which costs more than a whole ``cpd check`` (README: Performance), so a read
makes them here, as requests would: one kept-alive connection for both; HTTPS verified against the CA
bundle requests uses (``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``, else certifi's); through the proxy the
environment names (``HTTPS_PROXY``, ``NO_PROXY``; ``user:password@`` in it is sent to the proxy), a CONNECT
tunnel for HTTPS; the answer gzip-compressed (Google compresses for a client that asks), decoded by
msgspec. Writes stay with gspread (``gspread_http``).
"""
from __future__ import annotations

import base64
import http.client
import os
import ssl
import sys
import zlib
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import msgspec

from .access import Unreachable

MAX_ANSWER = 512 * 1024 * 1024        # bytes of one answer, unpacked: far past any sheet the reader accepts
USER_AGENT = "cpd-tracker (gzip)"     # Google compresses an answer for a client whose agent says gzip


class ApiError(Exception):
    """The Sheets API answered with an error status."""

    def __init__(self, status: int, retry_after: str | None = None):
        super().__init__(f"the Sheets API answered {status}")
        self.status, self.retry_after = status, retry_after


class Connection:
    """One connection to the API at ``base_url``, opened on the first call and kept for the next."""

    def __init__(self, base_url: str, connect_timeout: float, timeout: float):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an API address: {base_url!r}")
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.connect_timeout, self.timeout = connect_timeout, timeout
        self.proxy = _proxy(parts.scheme, self.host)
        self._conn: http.client.HTTPConnection | None = None

    def get(self, path: str, params: dict[str, Any], token: str) -> Any:
        """The JSON answer of ``GET path?params`` with the token; ApiError for an error status, Unreachable
        when there is no answer."""
        return msgspec.json.decode(self.answer(path, params, token))

    def answer(self, path: str, params: dict[str, Any], token: str) -> bytes:
        """The bytes of ``GET path?params``'s answer, unpacked."""
        target = f"{self.prefix}{path}?{urlencode(params, doseq=True)}"
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip", "User-Agent": USER_AGENT}
        if self.proxy and not self.https:               # a plain-HTTP API through a proxy: the whole address
            target = f"http://{self.host}:{self.port}{target}"
            headers.update(self.proxy[2])
        try:
            conn = self._connection()
            conn.request("GET", target, headers=headers)
            answer = conn.getresponse()
            body = _body(answer)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Unreachable(f"the Sheets API cannot be reached ({type(exc).__name__})") from None
        if answer.will_close:
            self.close()
        if answer.status >= 400:
            raise ApiError(answer.status, answer.getheader("Retry-After"))
        if answer.getheader("Content-Encoding", "").lower() == "gzip":
            unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                body = unpack.decompress(body, MAX_ANSWER + 1)
            except zlib.error:
                raise ValueError("the answer is not gzip") from None
        if len(body) > MAX_ANSWER:
            raise ValueError("the answer is larger than any sheet the reader accepts")
        return body

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is not None:
            return self._conn
        host, port = (self.proxy[0], self.proxy[1]) if self.proxy else (self.host, self.port)
        conn: http.client.HTTPConnection
        if self.https:
            conn = http.client.HTTPSConnection(host, port, timeout=self.connect_timeout, context=_tls())
            if self.proxy:
                conn.set_tunnel(self.host, self.port, headers=self.proxy[2])
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(self.timeout)              # connected: now the wait for each answer
        self._conn = conn
        return conn

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _body(answer: http.client.HTTPResponse) -> bytes:
    """The answer's bytes, at most MAX_ANSWER (and one more, to tell)."""
    if answer.length is not None:
        if answer.length > MAX_ANSWER:
            raise ValueError("the answer is larger than any sheet the reader accepts")
        return answer.read()
    parts, size = [], 0
    while size <= MAX_ANSWER and (part := answer.read(1 << 20)):
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _tls() -> ssl.SSLContext:
    """Certificates checked as requests checks them: its CA bundle settings, else certifi's bundle."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not bundle:
        try:
            import certifi
            bundle = certifi.where()
        except ImportError:
            bundle = None                               # the system's store
    return ssl.create_default_context(cafile=bundle)


def _proxy(scheme: str, host: str) -> tuple[str, int, dict[str, str]] | None:
    """(host, port, headers for it) of the proxy the environment names for ``scheme`` and ``host``, if any."""
    if sys.platform not in ("darwin", "win32") and not any(k.lower().endswith("_proxy") for k in os.environ):
        return None                 # what getproxies() finds here, without loading urllib.request (and tempfile)
    import urllib.request
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not parts.hostname:
        return None
    headers = {}
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return parts.hostname, parts.port or 80, headers
