"""Delivery workers as real processes: one killed with SIGKILL mid-delivery, another finishes
the job after the lease runs out; the institution holds the submission exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from werkzeug.serving import make_server

from fault_endpoint import FaultEndpoint
from sync_service import create_app, db, signing
from sync_service.accounts import create_member, issue_token
from sync_service.models import Submission
from sync_service.receiver import create_receiver, received
from workbook_templates import example_path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def worker(db_url: str, endpoint: str, secret: str, *extra) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.Popen([sys.executable, "-m", "addin.cli", "worker", "--endpoint", endpoint, "--secret", secret,
                             "--timeout", "2", "--lease-margin", "1", "--poll", "0.2", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_worker_killed_mid_delivery_and_another_finishes(tmp_path):
    secret = signing.new_secret()
    db_url = f"sqlite:///{tmp_path / 'cpd.sqlite3'}"
    app = create_app({"DATABASE_URL": db_url})
    with app.app_context():
        session = db.session()
        token = issue_token(session, create_member(session, "k@example.org"))
        session.commit()
    res = app.test_client().post("/api/v1/submissions", data=example_path("iet").read_bytes(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": XLSX})
    sub_id = res.get_json()["id"]

    hanging = FaultEndpoint([("hang", 30)])
    first = worker(db_url, hanging.url, secret)
    deadline = time.time() + 20
    while not hanging.requests:                      # the first worker is now mid-delivery
        assert time.time() < deadline and first.poll() is None, first.stdout.read() if first.poll() else ""
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    with app.app_context():
        assert db.session().get(Submission, sub_id).delivery.status == "sending"      # leased to a dead worker

    store = str(tmp_path / "inst.sqlite3")
    inst = create_receiver({"SIGNING_SECRETS": [secret], "RECEIVER_DATABASE": store})
    server = make_server("127.0.0.1", 0, inst, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    second = worker(db_url, f"http://127.0.0.1:{server.server_port}/cpd/submissions", secret)
    try:
        deadline = time.time() + 30
        while True:
            with app.app_context():
                delivery = db.session().get(Submission, sub_id).delivery
                if delivery.status == "delivered":
                    break
            assert time.time() < deadline, f"not delivered: {delivery.status} {delivery.last_error}"
            time.sleep(0.2)
        assert delivery.attempts == 2
        assert received(store) == [(sub_id, delivery.receipt_id)]          # exactly once at the institution
        assert hanging.requests[0]["headers"]["idempotency-key"] == sub_id
    finally:
        second.terminate()
        second.wait(10)
        server.shutdown()
        hanging.close()


def test_a_worker_process_rides_out_every_transient_failure(tmp_path):
    """500, 503 with Retry-After, 429, a hang past the timeout, a reset connection, then a
    receipt: the worker process keeps trying with the same key and delivers exactly once."""
    secret = signing.new_secret()
    db_url = f"sqlite:///{tmp_path / 'cpd.sqlite3'}"
    app = create_app({"DATABASE_URL": db_url})
    with app.app_context():
        session = db.session()
        token = issue_token(session, create_member(session, "f@example.org"))
        session.commit()
    sub_id = app.test_client().post("/api/v1/submissions", data=example_path("iet").read_bytes(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": XLSX}).get_json()["id"]
    ep = FaultEndpoint([("status", 500, {}, {}), ("status", 503, {"Retry-After": "1"}, {}),
                        ("status", 429, {"Retry-After": "0"}, {}), ("hang", 4), ("reset",),
                        ("status", 200, {}, {"receipt_id": "R-FINAL"})])
    proc = worker(db_url, ep.url, secret, "--schedule", "0.2,0.2,0.2,0.2,0.2,0.2,0.2")
    try:
        deadline = time.time() + 40
        while True:
            with app.app_context():
                d = db.session().get(Submission, sub_id).delivery
                if d.status == "delivered":
                    break
            assert time.time() < deadline and proc.poll() is None, (d.status, d.last_error)
            time.sleep(0.2)
        assert (d.attempts, d.receipt_id) == (6, "R-FINAL")
        assert [r["headers"]["idempotency-key"] for r in ep.requests] == [sub_id] * 6
        gap = ep.requests[2]["at"] - ep.requests[1]["at"]
        assert gap >= 0.9                                     # Retry-After: 1 was honoured
    finally:
        proc.terminate()
        proc.wait(10)
        ep.close()
