"""A local stand-in for the sync service's client-facing API (docs/submission-api.md), for the client
tests that need to see or fault exactly what was sent: a real HTTP server on 127.0.0.1 that checks
the token, answers /api/v1/me, dedupes on the Idempotency-Key, records what it was sent, and answers
a submission's status."""
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
    answered: int = 0                      # how many submissions were answered with ``answer``


def start(receiver: Receiver):
    app = Flask("test-receiver")

    @app.get("/api/v1/me")
    def me():
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return jsonify(error={"code": "unauthorized", "message": "bad token"}), 401
        return jsonify(member="m_test", name="test@example.org", scopes=["submit", "read"])

    @app.get("/api/v1/submissions/<sub_id>")
    def show(sub_id):
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return jsonify(error={"code": "unauthorized", "message": "bad token"}), 401
        for receipt in receiver.by_key.values():
            if receipt["id"] == sub_id:
                return jsonify(receipt)
        return jsonify(error={"code": "not_found", "message": "no such submission"}), 404

    @app.post("/api/v1/submissions")
    def submissions():
        if receiver.answer:
            status, body = receiver.answer
            receiver.answered += 1
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
