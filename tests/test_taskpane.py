"""The Office task pane in a real headless Chromium, against the running service.

Excel itself is not here, so the page gets a stand-in ``Excel.run`` that hands it the example
workbook's Record and Plan sheets in the shape Office.js gives them (dates as serial numbers,
blanks as ""). Everything else is real: the page, its scripts, the HTTP calls, the service and
the engine. Submit goes to a local test receiver until the sync service's submission API exists.
"""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime

import openpyxl
import pytest
from flask import jsonify, request

from workbook_templates import example_path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EXCEL_EPOCH = datetime(1899, 12, 30)


def used_range(ws):
    def cell(v):
        return (v - EXCEL_EPOCH).days if isinstance(v, datetime) else ("" if v is None else v)
    return [[cell(c.value) for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row)]


FAKE_EXCEL = """
window.Excel = { run: async (fn) => fn({
  workbook: { worksheets: { getItemOrNullObject: (name) => {
    const values = window.__sheets[name] || [];
    return { isNullObject: false, getUsedRangeOrNullObject: () => ({
      isNullObject: false, values: values, rowIndex: 0, load: () => {} }) };
  } } },
  sync: async () => {},
}) };
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
def submissions(app):
    """A local test receiver for Submit, on the same test service."""
    received = []

    @app.post("/api/v1/submissions")
    def receive():
        received.append({"auth": request.headers.get("Authorization"), "body": request.get_json()})
        return jsonify(id="sub_test_1", status="queued"), 202
    return received


def open_pane(browser, live_server):
    wb = openpyxl.load_workbook(example_path("iet"))
    sheets = {"Record": used_range(wb["Record"]), "Plan": used_range(wb["Plan"])}
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server)
               else route.abort())                       # no network here: Office's CDN is not reachable
    page.add_init_script(f"window.__sheets = {json.dumps(sheets)};" + FAKE_EXCEL)
    page.goto(f"{live_server}/addin/taskpane.html")
    return page


def test_check_shows_the_engines_review(browser, submissions, live_server, tmp_path):
    page = open_pane(browser, live_server)
    page.click("#check")
    page.wait_for_function("document.querySelectorAll('#criteria tr').length > 1", timeout=15000)
    assert page.inner_text("#verdict") == "READY (score 100/100)"
    rows = page.eval_on_selector_all("#criteria tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert rows[0] == ["Criterion", "Status", "Reason", "Hint"]
    assert [r[1] for r in rows[1:]] == ["PASS"] * 7
    assert rows[3][2] == "46.9 of 30 hours"
    page.screenshot(path=str(tmp_path / "taskpane.png"))


def test_submit_needs_a_token_then_sends_the_record(browser, submissions, live_server):
    page = open_pane(browser, live_server)
    page.click("#submit")
    assert "Enter your CPD service token" in page.inner_text("#status")
    page.fill("#token", "cpd_test_token")
    page.click("#submit")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Submitted')", timeout=15000)
    assert page.inner_text("#status") == "Submitted: sub_test_1 (queued)"
    assert submissions[0]["auth"] == "Bearer cpd_test_token"
    assert submissions[0]["body"]["record"][2][1] == "Alex Morgan"
    assert page.evaluate("localStorage.getItem('cpdToken')") == "cpd_test_token"


def test_check_outside_excel_says_where_to_open_it(browser, live_server):
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server)
               else route.abort())
    page.goto(f"{live_server}/addin/taskpane.html")
    page.click("#check")
    assert page.inner_text("#status") == "Open this pane from the CPD tracker add-in in Excel."
