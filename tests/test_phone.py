"""Adding an activity from a phone: the page (in headless Chromium at 390 px, a certificate filling the
form), the activity checked by the core's intake, written at once into a linked Google Sheet (the loopback
Sheets fake: one RAW write) or kept in a workbook record's inbox until `cpd pull` writes it into the
workbook with its certificate as evidence; pulling again adds nothing."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from addin.workbook.reader import read_workbook
from certificates import PDH_ETHICS, write_pdf
from conftest import prove_link, sheet_url
from sync_service import db
from sync_service.store.models import InboxItem
from test_pages import sign_in
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()
SHOTS = Path("/tmp/cpd-phone-screens")


def auth(service, who="a"):
    return {"Authorization": f"Bearer {service.config['TOKENS'][who]}"}


def workbook_record(service, who="a") -> str:
    res = service.test_client().post("/api/v1/records", data=EXAMPLE, headers=auth(service, who))
    assert res.status_code in (200, 201), res.json
    return res.json["id"]


def phone(browser, base: str, token: str):
    """A page as a phone shows it (390 x 844 CSS pixels, touch), signed in with ``token``."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    page.goto(f"{base}/login")
    page.click("text=Sign in with an access token")
    page.fill("input[name=token]", token)
    page.click("details input[type=submit]")
    page.wait_for_url(base + "/")
    return page


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Path:
    return write_pdf(PDH_ETHICS.replace("12 March 2026", "12 March 2025"),
                     tmp_path_factory.mktemp("cert") / "ethics-certificate.pdf")


def test_an_activity_from_the_page_waits_in_the_inbox_and_cpd_pull_brings_it_in(service, served_service, cpd,
                                                                                tmp_path, monkeypatch, certificate):
    app, base = served_service
    record = workbook_record(app)
    client = app.test_client()
    token = sign_in(client, app.config["TOKENS"]["a"])
    page = client.get(f"/records/{record}/add")
    assert page.status_code == 200 and b'capture="environment"' in page.data
    # the certificate fills the form: what it states, and what it does not
    read = client.post(f"/records/{record}/add/certificate", data={
        "csrf": token, "certificate": (certificate.open("rb"), "ethics-certificate.pdf")},
        content_type="multipart/form-data")
    assert read.status_code == 200
    photo = client.post(f"/records/{record}/add/certificate", headers={"Accept": "application/json"}, data={
        "csrf": token, "certificate": (io.BytesIO(b"\xff\xd8\xff\xe0 a photo"), "IMG_0001.jpg")},
        content_type="multipart/form-data")
    assert photo.status_code == 422 and photo.json["error"]["code"] == "capture_unsupported"
    assert "the photo is kept as the activity's evidence" in photo.json["error"]["message"]
    assert read.json["values"] == {"title": "Professional Ethics for Engineers: Case Studies",
                                   "provider": "Carolina PDH Institute", "instructor": "Dr. Jordan Price, PE",
                                   "start_date": "2025-03-12", "hours": 1.5}
    # a bad value is named, nothing kept
    bad = client.post(f"/records/{record}/add", data={"csrf": token, "title": "x", "start_date": "2025-03-12",
                                                      "hours": "abc", "status": "Draft"})
    assert bad.status_code == 422 and b"hours must be a number" in bad.data
    added = client.post(f"/records/{record}/add", data={
        "csrf": token, "title": "Professional Ethics for Engineers: Case Studies", "start_date": "2025-03-12",
        "hours": "1.5", "category": "Training courses", "provider": "Carolina PDH Institute",
        "reflection": "What? Ethics cases. So what? Conflicts of interest. Now what? Declare them.",
        "status": "Draft", "certificate": (certificate.open("rb"), "ethics-certificate.pdf")},
        content_type="multipart/form-data")
    assert added.status_code == 201 and b"cpd pull" in added.data
    items = client.get(f"/api/v1/records/{record}/inbox", headers=auth(app)).json["items"]
    assert len(items) == 1 and items[0]["evidence"]["kind"] == "pdf"
    assert client.get(f"/api/v1/records/{record}/inbox", headers=auth(app, "b")).status_code == 404
    # cpd pull writes it into the workbook, as a draft, with the certificate kept beside it
    log = tmp_path / "record.xlsx"
    log.write_bytes(EXAMPLE)
    monkeypatch.setenv("CPD_CONFIG", str(tmp_path / "config.toml"))
    assert cpd("login", "--url", base, "--token", app.config["TOKENS"]["a"]).exit_code == 0
    res = cpd("pull", log)
    assert res.exit_code == 0, res.output
    assert "Brought 1 activity from your phone into record.xlsx (row 18); 1 of them drafts" in res.output
    after = read_workbook(log)
    (draft,) = after.record.drafts
    assert draft.title == "Professional Ethics for Engineers: Case Studies" and draft.hours == 1.5
    assert draft.evidence.startswith("record-evidence/ethics-certificate-") and items[0]["id"] in draft.description
    assert (tmp_path / "record-evidence").is_dir()
    assert "Evidence:" not in cpd("check", log).output                    # the kept file is there, unchanged
    with app.app_context():
        assert db.session().query(InboxItem).count() == 0
    assert cpd("pull", log).stdout.startswith("Nothing new to bring into record.xlsx")
    assert len(read_workbook(log).record.drafts) == 1


