"""The service as it runs in production: ``cpd serve`` under gunicorn, its logs, its errors, its limits
and headers; no database lock held while the institution's endpoint is slow. SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from sqlalchemy import create_engine, text

from fault_endpoint import FaultEndpoint
from sync_service import signing
from sync_service.jobs.delivery import Endpoint, run_once
from test_privacy import SEEDED, seeded_workbook
from test_service_submissions import variant
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def call(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def log_lines(text_: str) -> list[dict]:
    return [json.loads(line) for line in text_.splitlines() if line.startswith("{")]


def test_serve_runs_gunicorn_and_logs_each_request_as_a_json_line(served):
    server = served("--workers", "2", "--threads", "2")
    status, headers, _ = call(f"{server.url}/api/v1/submissions", EXAMPLE,
                              {"Authorization": f"Bearer {server.token}", "Content-Type": XLSX})
    assert status == 201 and "werkzeug" not in headers.get("Server", "").lower()
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    deadline = time.monotonic() + 10                 # the arbiter forks its workers one after another
    while len(children.read_text().split()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(children.read_text().split()) == 2    # gunicorn's workers
    rid = headers["X-Request-Id"]
    time.sleep(0.2)
    lines = [line for line in log_lines(server.logs()) if line.get("request_id") == rid]
    assert len(lines) == 1, server.logs()
    assert lines[0]["route"] == "/api/v1/submissions" and lines[0]["status"] == 201
    assert lines[0]["member"].startswith("m_") and lines[0]["ms"] > 0


def test_log_level_warning_keeps_only_errors(served):
    server = served("--workers", "1", env={"CPD_LOG_LEVEL": "WARNING"})
    assert call(f"{server.url}/api/v1/functions")[0] == 200
    assert not [line for line in log_lines(server.logs()) if "route" in line and "event" not in line]


def test_a_chunked_body_over_the_limit_is_refused_413(served):
    server = served("--workers", "1", env={"CPD_MAX_CONTENT_LENGTH": "65536"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token}\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n".encode())
        try:
            for _ in range(4):
                s.sendall(b"%x\r\n%s\r\n" % (50000, b"x" * 50000))
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass                       # the service answered past the limit and closed before all was sent
        answer = s.recv(65536).decode("latin-1")
        length = int(re.search(r"Content-Length: (\d+)", answer, re.I).group(1))
        while len(answer.split("\r\n\r\n", 1)[1]) < length:
            answer += s.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert json.loads(answer.split("\r\n\r\n", 1)[1])["error"]["code"] == "too_large"


def _break_the_jobs_table(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE jobs RENAME TO jobs_gone"))
    engine.dispose()


def test_a_database_failure_is_a_json_500_and_the_logs_hold_no_personal_data(served):
    server = served("--workers", "1")
    _break_the_jobs_table(server.database_url)
    status, headers, body = call(f"{server.url}/api/v1/submissions", seeded_workbook(),
                                 {"Authorization": f"Bearer {server.token}", "Content-Type": XLSX,
                                  "Content-Disposition": 'attachment; filename="Zephyrine-CPD.xlsx"'})
    assert status == 500 and headers["Content-Type"] == "application/json", body[:300]
    error = json.loads(body)["error"]
    assert error["code"] == "internal_error" and error["request_id"] == headers["X-Request-Id"]
    time.sleep(0.2)
    logs = server.logs()
    events = [line for line in log_lines(logs) if line.get("event") == "error"]
    assert events and events[0]["request_id"] == error["request_id"] and events[0]["where"], logs
    assert events[0]["driver_error"]                                 # the database's own error type, no message
    for secret in (*SEEDED.values(), "Zephyrine", server.token, "served@example.org", "INSERT INTO jobs ("):
        assert secret not in logs, secret
    assert "Traceback" not in logs


def test_the_manifest_is_built_from_the_public_address_never_the_host_header(served):
    server = served("--workers", "1")
    status, _, body = call(f"{server.url}/addin/manifest.xml", headers={"Host": "evil.example.org"})
    assert status == 200 and f"{server.url}/addin/functions.js".encode() in body and b"evil" not in body


def test_without_a_public_address_the_manifest_is_not_served(app):
    app.config["PUBLIC_URL"] = None
    res = app.test_client().get("/addin/manifest.xml", headers={"Host": "evil.example.org"})
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "public_url_not_set"
    assert b"evil" not in res.data


def test_pages_carry_a_strict_policy_and_the_add_in_may_be_framed_by_office(service):
    from test_pages import sign_in
    client = service.test_client()
    sign_in(client, service.config["TOKENS"]["a"])
    for path in ("/", "/login", "/no-such-page"):
        res = client.get(path)
        csp = res.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
        assert res.headers["X-Content-Type-Options"] == "nosniff" and res.headers["X-Frame-Options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|<style", res.text), path   # nothing inline to allow
    pane = client.get("/addin/taskpane.html")
    csp = pane.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://*.office.com" in csp and "https://appsforoffice.microsoft.com" in csp
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in csp and "X-Frame-Options" not in pane.headers
    assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|<style", pane.text)


def test_the_functions_have_a_row_limit_and_a_per_address_rate_limit(app):
    app.config.update(FUNCTION_MAX_ROWS=100, FUNCTION_CALLS="5/minute")
    client = app.test_client()
    rows = [["2025-01-01", 1]] * 101
    res = client.post("/api/v1/functions/HOURS", json={"args": [rows]})
    assert res.status_code == 413 and res.get_json()["error"]["code"] == "too_many_rows"
    for _ in range(4):
        assert client.post("/api/v1/functions/TARGET", json={"args": ["iet"]}).status_code == 200
    res = client.post("/api/v1/functions/TARGET", json={"args": ["iet"]})
    assert res.status_code == 429 and int(res.headers["Retry-After"]) >= 1
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert other.post("/api/v1/functions/TARGET", json={"args": ["iet"]}).status_code == 200


def test_counting_the_functions_calls_starts_no_thread_and_forgets_old_calls(app, monkeypatch):
    """The per-address call limit is counted in the worker's memory without a timer thread: the library's own
    storage started one whenever its last had fired (10 ms), so most calls started a thread and waited for it
    to run. Calls older than the window are still dropped, as it is used."""
    import threading
    from sync_service.throttle import ProcessMemory
    app.config.update(FUNCTION_CALLS="3/second")
    storage = app.extensions["cpd_throttle"].calls.strategy.storage
    assert isinstance(storage, ProcessMemory)
    monkeypatch.setattr(ProcessMemory, "EVERY", 0.0)          # drop what has expired at every count
    client = app.test_client()
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread.name) or start(thread))
    for _ in range(3):
        assert client.post("/api/v1/functions/TARGET", json={"args": ["iet"]}).status_code == 200
        time.sleep(0.02)                                       # past the library's 10 ms timer each time
    assert client.post("/api/v1/functions/TARGET", json={"args": ["iet"]}).status_code == 429
    time.sleep(1.1)                                            # the window has moved past all three
    assert client.post("/api/v1/functions/TARGET", json={"args": ["iet"]}).status_code == 200
    assert started == []
    assert [len(events) for events in storage.events.values()] == [1]   # the three expired ones forgotten


@pytest.mark.serial
def test_reads_and_uploads_answer_within_a_second_while_the_institution_hangs(service):
    """The worker sends with no transaction open: SQLite's write lock is free while the endpoint hangs."""
    ep = FaultEndpoint([("hang", 6), ("status", 200, {}, {"receipt_id": "R"})])
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    auth = {"Authorization": f"Bearer {token}", "Content-Type": XLSX}
    sub_id = client.post("/api/v1/submissions", data=EXAMPLE, headers=auth).get_json()["id"]
    worker = threading.Thread(target=run_once, args=(service.extensions["cpd_sessions"],
                                                     Endpoint(ep.url, (signing.new_secret(),), timeout=8)))
    try:
        worker.start()
        deadline = time.time() + 5
        while not ep.requests:                                       # the worker is now waiting on the endpoint
            assert time.time() < deadline
            time.sleep(0.05)
        timings = []
        for i in range(3):
            start = time.monotonic()
            assert client.get(f"/api/v1/submissions/{sub_id}", headers=auth).status_code == 200
            timings.append(time.monotonic() - start)
            start = time.monotonic()
            res = service.test_client().post("/api/v1/submissions", data=variant(i), headers={
                **auth, "Authorization": f"Bearer {service.config['TOKENS']['b']}"})
            assert res.status_code == 201, res.get_json()
            timings.append(time.monotonic() - start)
        assert ep.requests and worker.is_alive()                      # all of it while the endpoint hung
        assert max(timings) < 1.0, timings
    finally:
        worker.join(15)
        ep.close()


