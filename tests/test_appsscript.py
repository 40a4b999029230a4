"""The Google Sheets Apps Script (CPD menu, custom functions) under node, against the real running service."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from addin.readiness import assess
from addin.workbook.reader import read_workbook
from sync_service import db
from sync_service.store.accounts import create_member, issue_token
from sync_service.store.models import ApiToken, Submission
from workbook_templates import example_path

HERE = Path(__file__).parent / "appsscript"
SCRIPT = Path(__file__).resolve().parent.parent / "workbook_templates" / "google-sheets"


def node() -> str:
    found = shutil.which("node")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Node.js is required in CI for the Apps Script tests")
    pytest.skip("Node.js is not installed: the Apps Script tests are skipped")


def sheet_values(path: Path) -> dict:
    """The Record and Plan sheets as Apps Script's getValues() gives them (dates as dates)."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for name in ("Record", "Plan"):
        rows = []
        for row in wb[name].iter_rows(values_only=True):
            rows.append([{"$date": v.date().isoformat()} if isinstance(v, datetime) else
                         {"$date": v.isoformat()} if isinstance(v, date) else ("" if v is None else v) for v in row])
        out[name] = rows
    return out


def run(scenario: dict, tmp_path: Path) -> dict:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    res = subprocess.run([node(), str(HERE / "harness.js"), str(path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def member_token(app):
    with app.app_context():
        session = db.session()
        token = issue_token(session, create_member(session, "sheets@example.org"))
        session.commit()
    return token


def scenario(url, token, steps, **extra):
    example = example_path("iet")
    return {"spreadsheet_id": "1" * 44, "export_file": str(example), "sheets": sheet_values(example),
            "prompts": [{"button": "OK", "text": url}, {"button": "OK", "text": token}], "steps": steps, **extra}


def test_every_script_file_parses():
    exe = node()
    for f in sorted(SCRIPT.glob("*.gs")):
        res = subprocess.run([exe, "-e", "new (require('vm').Script)(require('fs').readFileSync(process.argv[1], 'utf8'), "
                                        "{filename: process.argv[1]})", str(f)], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
    manifest = json.loads((SCRIPT / "appsscript.json").read_text())
    assert manifest["runtimeVersion"] == "V8"


def test_the_add_on_asks_for_this_spreadsheet_its_menus_the_service_and_the_e_mail_only():
    """No Drive scope: the consent screen says 'this spreadsheet', never 'all your Google Drive files'; and
    each scope is one the script uses."""
    manifest = json.loads((SCRIPT / "appsscript.json").read_text())
    auth = "https://www.googleapis.com/auth/"
    assert sorted(manifest["oauthScopes"]) == sorted(auth + s for s in (
        "spreadsheets.currentonly", "script.container.ui", "script.external_request", "userinfo.email"))
    code = "\n".join(f.read_text() for f in SCRIPT.glob("*.gs"))
    assert "DriveApp" not in code and "docs.google.com" not in code and "getOAuthToken" not in code
    assert "UrlFetchApp.fetch" in code and "showSidebar" in code and "Session.getActiveUser().getEmail()" in code
    assert "SpreadsheetApp.openById" not in code and "SpreadsheetApp.openByUrl" not in code   # this spreadsheet only
    assert "function onInstall(e)" in code and "createAddonMenu()" in code


def test_every_script_file_passes_eslint():
    """ESLint's recommended rules, with each file's use of another's functions declared (tests/appsscript)."""
    node()
    eslint = HERE / "node_modules" / ".bin" / "eslint"
    if not eslint.exists():
        if os.environ.get("CI"):
            pytest.fail("ESLint is required in CI (.ci/run runs npm install in tests/appsscript)")
        pytest.skip("ESLint is not installed (cd tests/appsscript && npm install): the Apps Script lint is skipped")
    res = subprocess.run([str(eslint), "-c", str(HERE / "eslint.config.js"), *sorted(p.name for p in SCRIPT.glob("*.gs"))],
                         cwd=SCRIPT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def posted_ranges(out) -> list[dict]:
    return [r for r in out["requests"] if r["url"].endswith("/api/v1/submissions")]


def test_menu_set_up_check_and_submit_against_the_service(app, live_server, member_token, tmp_path):
    out = run(scenario(live_server, member_token, ["onOpen", "cpdSetUp", "cpdCheck", "cpdSubmit", "cpdSubmit"],
                       answers=["YES", "YES"], google_email="sheets@example.org"), tmp_path)
    assert out["sidebar"], out["alerts"]
    assert out["menu"][0]["name"] == "(add-on)"                         # Extensions > CPD tracker
    assert [label for label, _ in out["menu"][0]["items"]] == ["Check readiness", "Submit", "Bring in new activities",
                                                         "Set up"]
    assert out["properties"] == {"CPD_SERVICE_URL": live_server, "CPD_TOKEN": member_token}
    read = read_workbook(example_path("iet"))
    result = assess(read.require(), read.profile)
    assert f"READY ({result.score}/100)" in out["sidebar"]
    for c in result.criteria:
        assert c.title in out["sidebar"]
    assert out["writes"]["Record!I3"].startswith(f"READY ({result.score}/100) at ")
    # Submit asks first, with the verdict, every time
    assert [q["text"].splitlines()[0] for q in out["questions"]] == [f"Readiness: READY ({result.score}/100)."] * 2
    assert not any("docs.google.com" in r["url"] for r in out["requests"])      # no Drive: the sheet's ranges
    posts = posted_ranges(out)
    keys = {r["headers"]["Idempotency-Key"] for r in posts}
    assert len(posts) == 2 and len(keys) == 1, out["alerts"]
    assert all(r["headers"]["Content-Type"] == "application/json" for r in posts)
    assert all(r["headers"]["Authorization"] == f"Bearer {member_token}" for r in posts)
    with app.app_context():
        subs = db.session().scalars(select(Submission)).all()
        assert len(subs) == 1, out["alerts"]
        assert subs[0].digest == keys.pop() and subs[0].verdict == "ready"
        received = subs[0].received_at
    assert out["writes"]["Record!I4"] == subs[0].id and out["writes"]["Record!I5"] == "waiting to be delivered"
    # the time as a date cell, which Sheets shows in the member's own locale and time zone
    assert datetime.fromisoformat(out["writes"]["Record!I6"]["$datetime"].replace("Z", "+00:00")).replace(
        tzinfo=None) == received.replace(microsecond=received.microsecond // 1000 * 1000)
    assert out["formats"]["Record!I6"] == "d mmm yyyy h:mm"
    assert out["alerts"][-1].startswith(f"Submitted: {subs[0].id}")
    assert "with your account for sheets@example.org" in out["prompts_seen"][1]   # the e-mail scope's one use
    assert member_token not in json.dumps(out["writes"])                # the token never goes into the sheet


def test_submit_on_a_not_ready_sheet_asks_and_sends_nothing_on_no(app, live_server, member_token, tmp_path):
    values = sheet_values(example_path("iet"))
    values["Record"] = values["Record"][:11]                            # two activities: far short of the hours
    steps = ["cpdSetUp", "cpdSubmit"]
    out = run(scenario(live_server, member_token, steps, answers=["NO"]) | {"sheets": values}, tmp_path)
    question = out["questions"][0]["text"]
    assert question.startswith("Readiness: NOT READY") and "Not met:" in question and "FAIL" in question
    assert question.endswith("Submit this record to your institution now?")
    assert out["alerts"][-1] == "Nothing was sent." and not posted_ranges(out)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Submission)) == 0


def test_check_brings_the_delivery_and_the_receipt_into_the_sheet(app, live_server, member_token, receiver_server,
                                                                  tmp_path):
    from conftest import RECEIVER_SECRET
    from sync_service.jobs.delivery import Endpoint, run_once
    out = run(scenario(live_server, member_token, ["cpdSetUp", "cpdSubmit"], answers=["YES"]), tmp_path)
    sub_id = out["writes"]["Record!I4"]
    assert out["writes"]["Record!I7"] == "(follows once delivered)"
    assert run_once(app.extensions["cpd_sessions"], Endpoint(receiver_server[0], (RECEIVER_SECRET,))) == "delivered"
    values = sheet_values(example_path("iet"))
    values["Record"][3][8] = sub_id                                     # the Submission area as Submit left it
    out = run(scenario(live_server, member_token, ["cpdSetUp", "cpdCheck"]) | {"sheets": values}, tmp_path)
    with app.app_context():
        receipt_id = db.session().get(Submission, sub_id).delivery.receipt_id
    assert receipt_id and out["writes"]["Record!I5"] == "delivered" and out["writes"]["Record!I7"] == receipt_id


def test_a_refused_token_and_a_missing_set_up_are_explained(app, live_server, member_token, tmp_path):
    out = run(scenario(live_server, "cpd_wrong", ["cpdSetUp", "cpdSubmit"], answers=["YES"]), tmp_path)
    assert "did not accept your token" in out["alerts"][-1]
    out = run(scenario(live_server, member_token, ["cpdCheck"], prompts=[]), tmp_path)
    assert out["alerts"] == ["Set up first: Extensions > CPD tracker > Set up (your service's address and your token)."]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Submission)) == 0


def test_custom_functions_call_the_service_and_cache_the_answer(app, live_server, member_token, tmp_path):
    values = sheet_values(example_path("iet"))
    activities = values["Record"][8:]
    steps = [{"name": "hours", "call": "CPD_HOURS", "args": [activities, {"$date": "2025-01-01"}, {"$date": "2025-12-31"}]},
             {"name": "again", "call": "CPD_HOURS", "args": [activities, {"$date": "2025-01-01"}, {"$date": "2025-12-31"}]},
             {"name": "target", "call": "CPD_TARGET", "args": ["iet", "Partially active"]}]
    out = run(scenario(live_server, member_token, steps, properties={"CPD_SERVICE_URL": live_server}), tmp_path)
    read = read_workbook(example_path("iet"))
    assert out["results"]["hours"] == pytest.approx(assess(read.require(), read.profile).totals.hours)
    assert out["results"]["again"] == out["results"]["hours"]
    assert out["results"]["target"] == 10
    fn_calls = [r for r in out["requests"] if "/api/v1/functions/" in r["url"]]
    assert [r["url"].rsplit("/", 1)[-1] for r in fn_calls] == ["HOURS", "TARGET"]      # the repeat came from the cache


def approve_when_asked(app, token: str, seen: dict) -> None:
    """Play the member: signed in with ``token``, approve the first code the script shows, on the page."""
    import re
    import time

    from sync_service.store.models import DeviceCode
    client = app.test_client()
    page = client.get("/login").data
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
    assert client.post("/login", data={"token": token, "csrf": csrf}).status_code == 302
    deadline = time.time() + 60
    while time.time() < deadline:
        with app.app_context():
            code = db.session().scalar(select(DeviceCode.user_code).where(DeviceCode.decided_at.is_(None)))
        if code:
            seen["code"] = code
            shown = client.get(f"/device?user_code={code}").data
            csrf = re.search(rb'name="csrf" value="([^"]+)"', shown).group(1).decode()
            seen["status"] = client.post("/device", data={"csrf": csrf, "user_code": code,
                                                          "decision": "approve"}).status_code
            return
        time.sleep(0.2)


def test_set_up_by_approving_a_code_in_the_browser(app, live_server, member_token, tmp_path):
    import threading
    seen: dict = {}
    member = threading.Thread(target=approve_when_asked, args=(app, member_token, seen))
    member.start()
    out = run(scenario(live_server, "", ["cpdSetUp", "cpdSubmit"], answers=["YES"]), tmp_path)
    member.join(60)
    assert seen.get("status") == 200, seen
    token = out["properties"]["CPD_TOKEN"]
    assert token.startswith("cpd_") and token != member_token            # a token of its own
    assert out["alerts"][0].startswith("Saved for you only")
    assert out["alerts"][-1].startswith("Submitted: ")
    with app.app_context():
        names = db.session().scalars(select(ApiToken.name)).all()
    assert any(n and n.startswith("the CPD menu in Google Sheets") for n in names)


def test_bring_in_writes_the_activities_added_from_a_phone_in_one_set_values(app, live_server, member_token,
                                                                             tmp_path):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {member_token}"}
    out = run(scenario(live_server, member_token, ["cpdSetUp", "cpdBringIn"]), tmp_path)
    assert out["alerts"][-1].startswith("Your CPD service has no record for this sheet's profile and period yet")
    assert client.post("/api/v1/records", data=example_path("iet").read_bytes(), headers=headers).status_code == 201
    record = client.get("/api/v1/records", headers=headers).json["records"][0]["id"]
    for title, day, status in (("Site visit: bearings", "2025-06-02", "Draft"), ("Webinar: fatigue", "2025-07-01",
                                                                                  "Confirmed")):
        res = client.post(f"/api/v1/records/{record}/inbox", headers=headers, json={
            "title": title, "start_date": day, "hours": 1.5, "status": status, "category": "Work experience"})
        assert res.status_code == 201 and res.json["where"] == "inbox", res.json
    out = run(scenario(live_server, member_token, ["cpdSetUp", "cpdBringIn", "cpdBringIn"]), tmp_path)
    assert out["set_values"] == 1
    assert out["writes"]["Record!C18"] == "Site visit: bearings" and out["writes"]["Record!C19"] == "Webinar: fatigue"
    assert out["writes"]["Record!A18"]["$datetime"].startswith("2025-06-02")      # a date, not text
    assert out["writes"]["Record!Q18"] == "Draft" and out["writes"]["Record!J19"] == 1.5
    assert "added from your phone (in_" in out["writes"]["Record!M18"]
    assert out["alerts"][-2].startswith("Brought in 2 activities from your phone (row 18 on)")
    assert out["alerts"][-1] == "Nothing new to bring in."
    assert client.get(f"/api/v1/records/{record}/inbox", headers=headers).json["items"] == []


def test_the_ranges_a_sheet_sends_are_read_as_its_own_cells(app, member_token):
    """What Submit posts, straight to the API: read by the core's reader, a bad value named by the sheet's
    own cell; anything else than the three ranges refused with what to send."""
    serial = lambda v: (date.fromisoformat(v["$date"]) - date(1899, 12, 30)).days if isinstance(v, dict) else v  # noqa: E731
    values = {k: [[serial(v) for v in row] for row in rows] for k, rows in sheet_values(example_path("iet")).items()}
    body = {"record": [row[:6] for row in values["Record"][2:7]], "activities": values["Record"][8:],
            "plan": values["Plan"][3:]}
    headers = {"Authorization": f"Bearer {member_token}"}
    client = app.test_client()
    good = body["activities"][2][0]
    body["activities"][2][0] = "next Tuesday"                          # Record!A11
    res = client.post("/api/v1/submissions", json=body, headers=headers)
    assert res.status_code == 422 and (res.json["error"]["sheet"], res.json["error"]["cell"]) == ("Record", "A11")
    assert "next Tuesday" in res.json["error"]["message"] and "Record!" not in res.json["error"]["message"]
    for bad in ({"record": "A3:F7"}, {"record": [], "activities": [1, 2]}, [1]):
        res = client.post("/api/v1/submissions", json=bad, headers=headers)
        assert res.status_code == 400 and res.json["error"]["code"] == "bad_arguments", res.json
    body["activities"][2][0] = good
    res = client.post("/api/v1/submissions", json=body, headers=headers)
    assert res.status_code == 201 and res.json["verdict"] == "ready", res.json
