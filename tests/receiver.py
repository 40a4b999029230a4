"""A local test receiver for submissions, standing in for the sync service's submission API
(docs/submission-api.md) until it exists: a real HTTP server on 127.0.0.1 that checks the
token, dedupes on the Idempotency-Key and records what it was sent."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

TOKEN = "cpd_test_token_0123456789"


@dataclass
class Receiver:
    url: str = ""
    received: list = field(default_factory=list)
    by_key: dict = field(default_factory=dict)
    answer: tuple | None = None            # (status, json) to answer instead, for error tests


def start(receiver: Receiver):
    app = Flask("test-receiver")

    @app.post("/api/v1/submissions")
    def submissions():
        if receiver.answer:
            status, body = receiver.answer
            return jsonify(body), status, {"Retry-After": "30"} if status == 429 else {}
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return jsonify(error={"code": "unauthorized", "message": "bad token"}), 401
        key = request.headers.get("Idempotency-Key")
        receiver.received.append({"key": key, "type": request.content_type, "body": request.get_data()})
        if key in receiver.by_key:
            return jsonify(receiver.by_key[key]), 200
        receipt = {"id": f"sub_{len(receiver.by_key) + 1:04d}", "status": "queued",
                   "received_at": "2026-11-23T10:00:00Z", "receipt_id": None}
        receiver.by_key[key] = receipt
        return jsonify(receipt), 201

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}"
    return server, thread
