"""The reference institution receiver (``cpd receiver``): what an institution runs, or copies,
to accept CPD submissions per the delivery protocol (docs/delivery-protocol.md).

POST /cpd/submissions: a body sent with ``Content-Encoding: gzip`` is first unzipped, within
MAX_DOCUMENT; the signature is checked over the JSON (as the Standard Webhooks reference libraries
check it), and the timestamp within five minutes; the Idempotency-Key must equal webhook-id; the
body must be a delivery document of a version this receiver knows; a repeat gets the receipt it got
the first time; every document received is stored as JSON (SQLite). Answers 200
``{"receipt_id": ...}``.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import msgspec
from flask import Flask, current_app, jsonify, request

from . import signing
from .store.wal import into_wal

SCHEMA = """CREATE TABLE IF NOT EXISTS received (
    idempotency_key TEXT PRIMARY KEY, receipt_id TEXT NOT NULL, received_at TEXT NOT NULL, body BLOB NOT NULL,
    content_encoding TEXT)"""
VERSIONS = {2}                          # the delivery document versions this receiver reads
MAX_DOCUMENT = 256 * 1024 * 1024        # a gzipped body may not unpack to more than this (a gzip bomb)


class BadBody(ValueError):
    pass


def decoded(body: bytes, encoding: str | None) -> bytes:
    """The body with its content coding undone: gunzipped within MAX_DOCUMENT (a gzip bomb stops there)."""
    if encoding not in (None, "", "identity", "gzip"):
        raise BadBody(f"Content-Encoding {encoding!r} is not gzip")
    if encoding != "gzip":
        return body
    unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = unzip.decompress(body, MAX_DOCUMENT)
    except zlib.error:
        raise BadBody("the body is not gzip") from None
    if unzip.unconsumed_tail:
        raise BadBody(f"the body unpacks to more than {MAX_DOCUMENT // (1024 * 1024)} MB")
    return body


class _Head(msgspec.Struct):
    """What the receiver reads of a document to know it: its type and version (the rest is kept as sent)."""
    type: object = None
    version: object = None


_HEAD = msgspec.json.Decoder(_Head)


def check(body: bytes) -> None:
    """Refuse a body that is not a delivery document of a known version (BadBody). The whole body is checked
    to be JSON, but only its type and version are made into objects (msgspec: a real 40-activity document in
    40 us against the standard library's 160 to load it whole)."""
    try:
        body.decode("utf-8")                      # msgspec does not look inside the strings it skips
        head = _HEAD.decode(body)
    except msgspec.ValidationError:               # JSON, but not an object
        head = _Head()
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise BadBody("the body is not JSON") from None
    if head.type != "cpd.submission" or not (isinstance(head.version, int) and head.version in VERSIONS):
        raise BadBody(f"not a cpd.submission document of version {', '.join(map(str, sorted(VERSIONS)))}")


def document(body: bytes, encoding: str | None = None) -> dict:
    """The delivery document in a body as received: its coding undone, checked, loaded."""
    body = decoded(body, encoding)
    check(body)
    return json.loads(body)


_local = threading.local()


PAGE_SIZE = 16384        # a new store's pages (SQLite's default is 4096)


def connect(path: str) -> sqlite3.Connection:
    """A connection to the store at ``path``: WAL, every commit flushed to disk (a receipt given is a submission
    kept). A new store has pages of ``PAGE_SIZE``: a real 46 KB document took a dozen 4 KB pages, each written
    to the log, and back to the store at a checkpoint, with a call of its own (40 writes and 13 reads a
    delivery, counted by strace), and 16 KB pages cut that to 12 and 3 and the receiver's CPU a delivery by
    8% (``bench/bench_receiver.py --rounds 5``: 0.803 against 0.873 ms median); 64 KB pages saved nothing
    (each delivery then writes whole 64 KB pages). A store made before keeps its pages."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")     # (only a new, empty store takes it)
    into_wal(conn, 30)            # a new store: the receiver's processes start together
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _db() -> sqlite3.Connection:
    """This thread's connection to the store, for reading (opened once per thread and kept)."""
    path = current_app.config["RECEIVER_DATABASE"]
    conns = _local.__dict__.setdefault("conns", {})
    if path not in conns:
        conns[path] = connect(path)
    return conns[path]


class StoreFailed(RuntimeError):
    """The transaction that was to keep a delivery failed (the delivery is answered 500, and tried again)."""


class _Keep:
    """One delivery waiting to be stored: its key and document, then its receipt (or what stopped it)."""
    __slots__ = ("key", "body", "receipt", "error")

    def __init__(self, key: str, body: bytes):
        self.key, self.body = key, body
        self.receipt: str | None = None
        self.error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self.receipt is not None or self.error is not None


class Store:
    """The received documents, written by one thread of the process at a time, every delivery waiting for its
    turn written in the same transaction: a receipt is given only after the commit that keeps its document
    (``synchronous=FULL``: on disk), and deliveries arriving together share that commit and its flush to
    disk, where each paid for its own. A delivery written by another thread's transaction is answered as soon
    as that transaction ends."""

    def __init__(self, path: str):
        self.path = path
        self.changed = threading.Condition()      # guards ``waiting`` and ``writing``; told when a write ends
        self.waiting: list[_Keep] = []
        self.writing = False
        self.conn: sqlite3.Connection | None = None

    def keep(self, key: str, body: bytes) -> str:
        """Store ``body`` under ``key`` unless something is stored under it already; its receipt either way."""
        mine = _Keep(key, body)
        with self.changed:
            self.waiting.append(mine)
            while not mine.finished:
                if self.writing:                  # another thread writes: this one waits for the next turn
                    self.changed.wait()
                    continue
                self.writing, batch, self.waiting = True, self.waiting, []
                self.changed.release()
                try:
                    self._write(batch)            # every one waiting, this one's among them
                finally:
                    self.changed.acquire()
                    self.writing = False
                    self.changed.notify_all()
        if mine.error is not None:
            raise StoreFailed("the delivery could not be stored") from mine.error
        assert mine.receipt is not None
        return mine.receipt

    def _write(self, batch: list[_Keep]) -> None:
        """One transaction for the batch: each item gets its receipt once it commits, or the error if it fails."""
        receipts: list[str] = []
        try:
            if self.conn is None:
                self.conn = connect(self.path)
            conn = self.conn
            with immediate(conn):
                now = datetime.now(timezone.utc).isoformat()
                for item in batch:                # in order: a key twice in one batch gets one receipt
                    row = conn.execute("SELECT receipt_id FROM received WHERE idempotency_key = ?",
                                       (item.key,)).fetchone()
                    if row is None:
                        row = ("rcpt_" + secrets.token_hex(8),)
                        conn.execute("INSERT INTO received VALUES (?, ?, ?, ?, ?)",
                                     (item.key, row[0], now, item.body, None))
                    receipts.append(row[0])
        except BaseException as exc:
            for item in batch:
                item.error = exc
            return
        for item, receipt in zip(batch, receipts):
            item.receipt = receipt


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """The block as one transaction that writes (``BEGIN IMMEDIATE``: the store's write lock taken first),
    committed at its end, rolled back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _error(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


def create_receiver(config: dict) -> Flask:
    app = Flask("cpd_receiver")
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024 * 1024, **config)
    if not app.config.get("SIGNING_SECRETS"):
        raise ValueError("the receiver needs at least one signing secret (whsec_...)")
    Path(app.config["RECEIVER_DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    store = app.extensions["cpd_receiver_store"] = Store(app.config["RECEIVER_DATABASE"])
    with app.app_context():
        conn = _db()
        with immediate(conn):                 # the receiver's processes start together: one makes or upgrades it
            conn.execute(SCHEMA)
            if "content_encoding" not in {row[1] for row in conn.execute("PRAGMA table_info(received)")}:
                conn.execute("ALTER TABLE received ADD COLUMN content_encoding TEXT")     # a store made before v2

    @app.post("/cpd/submissions")
    def receive():
        try:
            body = decoded(request.get_data(cache=False), request.headers.get("Content-Encoding"))
        except BadBody as exc:
            return _error(400, "bad_body", str(exc))
        try:
            msg_id = signing.verify(list(app.config["SIGNING_SECRETS"]), dict(request.headers), body)
        except signing.SignatureError as exc:
            return _error(401 if exc.code == "bad_signature" else 400, exc.code, str(exc))
        key = request.headers.get("Idempotency-Key")
        if key != msg_id:
            return _error(400, "bad_idempotency_key", "Idempotency-Key must equal webhook-id")
        try:
            check(body)
        except BadBody as exc:
            return _error(400, "bad_body", str(exc))
        receipt = store.keep(key, body)                  # stored as the JSON that was verified
        return jsonify(receipt_id=receipt), 200

    @app.get("/cpd/submissions/<key>")
    def status(key: str):
        conn = _db()
        row = conn.execute("SELECT receipt_id, received_at FROM received WHERE idempotency_key = ?", (key,)).fetchone()
        if row is None:
            return _error(404, "not_found", "nothing received with that key")
        return jsonify(receipt_id=row[0], received_at=row[1])

    return app


def received(database: str) -> list[tuple[str, str]]:
    """(key, receipt id) of everything stored, oldest first (for tests and the demo)."""
    conn = sqlite3.connect(database)
    try:
        return conn.execute("SELECT idempotency_key, receipt_id FROM received ORDER BY received_at").fetchall()
    finally:
        conn.close()


def received_documents(database: str) -> dict[str, dict]:
    """Every stored delivery document by its key, unpacked (for tests and the demo)."""
    conn = sqlite3.connect(database)
    try:
        return {key: document(body, encoding) for key, body, encoding in
                conn.execute("SELECT idempotency_key, body, content_encoding FROM received")}
    finally:
        conn.close()
