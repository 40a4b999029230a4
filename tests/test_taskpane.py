"""The Office task pane in a real headless Chromium, against the running service.

Excel itself is not here, so the page gets a stand-in ``Excel.run`` that hands it the example
workbook's Record and Plan sheets in the shape Office.js gives them (dates as serial numbers,
blanks as ""). Everything else is real: the page, its scripts, the HTTP calls, the service and
the engine. Submit goes to a local test receiver until the sync service's submission API exists.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import time
from datetime import datetime

import openpyxl
import pytest

from workbook_templates import example_path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EXCEL_EPOCH = datetime(1899, 12, 30)


def used_range(ws):
    def cell(v):
        return (v - EXCEL_EPOCH).days if isinstance(v, datetime) else ("" if v is None else v)
    return [[cell(c.value) for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row)]


FAKE_EXCEL = """
window.__writes = {};
window.Excel = { run: async (fn) => fn({
  workbook: { worksheets: {
    getItemOrNullObject: (name) => {
      const values = window.__sheets[name] || [];
      return { isNullObject: false, getUsedRangeOrNullObject: () => ({
        isNullObject: false, values: values, rowIndex: 0, load: () => {} }) };
    },
    getItem: (name) => ({ getRange: (address) => ({
      set values(v) { window.__writes[name + "!" + address] = v.length === 1 && v[0].length === 1 ? v[0][0] : v; } }) }),
  } },
  sync: async () => {},
}) };
window.Office = {
  FileType: { Compressed: "compressed" }, AsyncResultStatus: { Succeeded: "succeeded" },
  context: { document: { getFileAsync: (type, options, callback) => {
    const bytes = Uint8Array.from(atob(window.__file), (c) => c.charCodeAt(0));
    const size = 4096, count = Math.ceil(bytes.length / size);
    callback({ status: "succeeded", value: { sliceCount: count, closeAsync: () => {},
      getSliceAsync: (i, cb) => cb({ status: "succeeded",
        value: { data: Array.from(bytes.slice(i * size, (i + 1) * size)) } }) } });
  } } },
};
"""


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI: .ci/run installs the Debian packages chromium and chromium-driver")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver): task pane test skipped")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def pane_service(tmp_path):
    """The production server (``cpd serve``: gunicorn) on an SQLite file of its own."""
    from conftest import Served
    server = Served(tmp_path, f"sqlite:///{tmp_path / 'cpd.sqlite3'}", "--workers", "2", "--threads", "2")
    yield server
    server.stop()


@pytest.fixture
def live_server(pane_service):
    return pane_service.url


@pytest.fixture
def app(pane_service):
    """The same service's database, for looking at what the pane stored."""
    from sync_service import create_app
    app = create_app({"DATABASE_URL": pane_service.database_url, "AUTO_MIGRATE": False, "SECRET_KEY": "test"})
    yield app
    app.extensions["cpd_engine"].dispose()


@pytest.fixture
def member_token(app):
    """A member of the test service and their token."""
    from sync_service import db
    from sync_service.store.accounts import create_member, issue_token
    with app.app_context():
        session = db.session()
        member = create_member(session, "pane@example.org")
        token = issue_token(session, member)
        session.commit()
    return token


def wait_until(page, expression: str, seconds: float = 30) -> None:
    """Poll a page expression until it is true. (Playwright's wait_for_function evaluates a string in the
    page, which the add-in pages' Content-Security-Policy forbids, as it should; page.evaluate does not.)"""
    deadline = time.time() + seconds
    while not page.evaluate(expression):
        assert time.time() < deadline, f"not true after {seconds} s: {expression}"
        time.sleep(0.1)


def open_pane(browser, live_server):
    wb = openpyxl.load_workbook(example_path("iet"))
    sheets = {"Record": used_range(wb["Record"]), "Plan": used_range(wb["Plan"])}
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server)
               else route.abort())                       # no network here: Office's CDN is not reachable
    data = base64.b64encode(example_path("iet").read_bytes()).decode()
    page.add_init_script(f"window.__sheets = {json.dumps(sheets)}; window.__file = {json.dumps(data)};" + FAKE_EXCEL)
    page.goto(f"{live_server}/addin/taskpane.html")
    return page


