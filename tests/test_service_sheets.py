"""Linked Google Sheets through the service, on SQLite and PostgreSQL: link, check, submit, unshared."""
from __future__ import annotations

import re

import pytest

from addin import unpack
from sqlalchemy import func, select

from conftest import prove_link, sheet_url, type_code
from fake_sheets import Cell
from sync_service import db
from sync_service.store.models import Delivery, LinkedSheet, Submission
from test_pages import sign_in
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()


def auth(service, who="a"):
    return {"Authorization": f"Bearer {service.config['TOKENS'][who]}"}


class Linked:
    """A proven link's answer as the old one-step link gave it: the sheet, 201."""
    def __init__(self, res):
        self.status_code, self.headers = res.status_code, res.headers
        self.json = res.json["sheet"] if res.status_code == 201 else res.json


def link(client, service, book, who="a"):
    """Link a sheet the way a member does (ask, type the code into it, confirm)."""
    return Linked(prove_link(lambda method, path, json=None: client.open(path, method=method, json=json,
                                                                      headers=auth(service, who)), book))


def test_link_check_and_submit_a_sheet(service, fake_sheets):
    client = service.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"}, title="Alex's CPD")
    res = link(client, service, book)
    assert res.status_code == 201, res.json
    sheet = res.json
    assert sheet["key"] == book.key and sheet["title"] == "Alex's CPD" and sheet["verdict"] in ("ready", "not_ready")
    assert link(client, service, book).status_code == 200                 # linked once

    shown = client.get(f"/api/v1/sheets/{sheet['id']}", headers=auth(service))
    assert shown.status_code == 200
    assert [c["id"] for c in shown.json["readiness"]["criteria"]]

    first = client.post(f"/api/v1/sheets/{sheet['id']}/submissions", headers=auth(service))
    assert first.status_code == 201, first.json
    again = client.post(f"/api/v1/sheets/{sheet['id']}/submissions", headers=auth(service))
    assert again.status_code == 200 and again.json["id"] == first.json["id"]     # the same values

    book.sheets["Record"].cells[(10, 3)] = Cell("A different title")
    changed = client.post(f"/api/v1/sheets/{sheet['id']}/submissions", headers=auth(service))
    assert changed.status_code == 201 and changed.json["id"] != first.json["id"]
    with service.app_context():
        s = db.session()
        sub = s.get(Submission, first.json["id"])
        assert sub.delivery.status == "queued" and sub.profile_id == "iet"
        assert unpack(sub.body)["activities"]["rows"] and unpack(sub.body)["member"]["name"] == "Alex Morgan"
        assert s.scalar(select(func.count()).select_from(Delivery)) == 2


def test_an_unshared_sheet_gives_a_clear_message_never_a_500(service, fake_sheets):
    client = service.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    sheet = link(client, service, book).json
    book.shared.clear()                                                   # the member stops sharing it
    res = client.get(f"/api/v1/sheets/{sheet['id']}", headers=auth(service))
    assert res.status_code == 422
    assert res.json["error"]["code"] == "sheets_not_shared" and fake_sheets.email in res.json["error"]["message"]
    sub = client.post(f"/api/v1/sheets/{sheet['id']}/submissions", headers=auth(service))
    assert sub.status_code == 422 and sub.json["error"]["code"] == "sheets_not_shared"
    listed = client.get("/api/v1/sheets", headers=auth(service)).json["sheets"]
    assert listed[0]["error"]["code"] == "sheets_not_shared"


