"""Institutions verify deliveries with the Standard Webhooks reference libraries, as they are: receivers
written only from PyPI ``standardwebhooks`` and npm ``standardwebhooks`` verify every delivery the worker
sends (plain JSON by default, signed as sent). An endpoint set up for gzip gets gzipped bodies, and a
receiver that undoes the gzip within a limit and then verifies with the reference library takes them."""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sync_service import signing
from sync_service.jobs.delivery import Endpoint, deliver
from test_service_submissions import variant

SECRET = signing.new_secret()
COUNT = 26
HERE = Path(__file__).parent / "webhooks"
LIMIT = 64 * 1024 * 1024


class ReferenceReceiver(ThreadingHTTPServer):
    """An institution's receiver on the Python reference library: verify(body, headers), then a receipt.
    With ``ungzip`` it first undoes ``Content-Encoding: gzip``, within ``LIMIT`` bytes."""

    def __init__(self, ungzip: bool = False):
        self.seen: list[dict] = []
        self.ungzip = ungzip
        webhook = Webhook(SECRET)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding")
                try:
                    if encoding == "gzip" and server.ungzip:
                        unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
                        body = unzip.decompress(body, LIMIT)
                        if unzip.unconsumed_tail:
                            raise ValueError("over the limit")
                    doc = webhook.verify(body, dict(self.headers))
                    ok = doc["id"] == self.headers["Idempotency-Key"] and doc["type"] == "cpd.submission"
                except (WebhookVerificationError, ValueError, UnicodeDecodeError, zlib.error) as exc:
                    ok, doc = False, {"error": type(exc).__name__}
                server.seen.append({"id": self.headers["webhook-id"], "verified": ok, "encoding": encoding})
                answer = json.dumps({"receipt_id": "py-" + self.headers["webhook-id"]} if ok else doc).encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_):
                pass

        server = self
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/cpd"


def submit_many(service, n: int) -> list[str]:
    client = service.test_client()
    ids = []
    for i in range(n):
        res = client.post("/api/v1/submissions", data=variant(1000 + i),
                          headers={"Authorization": f"Bearer {service.config['TOKENS']['a']}"})
        assert res.status_code == 201, res.get_json()
        ids.append(res.get_json()["id"])
    return ids


def deliver_all(service, endpoint: Endpoint) -> list[str]:
    outcomes = []
    while kinds := deliver(service.extensions["cpd_sessions"], endpoint, limit=8):
        outcomes.extend(kinds)
    return outcomes


@pytest.fixture
def many(service):
    service.config["SUBMISSIONS_PER_MINUTE"] = 1000
    return submit_many(service, COUNT)


def test_the_python_reference_library_verifies_every_delivery(service, many):
    receiver = ReferenceReceiver()
    try:
        assert deliver_all(service, Endpoint(receiver.url, (SECRET,))) == ["delivered"] * COUNT
    finally:
        receiver.shutdown()
    assert sorted(s["id"] for s in receiver.seen if s["verified"]) == sorted(many)
    assert {s["encoding"] for s in receiver.seen} == {None}


def test_the_javascript_reference_library_verifies_every_delivery(service, many):
    node = shutil.which("node")
    if not node or not (HERE / "node_modules" / "standardwebhooks").exists():
        if os.environ.get("CI"):
            pytest.fail("Node.js and tests/webhooks' npm install are required in CI (.ci/run installs them)")
        pytest.skip("Node.js or the npm package standardwebhooks is not installed (npm install in tests/webhooks)")
    proc = subprocess.Popen([node, str(HERE / "receiver.mjs"), SECRET], stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        port = json.loads(lines.get(timeout=30))["port"]
        assert deliver_all(service, Endpoint(f"http://127.0.0.1:{port}/cpd", (SECRET,))) == ["delivered"] * COUNT
        seen = [json.loads(lines.get(timeout=10)) for _ in range(COUNT)]
    finally:
        proc.terminate()
        proc.wait(10)
    assert all(s["verified"] for s in seen), [s for s in seen if not s["verified"]][:3]
    assert sorted(s["id"] for s in seen) == sorted(many)


def test_a_gzip_endpoint_gets_gzip_verified_after_undoing_it(service):
    service.config["SUBMISSIONS_PER_MINUTE"] = 1000
    ids = submit_many(service, 3)
    plain = ReferenceReceiver(ungzip=False)            # a receiver that does not undo the gzip refuses it
    try:
        outcomes = deliver_all(service, Endpoint(plain.url, (SECRET,), gzip=True))
    finally:
        plain.shutdown()
    assert outcomes == ["failed"] * 3 and not any(s["verified"] for s in plain.seen)
    from sync_service.jobs.delivery import resend
    with service.app_context():
        from sync_service import db
        for sub_id in ids:
            assert resend(db.session(), sub_id)
    ready = ReferenceReceiver(ungzip=True)
    try:
        assert deliver_all(service, Endpoint(ready.url, (SECRET,), gzip=True)) == ["delivered"] * 3
    finally:
        ready.shutdown()
    assert all(s["verified"] and s["encoding"] == "gzip" for s in ready.seen) and len(ready.seen) == 3


def test_our_own_signing_matches_the_reference_library_byte_for_byte():
    body = json.dumps({"type": "cpd.submission", "id": "sub_x", "name": "Siobhán Ó Briain"},
                      ensure_ascii=False).encode()
    headers = signing.headers([SECRET], "sub_x", body, timestamp=1_795_430_400)
    from datetime import datetime, timezone
    expected = Webhook(SECRET).sign("sub_x", datetime.fromtimestamp(1_795_430_400, tz=timezone.utc), body.decode())
    assert headers["webhook-signature"] == expected