def test_stalled_uploads_are_dropped_and_do_not_hold_the_server(served):
    """Six uploads that stop mid-body, against one worker with two threads: each is dropped when its body
    has not arrived within --timeout (408), and an ordinary request is answered meanwhile."""
    server = served("--workers", "1", "--threads", "2", "--timeout", "5")
    stalled = []
    for _ in range(6):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=15)
        s.sendall(f"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token}\r\n"
                  "Content-Length: 100000\r\n\r\n".encode() + b"PK" + b"\0" * 98)
        stalled.append(s)
    try:
        start = time.monotonic()
        assert call(f"{server.url}/api/v1/functions")[0] == 200
        assert time.monotonic() - start < 8
        for s in stalled:                              # each is answered (400) or closed, not kept waiting
            answer = s.recv(4096)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:100]
        assert time.monotonic() - start < 12
    finally:
        for s in stalled:
            s.close()


def test_the_web_servers_own_lines_are_json_too(served):
    """The server's own messages (here: a request that is not HTTP, and the shutdown) are JSON lines, like
    the service's, with no address or request text in them."""
    server = served("--workers", "1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"NOT HTTP AT ALL \x00\x01\r\n\r\n")
        s.recv(1024)
    server.stop()
    lines = [line for line in server.logs().splitlines() if line.strip()]
    assert lines and all(line.startswith("{") for line in lines), [x for x in lines if not x.startswith("{")][:3]
    parsed = [json.loads(line) for line in lines]
    own = [p for p in parsed if p.get("event") == "server"]
    assert own and all(p["logger"].split(".")[0] in ("gunicorn", "uvicorn") for p in own), parsed[-5:]
    assert "NOT HTTP" not in server.logs()


def test_a_members_report_pdf_is_drawn_in_a_child_of_a_gunicorn_worker(served):
    """The record report's PDF, asked for through the production server: Typst compiles it in a child
    process of the worker that answers, and the worker goes on serving."""
    import http.cookiejar
    server = served("--workers", "1", "--threads", "2")
    status, _, body = call(f"{server.url}/api/v1/records", EXAMPLE,
                           {"Authorization": f"Bearer {server.token}", "Content-Type": XLSX})
    assert status == 201, body
    record = json.loads(body)["id"]
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = browser.open(f"{server.url}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"token": server.token, "csrf": token}).encode()
    assert browser.open(f"{server.url}/login", data=form, timeout=30).status == 200     # redirected to the dashboard
    for _ in range(2):
        with browser.open(f"{server.url}/records/{record}/report.pdf", timeout=60) as res:
            assert res.status == 200 and res.headers["Content-Type"] == "application/pdf"
            assert res.read().startswith(b"%PDF-")
    status, _, _ = call(f"{server.url}/api/v1/records", headers={"Authorization": f"Bearer {server.token}"})
    assert status == 200