def test_an_activity_goes_into_a_linked_sheet_at_once_in_one_write(service, fake_sheets):
    client = service.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "writer"}, title="Alex's CPD")
    prove_link(lambda method, path, json=None: client.open(path, method=method, json=json, headers=auth(service)),
               book, via="/api/v1/records")
    res = client.post("/api/v1/records", json={"sheet": sheet_url(book)}, headers=auth(service))
    assert res.status_code in (200, 201) and res.json["source"] == "sheet", res.json
    record = res.json["id"]
    writes_before = sum(1 for c in fake_sheets.calls if c[1].endswith("values:batchUpdate"))
    added = client.post(f"/api/v1/records/{record}/inbox", headers=auth(service), json={
        "title": "Site visit: bridge bearings", "start_date": "2025-06-02", "hours": 2, "status": "Confirmed",
        "category": "Work experience"})
    assert added.status_code == 201 and added.json == {"where": "sheet", "row": 18}
    writes = [c for c in fake_sheets.calls if c[1].endswith("values:batchUpdate")]
    assert len(writes) == writes_before + 1                                  # one request
    cells = book.sheets["Record"].cells
    assert cells[(18, 3)].value == "Site visit: bridge bearings"
    assert cells[(18, 1)].value == 45810                                    # 2 Jun 2025 as a date serial: RAW
    assert cells[(18, 10)].value == 2
    again = client.post(f"/api/v1/records/{record}/check", headers=auth(service))
    assert again.status_code == 200
    detail = client.get(f"/api/v1/records/{record}", headers=auth(service)).json
    assert "Site visit: bridge bearings" in [a["title"] for a in detail["activities"]]


def test_the_phone_page_at_390_px_fills_from_a_certificate_and_adds_the_activity(served_service, certificate, cpd,
                                                                                 tmp_path, monkeypatch):
    from playwright.sync_api import expect, sync_playwright
    app, base = served_service
    record = workbook_record(app)
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = phone(browser, base, app.config["TOKENS"]["a"])
        page.goto(f"{base}/records/{record}/add")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390          # nothing scrolls sideways
        page.screenshot(path=str(SHOTS / "1-empty.png"), full_page=True)
        page.set_input_files("#certificate", str(certificate))
        expect(page.locator("#read-status")).to_contain_text("Filled in", timeout=20_000)
        assert page.input_value("#title") == "Professional Ethics for Engineers: Case Studies"
        assert page.input_value("#start_date") == "2025-03-12" and page.input_value("#hours") == "1.5"
        page.select_option("#category", "Training courses")
        page.fill("#reflection", "What? Ethics cases. So what? Conflicts. Now what? Declare them early.")
        page.screenshot(path=str(SHOTS / "2-filled.png"), full_page=True)
        page.click("form#add-form button[type=submit]")
        page.wait_for_load_state()
        page.screenshot(path=str(SHOTS / "3-added.png"), full_page=True)
        page.wait_for_selector("#added")
        assert "cpd pull" in page.text_content("#added")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "3-added.png"), full_page=True)
        browser.close()
    items = app.test_client().get(f"/api/v1/records/{record}/inbox", headers=auth(app)).json["items"]
    assert items[-1]["cells"]["title"] == "Professional Ethics for Engineers: Case Studies"
    assert items[-1]["evidence"]["filename"] == "ethics-certificate.pdf"
    assert re.fullmatch(r"in_[\w-]+", items[-1]["id"]) and json.dumps(items)
    # then cpd pull brings it into the member's workbook, with the certificate kept beside it
    log = tmp_path / "record.xlsx"
    log.write_bytes(EXAMPLE)
    monkeypatch.setenv("CPD_CONFIG", str(tmp_path / "config.toml"))
    assert cpd("login", "--url", base, "--token", app.config["TOKENS"]["a"]).exit_code == 0
    assert cpd("pull", log).exit_code == 0
    pulled = [a for a in read_workbook(log).record.drafts if a.title == "Professional Ethics for Engineers: Case Studies"]
    assert len(pulled) == 1 and pulled[0].evidence.startswith("record-evidence/ethics-certificate-")


CALENDAR = Path(__file__).parent / "fixtures" / "capture" / "calendar.ics"


