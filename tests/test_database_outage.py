"""A database outage is a 503 with Retry-After, never a 500: PostgreSQL reached through a relay that the
test takes down (every connection cut, new ones refused) and brings back. The API answers JSON
``database_unavailable``, pages say to try again, and ``cpd submit`` waits and tries again until the
database is back, then submits once."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from conftest import PG_URL, _serve, postgres_schema_url
from tcp_relay import TcpRelay
from workbook_templates import example_path


@pytest.fixture
def outage_service(tmp_path):
    """The service on a fresh PostgreSQL schema reached through a TcpRelay: (app, relay, a member's token)."""
    from sync_service import create_app, db
    from sync_service.store.accounts import create_member, issue_token
    admin, schema, url = postgres_schema_url()
    target = urlsplit(PG_URL.replace("postgresql+psycopg", "postgresql"))
    relay = TcpRelay((target.hostname, target.port or 5432))
    relayed = url.replace(f"{target.hostname}:{target.port or 5432}", f"127.0.0.1:{relay.port}")
    app = create_app({"TESTING": True, "DATABASE_URL": relayed, "SECRET_KEY": "test-secret",
                      "UNAVAILABLE_RETRY_AFTER": 1, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        s = db.session()
        token = issue_token(s, create_member(s, "outage@example.org"))
        s.commit()
    yield app, relay, token
    relay.close()
    app.extensions["cpd_engine"].dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_the_api_and_the_pages_answer_503_with_retry_after_while_the_database_is_away(outage_service, caplog):
    app, relay, token = outage_service
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/records", headers=auth).status_code == 200
    page = client.get("/login")
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page.data).group(1).decode()
    assert client.post("/login", data={"token": token, "csrf": csrf}).status_code == 302
    relay.down()
    for method, path, kwargs in (("GET", "/api/v1/records", {"headers": auth}),
                                 ("POST", "/api/v1/submissions", {"headers": auth,
                                                                  "data": example_path("iet").read_bytes()}),
                                 ("GET", "/api/v1/me", {"headers": auth})):
        res = client.open(path, method=method, **kwargs)
        assert res.status_code == 503, (path, res.status_code, res.data[:200])
        assert res.get_json()["error"]["code"] == "database_unavailable" and res.headers["Retry-After"] == "1"
        assert res.get_json()["error"]["request_id"]
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "1"
    assert b"try again" in page.data and page.mimetype == "text/html"
    relay.up()
    deadline = time.time() + 10
    while client.get("/api/v1/records", headers=auth).status_code != 200:
        assert time.time() < deadline, "the service did not come back with the database"
        time.sleep(0.2)
    assert client.get("/").status_code == 200
    assert "internal_error" not in caplog.text


def test_cpd_submit_waits_for_the_database_and_submits_once(outage_service, tmp_path):
    app, relay, token = outage_service
    for base in _serve(app):
        config = tmp_path / "config.toml"
        config.write_text(f'service_url = "{base}"\ntoken = "{token}"\n')
        env = {**os.environ, "CPD_CONFIG": str(config)}
        relay.down()
        started = time.monotonic()
        relay.up_after_first_refusal(3.0)            # its first try refused, then 3 s of outage
        proc = subprocess.run([sys.executable, "-m", "addin.cli", "submit", str(example_path("iet")), "--json"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert time.monotonic() - started >= 3.0
        assert "unavailable for a moment (database_unavailable); trying again" in proc.stderr
        receipt = json.loads(proc.stdout)
        assert receipt["id"].startswith("sub_")
        with app.app_context():
            from sync_service import db
            from sync_service.store.models import Submission
            assert db.session().query(Submission).count() == 1


def test_the_google_sheets_menus_submit_waits_for_the_database(outage_service, tmp_path):
    from test_appsscript import run, scenario
    app, relay, token = outage_service
    for base in _serve(app):
        relay.down()
        relay.up_after_first_refusal(3.0)            # the script's first submit refused, then 3 s of outage
        out = run(scenario(base, token, ["cpdSubmit"], prompts=[], answers=["YES"],   # set up already, as a member is
                           properties={"CPD_SERVICE_URL": base, "CPD_TOKEN": token}), tmp_path)
        assert out["alerts"][-1].startswith("Submitted: sub_"), out["alerts"]
        assert sum(out.get("sleeps", [])) >= 2000, out.get("sleeps")          # it waited, as asked
        posts = [r for r in out["requests"] if r["url"].endswith("/api/v1/submissions")]
        assert len(posts) >= 2 and len({r["headers"]["Idempotency-Key"] for r in posts}) == 1


def test_the_excel_task_panes_submit_waits_for_the_database(outage_service):
    from test_taskpane import CHROMIUM, open_pane, wait_until
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI")
        pytest.skip("Chromium is not installed: the task pane test is skipped")
    from playwright.sync_api import sync_playwright
    app, relay, token = outage_service
    for base in _serve(app):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            try:
                page = open_pane(browser, base)
                page.click("text=Or paste a token")
                page.fill("#token", token)
                relay.down()
                relay.up_after_first_refusal(3.0)    # the pane's first try refused, then 3 s of outage
                page.click("#submit")
                wait_until(page, "document.getElementById('status').textContent.includes('trying again')", 10)
                wait_until(page, "document.getElementById('status').textContent.startsWith('Submitted')", 30)
            finally:
                browser.close()
        with app.app_context():
            from sync_service import db
            from sync_service.store.models import Submission
            assert db.session().query(Submission).count() == 1
