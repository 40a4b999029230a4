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
from ports import free_port
from sync_service import create_app, db, signing
from sync_service.store.accounts import create_member, issue_token
from sync_service.store.models import Submission
from sync_service.receiver import create_receiver, received
from workbook_templates import example_path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def worker(db_url: str, endpoint: str, secret: str, *extra) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.Popen([sys.executable, "-m", "addin.cli", "worker", "--endpoint", endpoint, "--secret", secret,
                             "--timeout", "2", "--lease-margin", "1", "--poll", "0.2", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def service_with_member(tmp_path, email: str):
    """A service on a fresh SQLite file, a member's token, and the database URL for worker processes."""
    db_url = f"sqlite:///{tmp_path / 'cpd.sqlite3'}"
    app = create_app({"DATABASE_URL": db_url})
    with app.app_context():
        session = db.session()
        token = issue_token(session, create_member(session, email))
        session.commit()
    return app, db_url, token


def _submission(app, token: str, title: str) -> str:
    import io
    import openpyxl
    wb = openpyxl.load_workbook(example_path("iet"))
    wb["Record"]["C10"] = title
    buf = io.BytesIO()
    wb.save(buf)
    return app.test_client().post("/api/v1/submissions", data=buf.getvalue(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": XLSX}).get_json()["id"]


def test_worker_killed_mid_delivery_and_another_finishes(tmp_path):
    secret = signing.new_secret()
    app, db_url, token = service_with_member(tmp_path, "k@example.org")
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
    app, db_url, token = service_with_member(tmp_path, "f@example.org")
    sub_id = _submission(app, token, "Rides out every failure")
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


def _wait(app, sub_id: str, statuses: set, proc, seconds: float = 30):
    deadline = time.time() + seconds
    while True:
        with app.app_context():
            d = db.session().get(Submission, sub_id).delivery
            if d.status in statuses:
                return d
        assert time.time() < deadline and proc.poll() is None, (d.status, d.last_error)
        time.sleep(0.2)


def test_endpoint_down_at_submit_time_then_up(tmp_path):
    secret = signing.new_secret()
    app, db_url, token = service_with_member(tmp_path, "d@example.org")
    port = free_port()                                    # nothing listens here yet
    sub_id = _submission(app, token, "Down at submit time")
    proc = worker(db_url, f"http://127.0.0.1:{port}/cpd/submissions", secret, "--schedule", "0.5,0.5,0.5,0.5,0.5,0.5")
    try:
        d = _wait(app, sub_id, {"retrying"}, proc)
        assert "refused" in (d.last_error or "").lower()
        store = str(tmp_path / "inst.sqlite3")
        inst = make_server("127.0.0.1", port, create_receiver({"SIGNING_SECRETS": [secret],
                                                                "RECEIVER_DATABASE": store}), threaded=True)
        threading.Thread(target=inst.serve_forever, daemon=True).start()
        d = _wait(app, sub_id, {"delivered"}, proc)
        assert received(store) == [(sub_id, d.receipt_id)]
        inst.shutdown()
    finally:
        proc.terminate()
        proc.wait(10)


def test_400_fails_and_410_pauses_with_real_processes(tmp_path):
    secret = signing.new_secret()
    app, db_url, token = service_with_member(tmp_path, "e@example.org")
    rejected = _submission(app, token, "Rejected")
    ep = FaultEndpoint([("status", 400, {}, {"error": "period missing"})])
    proc = worker(db_url, ep.url, secret)
    try:
        d = _wait(app, rejected, {"failed"}, proc)
        assert d.attempts == 1 and "period missing" in d.last_error
    finally:
        proc.terminate()
        proc.wait(10)
        ep.close()
    waiting = _submission(app, token, "Endpoint gone")
    gone = FaultEndpoint([("status", 410, {}, {"error": "moved"})])
    proc = worker(db_url, gone.url, secret)
    try:
        deadline = time.time() + 20
        while not gone.requests:
            assert time.time() < deadline
            time.sleep(0.1)
        time.sleep(1.5)                                   # more polls: no further tries while disabled
        assert len(gone.requests) == 1
        with app.app_context():
            assert db.session().get(Submission, waiting).delivery.status == "queued"   # not lost
    finally:
        proc.terminate()
        proc.wait(10)
        gone.close()


def test_a_worker_stops_on_sigterm_and_a_second_sigterm_never_hangs_it(tmp_path):
    """SIGTERM stops a worker once its current turn is done (exit 0); a second SIGTERM while it is stopping
    ends it at once. Neither may leave it waiting for ever (a handler that set the stop event while the main
    thread held that event's lock once left a demo worker running after cpd serve had ended)."""
    _, db_url, _ = service_with_member(tmp_path, "t@example.org")
    procs = [worker(db_url, "http://127.0.0.1:9/cpd/submissions", signing.new_secret()) for _ in range(6)]
    try:
        for proc in procs:
            assert proc.stdout.readline().startswith("Worker delivering to")      # its handler is in place
        time.sleep(0.3)                                  # each now waits between turns, as an idle worker does
        procs[0].send_signal(signal.SIGTERM)
        assert procs[0].wait(10) == 0                    # stopped as asked, not killed
        for proc in procs[1:]:
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGTERM)
        for proc in procs[1:]:
            assert proc.wait(10) in (0, -signal.SIGTERM)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