def test_capture_from_the_service_into_the_inbox_and_a_linked_sheet(service, fake_sheets, certificate):
    """The record page takes a calendar and certificates as cpd capture does: into a workbook record's inbox,
    or into a linked sheet with every row in one write."""
    client = service.test_client()
    ics = CALENDAR.read_text().replace("2026", "2025")          # the example record is 2025's
    record = workbook_record(service)
    token = sign_in(client, service.config["TOKENS"]["a"])
    res = client.post(f"/records/{record}/capture", data={
        "csrf": token, "files": [(io.BytesIO(ics.encode()), "calendar.ics"),
                                 (certificate.open("rb"), "ethics-certificate.pdf")]},
        content_type="multipart/form-data")
    assert res.status_code == 201, res.data[:400]
    text = res.get_data(as_text=True)
    assert "7 drafts waiting for cpd pull" in text and "declined 1" in text and "all-day, not a course 1" in text
    items = client.get(f"/api/v1/records/{record}/inbox", headers=auth(service)).json["items"]
    assert len(items) == 7 and all(i["cells"]["status"] == "Draft" for i in items)
    assert sum(1 for i in items if i["evidence"]) == 1
    # a linked sheet: every captured row in one request
    other = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "writer"}, title="Sheet CPD")
    prove_link(lambda method, path, json=None: client.open(path, method=method, json=json,
                                                           headers=auth(service, "b")), other, via="/api/v1/records")
    linked = client.post("/api/v1/records", json={"sheet": sheet_url(other)}, headers=auth(service, "b")).json["id"]
    signed = service.test_client()
    token_b = sign_in(signed, service.config["TOKENS"]["b"])
    before = sum(1 for c in fake_sheets.calls if c[1].endswith("values:batchUpdate"))
    res = signed.post(f"/records/{linked}/capture", data={
        "csrf": token_b, "files": [(io.BytesIO(ics.encode()), "calendar.ics")]}, content_type="multipart/form-data")
    assert res.status_code == 201 and "6 drafts added to your sheet" in res.get_data(as_text=True)
    assert sum(1 for c in fake_sheets.calls if c[1].endswith("values:batchUpdate")) == before + 1
    cells = other.sheets["Record"].cells
    titles = [cells[(r, 3)].value for r in range(18, 24)]
    assert all(cells[(r, 17)].value == "Draft" for r in range(18, 24))      # the Status column
    assert titles[0] == "Webinar: Soil liquefaction basics" and titles.count("Lunch & Learn: code updates") == 4


def test_the_phone_page_at_390_px_adds_into_a_linked_sheet_with_a_photo_of_a_certificate(service, served_service,
                                                                                        fake_sheets, tmp_path):
    """A photo's text is not read (no OCR): the page says so, the member types the activity, and the photo is
    kept as its evidence; the row goes into the linked sheet (the Sheets fake) at once."""
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright
    from sync_service.store.models import Evidence
    app, base = served_service
    client = app.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "writer"}, title="Alex's CPD")
    prove_link(lambda method, path, json=None: client.open(path, method=method, json=json, headers=auth(app)),
               book, via="/api/v1/records")
    record = client.post("/api/v1/records", json={"sheet": sheet_url(book)}, headers=auth(app)).json["id"]
    photo = tmp_path / "IMG_2041.jpg"
    Image.new("RGB", (1200, 900), (250, 248, 240)).save(photo, "JPEG")
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = phone(browser, base, app.config["TOKENS"]["a"])
        page.goto(f"{base}/records/{record}/add")
        assert "your linked Google Sheet, at once" in page.text_content("main")
        page.set_input_files("#certificate", str(photo))
        expect(page.locator("#read-status")).to_contain_text("no OCR is attempted", timeout=20_000)
        page.fill("#title", "Bridge bearings workshop")
        page.fill("#start_date", "2025-09-18")
        page.fill("#hours", "3")
        page.select_option("#category", "Training courses")
        page.select_option("#status", "Confirmed")
        page.screenshot(path=str(SHOTS / "4-sheet-photo.png"), full_page=True)
        page.click("form#add-form button[type=submit]")
        page.wait_for_selector("#added")
        assert page.text_content("#added").strip() == "Added to your sheet, row 18."
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "5-sheet-added.png"), full_page=True)
        browser.close()
    cells = book.sheets["Record"].cells
    assert cells[(18, 3)].value == "Bridge bearings workshop" and cells[(18, 1)].value == 45918
    assert cells[(18, 10)].value == 3 and cells[(18, 17)].value == "Confirmed"
    with app.app_context():
        (kept,) = db.session().query(Evidence).all()
    assert kept.activity_row == 18 and kept.kind == "jpeg" and kept.filename == "IMG_2041.jpg"