def test_check_shows_the_engines_review(browser, live_server, tmp_path):
    page = open_pane(browser, live_server)
    page.click("#check")
    wait_until(page, "document.querySelectorAll('#criteria tr').length > 1", 15.0)
    assert page.inner_text("#verdict") == "READY (score 100/100)"
    rows = page.eval_on_selector_all("#criteria tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert rows[0] == ["Criterion", "Status", "Reason", "Hint"]
    assert [r[1] for r in rows[1:]] == ["PASS"] * 7
    assert rows[3][2] == "46.9 of 30 hours"
    page.screenshot(path=str(tmp_path / "taskpane.png"))


def test_submit_sends_the_workbook_file_and_writes_the_receipt(browser, app, member_token, live_server):
    from sqlalchemy import select
    from sync_service import db
    from sync_service.store.models import Submission
    page = open_pane(browser, live_server)
    page.click("#submit")
    assert "Sign in first" in page.inner_text("#status")
    page.click("text=Or paste a token")
    page.fill("#token", member_token)
    page.click("#submit")
    wait_until(page, "document.getElementById('status').textContent.startsWith('Submitted')", 15.0)
    with app.app_context():
        stored = db.session().scalars(select(Submission)).all()
    assert len(stored) == 1
    sub = stored[0]
    data = example_path("iet").read_bytes()
    assert sub.digest == hashlib.sha256(data).hexdigest() == sub.idempotency_key
    assert sub.verdict == "ready" and sub.score == 100
    assert page.inner_text("#status") == f"Submitted: {sub.id} (queued)"
    writes = page.evaluate("window.__writes")
    assert writes["Record!I4"] == sub.id and writes["Record!I5"] == "queued"
    assert writes["Record!I7"] == "(awaiting the institution's receipt)"
    assert page.evaluate("localStorage.getItem('cpdToken')") == member_token
    page.click("#submit")                           # a second click: the same submission
    wait_until(page, f"document.getElementById('status').textContent === 'Submitted: {sub.id} (queued)'")
    with app.app_context():
        assert len(db.session().scalars(select(Submission)).all()) == 1


def test_check_writes_the_verdict_into_the_submission_area(browser, live_server):
    page = open_pane(browser, live_server)
    page.click("#check")
    wait_until(page, "Object.keys(window.__writes).length > 0", 15.0)
    assert re.fullmatch(r"READY \(100/100\) at .+", page.evaluate("window.__writes['Record!I3']"))


def test_the_panes_submission_cells_are_the_templates():
    from addin.form.layout import SUBMISSION_CELLS
    from sync_service.officejs.build import STATIC
    js = (STATIC / "taskpane.js").read_text()
    declared = dict(re.findall(r'(\w+): "([A-Z]+\d+)"', js.split("const SUBMISSION = ", 1)[1].split("};")[0]))
    assert declared == SUBMISSION_CELLS


def test_check_outside_excel_says_where_to_open_it(browser, live_server):
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server)
               else route.abort())
    page.goto(f"{live_server}/addin/taskpane.html")
    page.click("#check")
    assert page.inner_text("#status") == "Open this pane from the CPD tracker add-in in Excel."


def test_the_pane_signs_in_by_a_code_the_member_approves_in_the_browser(browser, app, member_token, live_server):
    import re
    page = open_pane(browser, live_server)
    page.click("#sign-in")
    page.wait_for_selector("#device:not([hidden])")
    code = page.inner_text("#device-code")
    link = page.get_attribute("#device-link", "href")
    assert link == f"{live_server}/device?user_code={code}"
    member = app.test_client()                        # the member's browser, signed in
    csrf = re.search(rb'name="csrf" value="([^"]+)"', member.get("/login").data).group(1).decode()
    assert member.post("/login", data={"token": member_token, "csrf": csrf}).status_code == 302
    shown = member.get(link.replace(live_server, ""))
    csrf = re.search(rb'name="csrf" value="([^"]+)"', shown.data).group(1).decode()
    approved = member.post("/device", data={"csrf": csrf, "user_code": code, "decision": "approve"})
    assert approved.status_code == 200 and b"the CPD add-in for Excel is connected" in approved.data
    wait_until(page, "document.getElementById('status').textContent.startsWith('Signed in')", 20.0)
    token = page.evaluate("localStorage.getItem('cpdToken')")
    assert token.startswith("cpd_") and token != member_token
    page.click("#submit")
    wait_until(page, "document.getElementById('status').textContent.startsWith('Submitted')", 15.0)


def test_bring_in_writes_the_phones_activities_into_the_workbook(browser, app, member_token, live_server):
    import urllib.request

    def api(method, path, body=None, raw=None):
        req = urllib.request.Request(f"{live_server}{path}", method=method, data=raw or (
            json.dumps(body).encode() if body is not None else None), headers={
            "Authorization": f"Bearer {member_token}",
            "Content-Type": "application/json" if raw is None else
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read() or b"{}")

    record = api("POST", "/api/v1/records", raw=example_path("iet").read_bytes())["id"]
    api("POST", f"/api/v1/records/{record}/inbox", {"title": "Site visit: bearings", "start_date": "2025-06-02",
                                                    "hours": 2, "status": "Draft", "category": "Work experience"})
    page = open_pane(browser, live_server)
    page.click("text=Or paste a token")
    page.fill("#token", member_token)
    page.click("#bring-in")
    wait_until(page, "document.getElementById('status').textContent.startsWith('Brought in')")
    assert page.text_content("#status") == "Brought in 1 activity from your phone (row 18)."
    (row,) = page.evaluate("window.__writes['Record!A18:Q18']")
    assert row[0] == 45810 and row[2] == "Site visit: bearings" and row[9] == 2 and row[16] == "Draft"
    assert "added from your phone (in_" in row[12]
    assert api("GET", f"/api/v1/records/{record}/inbox")["items"] == []
