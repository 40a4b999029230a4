"""Linking a Google Sheet proves the member can edit it: knowing the address of a sheet shared with the
service account gets another member nothing (not its name, its activities, a submission, or a mentor's
writing into it). The link is made only when the service reads back a one-time code the member typed
into the sheet, and a sheet linked by one member cannot be linked by another. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from conftest import sheet_url, type_code
from sync_service import db
from sync_service.store.models import CpdRecord, LinkedSheet, Submission, utcnow
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()


def call(service, who):
    client = service.test_client()
    headers = {"Authorization": f"Bearer {service.config['TOKENS'][who]}"}
    return lambda method, path, json=None: client.open(path, method=method, json=json, headers=headers)


def test_knowing_the_address_of_anothers_sheet_gets_nothing(service, fake_sheets):
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "writer"}, title="Alex's CPD")
    b = call(service, "b")
    asked = b("POST", "/api/v1/sheets", json={"sheet": sheet_url(book)})
    assert asked.status_code == 202 and asked.json["state"] == "awaiting_code"
    body = asked.get_data(as_text=True)
    assert "Alex" not in body and "title" not in asked.json and "verdict" not in asked.json   # nothing of the sheet
    sheet_id = asked.json["id"]
    confirmed = b("POST", f"/api/v1/sheets/{sheet_id}/confirm")        # B cannot type into Alex's sheet
    assert confirmed.status_code == 409 and confirmed.json["error"]["code"] == "link_code_not_found"
    for method, path in (("GET", f"/api/v1/sheets/{sheet_id}"), ("POST", f"/api/v1/sheets/{sheet_id}/submissions")):
        res = b(method, path)
        assert res.status_code == 409 and res.json["error"]["code"] == "sheet_not_linked", (path, res.json)
        assert "Alex" not in res.get_data(as_text=True)
    as_record = b("POST", "/api/v1/records", json={"sheet": sheet_url(book)})
    assert as_record.status_code == 202 and "Alex" not in as_record.get_data(as_text=True)
    listed = b("GET", "/api/v1/sheets").json["sheets"]
    assert [s["state"] for s in listed] == ["awaiting_code"] and "title" not in listed[0]
    with service.app_context():
        s = db.session()
        assert s.scalar(select(func.count()).select_from(CpdRecord)) == 0
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
    assert all(not cell.note for cell in book.sheets["Record"].cells.values())      # nothing written into it


def test_the_owner_proves_it_and_then_no_one_else_can_link_it(service, fake_sheets):
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"}, title="Alex's CPD")
    a, b = call(service, "a"), call(service, "b")
    b_asked = b("POST", "/api/v1/sheets", json={"sheet": sheet_url(book)})      # B asks first, and waits
    a_asked = a("POST", "/api/v1/sheets", json={"sheet": sheet_url(book)})
    assert a_asked.json["code"] != b_asked.json["code"]
    type_code(book, b_asked.json["code"], cell=(2, 26))      # even B's code in the sheet proves nothing for A
    early = a("POST", f"/api/v1/sheets/{a_asked.json['id']}/confirm")
    assert early.status_code == 409 and early.json["error"]["code"] == "link_code_not_found"
    type_code(book, a_asked.json["code"])                    # Alex, the sheet's editor, types hers
    confirmed = a("POST", f"/api/v1/sheets/{a_asked.json['id']}/confirm")
    assert confirmed.status_code == 201 and confirmed.json["sheet"]["state"] == "linked"
    assert confirmed.json["sheet"]["title"] == "Alex's CPD" and confirmed.json["readiness"]["criteria"]
    assert a("POST", "/api/v1/sheets", json={"sheet": sheet_url(book)}).status_code == 200     # linked once
    again = b("POST", "/api/v1/sheets", json={"sheet": sheet_url(book)})
    assert again.status_code == 409 and again.json["error"]["code"] == "sheet_linked_elsewhere"
    late = b("POST", f"/api/v1/sheets/{b_asked.json['id']}/confirm")     # B's code is in the sheet, but Alex holds it
    assert late.status_code == 409 and late.json["error"]["code"] == "sheet_linked_elsewhere"
    made = a("POST", "/api/v1/records", json={"sheet": sheet_url(book)})
    assert made.status_code == 201, made.json
    with service.app_context():
        s = db.session()
        links = s.scalars(select(LinkedSheet).where(LinkedSheet.verified_at.is_not(None))).all()
        assert len(links) == 1 and links[0].code_hash is None


def test_a_code_is_good_for_half_an_hour(service, fake_sheets):
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    a = call(service, "a")
    asked = a("POST", "/api/v1/sheets", json={"sheet": sheet_url(book)}).json
    type_code(book, asked["code"])
    with service.app_context():                  # the clock moves on: the code was made 31 minutes ago
        s = db.write_session()
        row = s.scalar(select(LinkedSheet).where(LinkedSheet.public_id == asked["id"]))
        row.code_expires_at = utcnow() - timedelta(minutes=1)
        s.commit()
    res = a("POST", f"/api/v1/sheets/{asked['id']}/confirm")
    assert res.status_code == 409 and res.json["error"]["code"] == "link_code_expired"
    fresh = a("POST", "/api/v1/sheets", json={"sheet": sheet_url(book)}).json       # a new code
    type_code(book, fresh["code"])
    assert a("POST", f"/api/v1/sheets/{fresh['id']}/confirm").status_code == 201
