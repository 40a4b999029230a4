"""The member's pages in a real headless Chromium against the running service (``cpd serve``, the
production server), on SQLite and PostgreSQL: sign in, upload the example, a ``cpd worker`` delivers it
to the reference receiver (``cpd receiver``), and the receipt shows."""
from __future__ import annotations

import json
import subprocess

from ports import free_port, wait_for_port
from sync_service import signing
from conftest import member_token
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)
from workbook_templates import example_path


def signed_in_page(context, base: str, token: str):
    """A page of ``context`` that reaches only the service, signed in with ``token`` on its dashboard."""
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page.goto(base + "/")
    assert page.url.endswith("/login")
    page.click("text=Sign in with an access token")
    page.fill("input[name=token]", token)
    page.click("details input[type=submit]")
    page.wait_for_url(base + "/")
    return page


def test_member_submits_through_the_page_and_sees_the_receipt(browser, served, tmp_path):  # noqa: F811
    server = served("--workers", "2", "--threads", "2")
    base = server.url
    secret = signing.new_secret()
    port = free_port()
    inst = subprocess.Popen([*server.cpd, "receiver", "--port", str(port), "--secret", secret,
                             "--database", str(tmp_path / "i.sqlite3")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        page = signed_in_page(browser, base, server.token)
        page.set_input_files("input[name=workbook]", str(example_path("iet")))
        page.click("text=Upload and submit")
        page.wait_for_selector("#verdict")
        assert page.inner_text("#verdict") == "Ready — score 100/100"
        rows = page.eval_on_selector_all("#criteria tr", "rows => rows.map(r => r.cells[1].textContent)")
        assert rows == ["Result"] + ["PASS"] * 7
        assert page.inner_text("#delivery") == "queued"
        wait_for_port(port, inst)                     # the receiver is up
        worker = subprocess.run([*server.cpd, "worker", "--once", "--endpoint",
                                 f"http://127.0.0.1:{port}/cpd/submissions", "--secret", secret],
                                env=server.env, capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0 and "1 deliveries tried" in worker.stdout, worker.stdout + worker.stderr
        events = [json.loads(line) for line in worker.stderr.splitlines() if line.startswith("{")]
        assert [e["status"] for e in events if e.get("event") == "delivery"] == ["delivered"]   # its JSON log line
        page.reload()
        assert page.inner_text("#delivery") == "delivered" and page.inner_text("#receipt").startswith("rcpt_")
        page.screenshot(path=str(tmp_path / "submission.png"), full_page=True)
        page.click("text=← Your submissions")
        assert page.inner_text("#submissions .receipt").startswith("rcpt_")
    finally:
        inst.terminate()
        inst.wait(10)


def test_no_page_scrolls_sideways_on_a_phone(browser, served, tmp_path):  # noqa: F811
    """At 390 px wide (a phone), every page fits: tables scroll inside their card, never the page.
    Screenshots of each page are kept beside the test."""
    server = served("--workers", "1", "--threads", "2")
    base = server.url
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = signed_in_page(context, base, server.token)
    page.set_input_files("#records input[name=workbook]", str(example_path("iet")))
    page.click("text=Upload and check")
    page.wait_for_selector("#verdict")
    record = page.url
    page.fill("#mentors input[name=email]", "sam.patel@example.org")
    page.click("text=Share this record")
    page.wait_for_selector("#invitation")
    page.goto(record)
    page.click("text=Submit to the institution")
    page.wait_for_selector("#delivery")
    submission = page.url
    import subprocess
    made = subprocess.run([*server.cpd, "admin", "make-admin", "served@example.org"], env=server.env,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    member_id = made.stdout.split()[0]
    pages = (("dashboard", base + "/"), ("record", record), ("submission", submission),
             ("mentees", base + "/mentees"), ("audit", base + "/audit"), ("login", base + "/login"),
             ("settings", base + "/settings"), ("device", base + "/device?user_code=BCDF-GHJK"),
             ("members", base + "/admin/members"), ("member", f"{base}/admin/members/{member_id}"),
             ("admin-audit", base + "/admin/audit"), ("report", record + "/report.html"), ("add", record + "/add"),
             ("trends", base + "/trends"), ("group-view", base + "/admin/stats"), ("admin", base + "/admin"))
    for name, url in pages:
        page.goto(url)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= page.evaluate("window.innerWidth"), (name, wide)
        page.screenshot(path=str(tmp_path / f"390-{name}.png"), full_page=True)
    stranger = context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    stranger.goto(base + "/login")
    stranger.fill("input[name=email]", "someone@example.org")
    stranger.click("text=E-mail me a sign-in link")
    stranger.wait_for_selector("text=Check your e-mail")
    assert stranger.evaluate("document.documentElement.scrollWidth") <= 390
    assert stranger.evaluate("document.documentElement.scrollWidth") <= stranger.evaluate("window.innerWidth")
    stranger.screenshot(path=str(tmp_path / "390-link-sent.png"), full_page=True)
    page.goto(base + "/")
    text = page.inner_text("#record-list")
    assert "IET, 1 Jan 2025 to 31 Dec 2025" in text and "UTC" in text and "T0" not in text   # as people write them


def test_an_upload_error_is_shown_once_in_the_box_of_the_form_that_sent_it(browser, served, tmp_path):  # noqa: F811
    """'Upload and check' refused: the error is under that form (not under 'Submit your CPD record'),
    announced (role=alert), and says the cell once."""
    import shutil
    from conftest import fill_workbook
    server = served("--workers", "1", "--threads", "2")
    bad = tmp_path / "bad.xlsx"
    shutil.copy(example_path("iet"), bad)
    fill_workbook(bad, [{"start_date": "next Tuesday", "title": "Course", "hours": 3}])
    page = signed_in_page(browser, server.url, server.token)
    page.set_input_files("#records input[name=workbook]", str(bad))
    page.click("text=Upload and check")
    error = page.locator("#records #record-error")
    error.wait_for()
    assert error.get_attribute("role") == "alert"
    text = error.inner_text()
    assert text.count("Record!A10") == 1 and "next Tuesday" in text, text
    assert page.locator("#upload-error").count() == 0
    page.screenshot(path=str(tmp_path / "record-error.png"), full_page=True)


def test_the_sheets_section_shows_the_address_to_share_with_and_copies_it(browser, app, live_server, fake_sheets):  # noqa: F811
    token = member_token(app, "sheets-owner@example.org")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = signed_in_page(context, live_server, token)
    assert page.inner_text("#share-with") == fake_sheets.email
    page.click("text=Copy the address")
    page.locator("#share-with-copied").filter(has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == fake_sheets.email
    assert page.locator("#sheets input[name=sheet]").count() == 1


def test_without_a_sheets_account_the_page_says_so_without_an_operators_setting(browser, app, live_server,  # noqa: F811
                                                                                monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    token = member_token(app, "no-sheets@example.org")
    page = signed_in_page(browser.new_context(), live_server, token)
    text = page.inner_text("#sheets")
    assert "does not read Google Sheets itself" in text and "GOOGLE_APPLICATION_CREDENTIALS" not in text
    assert page.locator("#sheets input[name=sheet]").count() == 0


def test_times_are_shown_in_the_browsers_time_zone_or_the_members_own(browser, served, tmp_path):  # noqa: F811
    server = served("--workers", "1", "--threads", "2")
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    page = signed_in_page(context, server.url, server.token)
    page.set_input_files("#records input[name=workbook]", str(example_path("iet")))
    page.click("text=Upload and check")
    page.wait_for_selector("#verdict")
    page.goto(server.url + "/")
    updated = page.locator("#record-list time")
    utc = updated.get_attribute("datetime")
    shown = page.evaluate("t => new Date(t).toLocaleString('en-US', {timeZone: 'America/New_York', day: 'numeric', "
                          "month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'})",
                          utc)
    assert updated.inner_text() == shown and "EST" in shown and "UTC" not in updated.inner_text()
    page.goto(server.url + "/settings")
    page.select_option("select[name=zone]", "Europe/Paris")
    page.click("text=Save the time zone")
    page.wait_for_url("**/settings#time-zone")
    assert page.locator("select[name=zone] option:checked").inner_text() == "Europe/Paris"
    page.goto(server.url + "/")
    updated = page.locator("#record-list time")
    assert updated.get_attribute("data-zone") == "set" and updated.inner_text().endswith(" CET")
    from datetime import datetime
    from zoneinfo import ZoneInfo
    paris = datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Paris"))
    assert updated.inner_text() == f"{paris.day} {paris:%b %Y}, {paris:%H:%M} CET"
    page.goto(server.url + "/settings")
    page.select_option("select[name=zone]", "")
    page.click("text=Save the time zone")
    page.goto(server.url + "/")
    assert page.locator("#record-list time").inner_text() == shown        # back to the browser's


def test_a_records_versions_say_what_changed_and_the_verdict_before_and_after(browser, served, tmp_path):  # noqa: F811
    import shutil
    import openpyxl
    server = served("--workers", "1", "--threads", "2")
    page = signed_in_page(browser.new_context(), server.url, server.token)

    def upload(path) -> list[str]:
        """Upload a workbook on the home page; the record's versions, newest first."""
        page.goto(server.url + "/")
        page.set_input_files("#records input[name=workbook]", str(path))
        page.click("text=Upload and check")
        page.wait_for_selector("#version-list")
        rows = page.locator("#version-list tr[id^=version-]")
        return [rows.nth(i).inner_text() for i in range(rows.count())]

    first = tmp_path / "first.xlsx"
    shutil.copy(example_path("iet"), first)
    wb = openpyxl.load_workbook(first)
    ws = wb["Record"]
    for col in range(1, ws.max_column + 1):           # three activities fewer (rows 14, 16, 17): 26.7 hours
        for row in (14, 16, 17):
            ws.cell(row=row, column=col).value = None
    wb.save(first)
    upload(first)
    upload(example_path("iet"))
    second = tmp_path / "second.xlsx"
    shutil.copy(example_path("iet"), second)
    wb = openpyxl.load_workbook(second)
    ws = wb["Record"]
    ws["E10"] = "Learnt converter topologies; now applied to the new charger too."     # changed
    for col in range(1, ws.max_column + 1):           # Presenting to the project board removed
        ws.cell(row=12, column=col).value = None
    wb.save(second)
    versions = upload(second)
    assert len(versions) == 3
    newest, middle, oldest = versions
    assert "the first version" in oldest and "NOT READY" in oldest
    assert ("3 activities added: Functional safety e-learning; Mentoring a graduate engineer; Module: control of "
            "power converters") in middle
    assert "NOT READY (" in middle and "→ READY (100/100)" in middle
    assert "1 activity changed: Power electronics design course" in newest
    assert "1 activity removed: Presenting to the project board" in newest
    respaced = tmp_path / "respaced.xlsx"                # the same words, spaced otherwise: prose is kept as typed
    wb = openpyxl.load_workbook(second)
    wb["Record"]["E10"] = "Learnt converter  topologies;\tnow applied to the new charger too."
    wb.save(respaced)
    versions = upload(respaced)
    assert len(versions) == 4
    assert "no activity changed (the header, the plan or only spacing did)" in versions[0]
    page.screenshot(path=str(tmp_path / "versions.png"), full_page=True)