def test_linking_a_sheet_not_shared_or_missing_is_refused(service, fake_sheets):
    client = service.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={})
    res = link(client, service, book)
    assert res.status_code == 422 and res.json["error"]["code"] == "sheets_not_shared"
    res = client.post("/api/v1/sheets", json={"sheet": "not a sheet"}, headers=auth(service))
    assert res.status_code == 400 and res.json["error"]["code"] == "sheets_bad_address"
    fake_sheets.fail_always("read", 429)
    res = link(client, service, fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"}))
    assert res.status_code == 503 and res.json["error"]["code"] == "sheets_rate_limited"
    assert "Retry-After" in res.headers
    with service.app_context():
        assert db.session().scalar(select(func.count()).select_from(LinkedSheet)) == 0


def test_a_sheet_with_bad_values_is_linked_and_each_value_named(service, fake_sheets):
    client = service.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    book.sheets["Record"].cells[(10, 10)] = Cell("two")
    sheet = link(client, service, book).json
    assert sheet["error"]["code"] == "invalid_record"
    res = client.get(f"/api/v1/sheets/{sheet['id']}", headers=auth(service))
    assert res.status_code == 422
    assert [(p["sheet"], p["cell"], p["code"]) for p in res.json["error"]["problems"]] == \
        [("Record", "J10", "hours_not_number")]


def test_another_members_sheet_is_not_found(service, fake_sheets):
    client = service.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    sheet = link(client, service, book).json
    for method, path in (("get", ""), ("post", "/submissions"), ("delete", "")):
        res = getattr(client, method)(f"/api/v1/sheets/{sheet['id']}{path}", headers=auth(service, "b"))
        assert res.status_code == 404
    assert client.get("/api/v1/sheets", headers=auth(service, "b")).json["sheets"] == []
    assert client.delete(f"/api/v1/sheets/{sheet['id']}", headers=auth(service)).status_code == 204


def test_the_member_links_checks_and_submits_on_their_page(service, fake_sheets):
    client = service.test_client()
    token_csrf = sign_in(client, service.config["TOKENS"]["a"])
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"}, title="My CPD 2025")
    res = client.post("/sheets/link", data={"csrf": token_csrf, "sheet": sheet_url(book)})
    assert res.status_code == 200 and 'id="sheet-code"' in res.text and "My CPD 2025" not in res.text
    with service.app_context():
        public_id = db.session().scalar(select(LinkedSheet.public_id))
    code = re.search(r"<code>(CPD-[A-Z0-9-]+)</code>", res.text).group(1)
    type_code(book, code)
    res = client.post(f"/sheets/{public_id}/confirm", data={"csrf": token_csrf})
    assert res.status_code == 302
    page = client.get("/").data.decode()
    assert "My CPD 2025" in page
    page = client.post(f"/sheets/{public_id}/check", data={"csrf": token_csrf}).text
    assert 'id="sheet-report"' in page and "A CPD plan" in page
    assert 'id="sheet-report"' not in client.get("/").text            # shown once, kept nowhere
    before = fake_sheets.api_calls()
    res = client.post(f"/sheets/{public_id}/submit", data={"csrf": token_csrf})
    assert res.status_code == 302 and "/submissions/sub_" in res.headers["Location"]
    assert fake_sheets.api_calls() - before == 2          # one pull (the sheets, then their cells) checks and submits
    book.shared.clear()
    res = client.post(f"/sheets/{public_id}/check", data={"csrf": token_csrf})
    assert 400 <= res.status_code < 500, res.status_code
    assert 'id="sheet-error"' in res.text and "sheets_not_shared" in res.text and fake_sheets.email in res.text
    book.shared[fake_sheets.email] = "reader"
    book.sheets["Record"].cells[(10, 10)] = Cell("two")
    book.sheets["Record"].cells[(11, 1)] = Cell("32/01/2025")
    page = client.post(f"/sheets/{public_id}/check", data={"csrf": token_csrf}).text
    assert "Record!J10" in page and "Record!A11" in page           # every bad value, with its cell
    assert client.post(f"/sheets/{public_id}/check", data={}).status_code == 400       # no CSRF token


@pytest.mark.serial
def test_no_database_lock_is_held_while_google_answers(service, fake_sheets):
    """A slow Sheets API (1 s a call) does not hold up another member's upload: the request's
    transaction ends before the service calls Google."""
    import threading
    import time
    client = service.test_client()
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    sheet = link(client, service, book).json
    fake_sheets.delay = 1.0
    slow = threading.Thread(target=lambda: service.test_client().get(f"/api/v1/sheets/{sheet['id']}",
                                                                      headers=auth(service)))
    slow.start()
    time.sleep(0.4)                                     # the check is now waiting on the Sheets API
    start = time.monotonic()
    res = service.test_client().post("/api/v1/submissions", data=EXAMPLE, headers={
        **auth(service, "b"), "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    elapsed = time.monotonic() - start
    slow.join(30)
    assert res.status_code == 201, res.json
    assert elapsed < 1.0, elapsed
