"""Inputs that are not text a person would type are refused, never a 500 and never stored: a control
character (NUL above all) in an id, an address, a name, a filter or a stored text; JSON nested deeper
than the parser goes, even on the worksheet functions, which need no sign-in. And the mentors' notes
CSV keeps every column's formula-like text as text. SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select

from addin.workbook.writer import set_value
from mentor_world import EXAMPLE, build
from sync_service import db
from sync_service.store.models import Annotation, AuditEvent, MentorGrant


def test_control_characters_are_refused_everywhere_with_400(service):
    world = build(service)
    rec = world.record
    api = [("GET", f"/api/v1/records/rec_\x00{rec[4:]}", None),
           ("GET", "/api/v1/stats?period=20%0025", None),
           ("GET", "/api/v1/submissions/sub_%00x", None),
           ("POST", f"/api/v1/records/{rec}/mentors", {"email": "mentor\x00@example.org"}),
           ("POST", "/api/v1/mentors", {"email": "x@example.org", "expires": "2030-01-01\x00"}),
           ("POST", f"/api/v1/records/{rec}/annotations", {"activity_row": world.rows[0], "comment": "fine\x00!"}),
           ("POST", "/api/v1/sheets", {"sheet": "1" * 44 + "\x00"})]
    for method, path, body in api:
        who = "mentor" if "annotations" in path else "owner"
        res = world.api(who, method, path, json=body)
        assert res.status_code == 400, (path, res.status_code, res.data[:200])
        assert res.get_json()["error"]["code"] == "control_characters", (path, res.get_json())
    client, csrf = world.browser("owner")
    pages = [("POST", "/mentors", {"csrf": csrf, "email": "m\x00@example.org", "record": "all"}),
             ("POST", "/login", {"csrf": csrf, "token": "cpd_\x00"}),
             ("GET", f"/records/{rec}\x01", None)]
    for method, path, form in pages:
        res = client.open(path, method=method, data=form)
        assert res.status_code == 400, (path, res.status_code)
        assert b"control character" in res.data
    with service.app_context():                          # nothing was stored on the way
        s = db.session()
        assert s.scalar(select(func.count()).select_from(MentorGrant)) == 3
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0
    ok = world.api("mentor", "POST", f"/api/v1/records/{rec}/annotations",
                   json={"activity_row": world.rows[0], "comment": "Two lines,\nand a\ttab: kept"})
    assert ok.status_code == 201 and ok.get_json()["comment"] == "Two lines,\nand a\ttab: kept"


def test_json_nested_too_deeply_is_a_400_not_a_500(service):
    world = build(service)
    deep = b"[" * 200_000 + b"]" * 200_000
    for who, path in ((None, "/api/v1/functions/HOURS"), ("owner", f"/api/v1/records/{world.record}/mentors"),
                      ("owner", "/api/v1/sheets")):
        headers = {"Content-Type": "application/json", **(world.auth(who) if who else {})}
        res = service.test_client().post(path, data=deep, headers=headers)
        assert res.status_code == 400, (path, res.status_code)
        assert res.get_json()["error"]["code"] in ("bad_request", "bad_email"), res.get_json()


def test_the_mentors_notes_csv_keeps_formula_like_text_as_text(service):
    world = build(service)
    wb = openpyxl.load_workbook(io.BytesIO(EXAMPLE))
    plan = wb["Plan"]
    ref_cell = next(c for row in plan.iter_rows() for c in row if c.value == "O1")
    set_value(ref_cell, "=HYPERLINK(\"http://x.example\",\"O1\")")      # as text, as a member could type it
    for row in wb["Record"].iter_rows():                  # the activities that named O1 name nothing now
        for c in row:
            if c.value == "O1":
                c.value = None
    buf = io.BytesIO()
    wb.save(buf)
    assert world.api("owner", "POST", "/api/v1/records", data=buf.getvalue()).status_code == 201
    made = world.api("mentor", "POST", f"/api/v1/records/{world.record}/annotations",
                     json={"objective": ref_cell.value, "comment": "=SUM(1,2)"})
    assert made.status_code == 201, made.get_json()
    client, _ = world.browser("mentor")
    rows = list(csv.reader(io.StringIO(client.get(f"/records/{world.record}/notes.csv").data.decode("utf-8-sig"))))
    objective, comment = rows[1][1], rows[1][5]
    assert objective == "'" + ref_cell.value and comment == "'=SUM(1,2)"
    with service.app_context():
        assert db.session().scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "downloaded")) == 1


def test_a_function_calls_ranges_die_before_the_collector_is_back(service):
    """A call's 2,000 rows (tens of thousands of objects) are freed by reference counting while the collector
    is off, so it never walks them: before, about one collection a call (1 ms of a 20 ms call) ran after the
    parse, over the rows still held."""
    import gc
    import json

    header = ["Start date", "End date", "Description", "Provided by", "Reflection", "Category", "CPD hours"]
    rows = [[45300 + i % 300, 45300 + i % 300, f"Course {i} on structural analysis", "Institution",
             "What I learnt and how I applied it at work " * 3, "Training courses", 2.5] for i in range(2000)]
    body = json.dumps({"args": [[header] + rows, "2024-01-01", "2024-12-31"]}).encode()
    client = service.test_client()
    assert client.post("/api/v1/functions/HOURS", data=body, content_type="application/json").status_code == 200
    collections = []
    gc.callbacks.append(collect := lambda phase, info: phase == "start" and collections.append(info["generation"]))
    try:
        for _ in range(10):
            res = client.post("/api/v1/functions/HOURS", data=body, content_type="application/json")
            assert res.status_code == 200 and isinstance(res.get_json()["result"], float)
    finally:
        gc.callbacks.remove(collect)
    assert len(collections) <= 1, collections
    assert gc.isenabled()


def test_a_json_body_is_parsed_with_the_garbage_collector_held_off_and_left_as_it_was(service, monkeypatch):
    import gc

    import orjson

    from sync_service import hardening
    seen = []
    monkeypatch.setattr(hardening, "orjson", type("Spy", (), {"loads": staticmethod(
        lambda s: seen.append(gc.isenabled()) or orjson.loads(s))}))
    assert gc.isenabled()
    res = service.test_client().post("/api/v1/functions/TARGET", json={"args": ["iet", "Active"]})
    assert res.status_code == 200 and seen == [False] and gc.isenabled()
    res = service.test_client().post("/api/v1/functions/HOURS", data=b"[" * 200_000 + b"]" * 200_000,
                                     headers={"Content-Type": "application/json"})
    assert res.status_code == 400 and len(seen) > 1 and not any(seen) and gc.isenabled()   # refused: back on
