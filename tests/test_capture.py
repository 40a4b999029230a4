"""Capture: drafts from a calendar, PDF certificates and Open Badges, written into the member's own workbook
(every other part of it kept byte for byte), counted nowhere until confirmed; evidence kept beside the
workbook and checked. Real files: an .ics as calendars export it, PDFs made by WeasyPrint, badges baked
with Pillow, LibreOffice recalculating the Summary."""
from __future__ import annotations

import base64
import json
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from addin import assess
from addin.capture.found import dates_stated, hours_stated
from addin.profile import load_profile
from addin.workbook.append import set_values
from addin.workbook.reader import read_workbook
from addin.workbook.summary import SUMMARY_CELLS
from certificates import BADGE_20, BADGE_30, certificate_set, write_baked_svg
from conftest import libreoffice

CALENDAR = Path(__file__).parent / "fixtures" / "capture" / "calendar.ics"
EXPECTED = [   # (start, title, provider, hours, topics, location)
    (date(2026, 2, 10), "Webinar: Soil liquefaction basics", "ASCE Continuing Education", 1.0, None, "Online (Zoom)"),
    (date(2026, 3, 12), "Professional Ethics for Engineers: Case Studies", "Carolina PDH Institute", 1.5,
     "Ethics and laws and rules", None),
    (date(2026, 3, 17), "Webinar: Seismic design of steel frames", "AISC", 1.5, None, "Online"),
    (date(2026, 4, 2), "Lunch & Learn: code updates", "Morgan Structural Engineers", 0.5, None, "Conference room B"),
    (date(2026, 4, 9), "Lunch & Learn: code updates", "Morgan Structural Engineers", 0.5, None, "Conference room B"),
    (date(2026, 4, 16), "Lunch & Learn: code updates", "Morgan Structural Engineers", 0.5, None, "Conference room B"),
    (date(2026, 4, 20), "Structural Steel Connections in Practice", "LinkedIn Learning", 1.5, None, None),
    (date(2026, 4, 23), "Lunch & Learn: code updates", "Morgan Structural Engineers", 0.5, None, "Conference room B"),
    (date(2026, 5, 5), "Site visit to the Cape Fear River bridge replacement",
     "North Carolina Section of the Structural Engineers Association", None, None, "Wilmington, NC"),
    (date(2026, 6, 15), "BIM Foundations", "Digital Construction Academy", None, None, None),
]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return certificate_set(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def log(cpd, tmp_path):
    path = tmp_path / "log.xlsx"
    assert cpd("new", path, "-p", "us-nc", "--name", "Alex Morgan").exit_code == 0
    return path


def parts(path):
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def test_capture_gives_exactly_the_expected_drafts_which_count_nowhere_until_confirmed(cpd, log, certs, tmp_path):
    before = parts(log)
    res = cpd("capture", CALENDAR, *certs.values(), log, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["left_out"] == {"declined": 1, "all-day, not a course": 1}
    assert [c["row"] for c in out["captured"]] == list(range(10, 20))
    read = read_workbook(log)
    assert not read.problems and read.record.activities == ()
    got = [(a.start_date, a.title, a.provider, a.hours, ", ".join(t.replace("ethics", "Ethics and laws and rules")
                                                                    for t in a.topics) or None, a.location)
           for a in read.record.drafts]
    assert got == EXPECTED
    by_title = {a.title: a for a in read.record.drafts}
    assert by_title["Professional Ethics for Engineers: Case Studies"].instructor == "Dr. Jordan Price, PE"
    site = by_title["Site visit to the Cape Fear River bridge replacement"]
    assert "the certificate states it carries no CPD hours" in site.description
    assert "not stated: hours" in site.description
    # the certificates are kept beside the workbook, each named in its Evidence cell with its SHA-256
    kept = sorted(p.name for p in (tmp_path / "log-evidence").iterdir())
    assert len(kept) == 4 and all(a.evidence.startswith("log-evidence/") for a in read.record.drafts
                                  if a.description.startswith("captured from") and "calendar" not in a.description)
    # counted nowhere, shown with what they would add
    result = assess(read.record, read.profile)
    assert result.counted_hours == 0 and result.draft_hours == 7.5 and len(result.drafts) == 10
    # every other part of the workbook is as it was (the Summary's chart, the styles, the other sheets)
    after = parts(log)
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"xl/worksheets/sheet1.xml"} and set(after) == set(before)
    assert b'fullCalcOnLoad="1"' in after["xl/workbook.xml"]            # the Summary recalculates on opening
    # confirmed, they count exactly 7.5 hours
    confirmed = log.read_bytes()
    for row in range(10, 20):
        confirmed = set_values(confirmed, row, {"status": "Confirmed"}).data
    log.write_bytes(confirmed)
    again = read_workbook(log)
    assert again.record.drafts == () and assess(again.record, again.profile).counted_hours == 7.5
    # capturing again adds nothing, and leaves the file as it is
    res = cpd("capture", CALENDAR, *certs.values(), log)
    assert res.exit_code == 0 and "Nothing new to capture" in res.output
    assert "already in the log 10" in res.output and log.read_bytes() == confirmed


def test_libreoffice_recalculates_the_captured_workbook_as_the_engine_counts(cpd, log, certs, tmp_path):
    assert cpd("capture", CALENDAR, *certs.values(), log).exit_code == 0
    out = tmp_path / "out"
    libreoffice(["--convert-to", "xlsx", "--outdir", str(out), str(log)], tmp_path / "lo", timeout=180)
    summary = openpyxl.load_workbook(out / log.name, data_only=True)["Summary"]
    assert summary[SUMMARY_CELLS["hours"]].value == 0
    assert summary[SUMMARY_CELLS["drafts"]].value == 10
    assert summary[SUMMARY_CELLS["draft_hours"]].value == pytest.approx(7.5)
    resaved = read_workbook(out / log.name)            # LibreOffice's own file: shared strings, its own XML
    assert len(resaved.record.drafts) == 10
    more = tmp_path / "more.ics"
    more.write_text(CALENDAR.read_text().replace("Soil liquefaction", "Pile testing"), encoding="utf-8")
    res = cpd("capture", more, out / log.name)          # capturing into a file LibreOffice saved
    assert res.exit_code == 0 and "Captured 1 draft" in res.output
    assert [a.title for a in read_workbook(out / log.name).record.drafts][-1] == "Webinar: Pile testing basics"


def test_calendar_options_choose_the_events(cpd, log):
    res = cpd("capture", CALENDAR, log, "--match", "webinar", "--dry-run", "--json")
    out = json.loads(res.output)
    assert [c["title"] for c in out["captured"]] == ["Webinar: Soil liquefaction basics",
                                                     "Webinar: Seismic design of steel frames"]
    assert out["left_out"]["not matching the words asked for"] == 5 and out["dry_run"]     # lunches, holiday
    assert read_workbook(log).record.drafts == ()                       # a dry run changes nothing
    res = json.loads(cpd("capture", CALENDAR, log, "--calendar", "Team events", "--json").output)
    assert res["captured"] == [] and res["left_out"] == {"in another calendar (alex.morgan@example.org)": 5}
    res = json.loads(cpd("capture", CALENDAR, log, "--me", "sam.lee@example.org", "--dry-run", "--json").output)
    assert res["left_out"]["declined"] == 1           # Sam declined the steel webinar; the BIM one is Alex's
    assert "Webinar: BIM for owners" in [c["title"] for c in res["captured"]]


def test_open_badges_2_and_3_in_every_form(cpd, log, tmp_path):
    files = {"ob3.json": json.dumps(BADGE_30), "ob2.json": json.dumps(BADGE_20)}
    header = base64.urlsafe_b64encode(b'{"alg":"RS256"}').rstrip(b"=").decode()
    as_jwt = json.loads(json.dumps(BADGE_30))
    as_jwt["credentialSubject"]["achievement"]["name"] = "JWT badge"
    body = base64.urlsafe_b64encode(json.dumps({"vc": as_jwt}).encode()).rstrip(b"=").decode()
    files["ob3.jwt"] = f"{header}.{body}.c2lnbmF0dXJl"
    files["hosted.json"] = json.dumps({**BADGE_20, "badge": "https://badges.example.org/classes/x"})
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    svg = write_baked_svg(BADGE_20 | {"issuedOn": "2026-09-01"}, tmp_path / "baked.svg")
    out = json.loads(cpd("capture", *(tmp_path / n for n in files), svg, log, "--json").output)
    got = {c["source"]: c for c in out["captured"]}
    ob3 = got["ob3.json"]
    assert (ob3["title"], ob3["provider"], ob3["start_date"], ob3["hours"]) == (
        "Bridge Inspection Essentials", "Bridge Engineering Society", "2026-08-01", 12.0)
    assert ob3["topics"] == "Ethics and laws and rules"          # "ethics of reporting" in its description
    assert got["ob3.jwt"]["title"] == "JWT badge"
    assert got["ob2.json"]["title"] == "BIM Foundations" and got["ob2.json"]["hours"] is None
    assert got["baked.svg"]["start_date"] == "2026-09-01"
    hosted = got["hosted.json"]
    assert hosted["title"] is None and hosted["missing"] == ["title", "provider", "hours"]
    assert any("nothing was fetched" in n for n in hosted["notes"])


def test_files_capture_cannot_read_are_named_with_a_code_and_the_rest_is_captured(cpd, log, tmp_path):
    photo = tmp_path / "certificate.pdf"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200))     # a JPEG named .pdf
    plain = tmp_path / "notes.txt"
    plain.write_text("attended a webinar", encoding="utf-8")
    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:not-a-time\nEND:VEVENT\nEND:VCALENDAR\n")
    res = cpd("capture", photo, plain, broken, CALENDAR, log)
    assert res.exit_code == 1
    assert "Not read [capture_unsupported]: certificate.pdf is a JPEG photo" in res.output
    assert "keep a photo as evidence with 'cpd evidence add'" in res.output
    assert "Not read [capture_unsupported]: notes.txt is not a file capture reads" in res.output
    assert "Not read [calendar_invalid]: broken.ics" in res.output
    assert "Captured 6 drafts" in res.output


def test_evidence_is_kept_beside_the_workbook_and_checked(cpd, log, certs, tmp_path):
    assert cpd("capture", CALENDAR, log).exit_code == 0
    res = cpd("evidence", "add", log, 10, certs["ethics"])
    assert res.exit_code == 0 and "Kept ethics-webinar.pdf as evidence of row 10" in res.output
    cell = read_workbook(log).record.drafts[0].evidence
    assert cell.startswith("log-evidence/ethics-webinar-") and " sha256:" in cell
    assert "already the evidence of row 10" in cpd("evidence", "add", log, 10, certs["ethics"]).output
    assert cpd("evidence", "add", log, 11, certs["badge"]).exit_code == 0
    liar = tmp_path / "scan.pdf"
    liar.write_text("<html>not a PDF</html>", encoding="utf-8")
    res = cpd("evidence", "add", log, 12, liar)
    assert res.exit_code == 2 and "error [evidence_type_refused]: scan.pdf: evidence may be a PDF, PNG, JPEG or " \
                                  "HEIC file, whatever its name says; its bytes are none of them" in res.output
    res = cpd("evidence", "add", log, 40, certs["ethics"])
    assert "error [no_such_row]: Record!A40: row 40 holds no activity (the activity table starts at row 10)" \
        in res.output
    assert "Evidence:" not in cpd("check", log).output
    kept = sorted((tmp_path / "log-evidence").iterdir())
    kept[0].unlink()
    kept[1].write_bytes(kept[1].read_bytes() + b"x")
    data = set_values(log.read_bytes(), 12, {"evidence": "../../etc/passwd sha256:" + "0" * 64}).data
    log.write_bytes(data)
    report = json.loads(cpd("check", log, "--json").output)["evidence_problems"]
    assert sorted(p["code"] for p in report) == ["evidence_changed", "evidence_missing", "evidence_outside"]
    text = cpd("check", log).output
    assert "Evidence: row 12: evidence ../../etc/passwd sha256" not in text
    assert "Evidence: row 12: evidence ../../etc/passwd is outside the workbook's folder, so it is not read" in text


def test_evidence_size_limit_is_a_setting(cpd, log, certs, monkeypatch):
    assert cpd("capture", CALENDAR, log).exit_code == 0
    monkeypatch.setenv("CPD_EVIDENCE_MAX_BYTES", "1000")
    res = cpd("evidence", "add", log, 10, certs["ethics"])
    assert res.exit_code == 2 and "error [evidence_too_large]" in res.output and "at most 1,000 bytes" in res.output


@pytest.mark.parametrize(("text", "hours", "note"), [
    ("Credit awarded: 1.5 PDH", 1.5, None), ("Duration 90 minutes", 1.5, None), ("7 CPD hours", 7.0, None),
    ("Length: 1 hour 30 min", 1.5, None), ("1h 30m", 1.5, None), ("0.7 CEU", 7.0, "0.7 CEU read as 7 hours"),
    ("This certificate does not\ncarry CPD hours.", None, "the certificate states it carries no CPD hours"),
    ("Certificate of attendance", None, None),
])
def test_hours_as_certificates_state_them(text, hours, note):
    found, said = hours_stated(text)
    assert found == hours and (note is None and said is None or note in said)


def test_fifty_minutes_to_the_hour_where_the_board_says_so():
    assert hours_stated("100 minutes", load_profile("us-ny").minutes_per_hour) == (2.0, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("Date of completion: 12 March 2026", (date(2026, 3, 12),) * 2),
    ("Course completed on Apr 20, 2026 at 10:15AM", (date(2026, 4, 20),) * 2),
    ("held 12-14 March 2026", (date(2026, 3, 12), date(2026, 3, 14))),
    ("issued 1st of May 2026", (date(2026, 5, 1),) * 2),
    ("from 1 May 2026 and 3 June 2026", (None, None)),          # two dates, nothing to say which: none invented
])
def test_dates_as_certificates_state_them(text, expected):
    assert dates_stated(text) == expected


def test_a_scanned_certificate_gives_a_draft_that_says_nothing_could_be_read(cpd, log, tmp_path):
    from weasyprint import HTML
    from certificates import write_baked_png
    picture = write_baked_png({}, tmp_path / "scan.png", keyword="comment")
    scan = tmp_path / "scanned.pdf"
    HTML(string=f'<img src="{picture.as_uri()}" style="width: 15cm">').write_pdf(scan)
    out = json.loads(cpd("capture", scan, log, "--json").output)
    (draft,) = out["captured"]
    assert draft["missing"] == ["title", "provider", "start_date", "hours"]
    assert any("no text layer" in n and "no OCR" in n for n in draft["notes"])
    read = read_workbook(log)                  # a row without a start date is named, as any is, until it has one
    assert [(p.code, p.cell) for p in read.problems] == [("date_missing", "A10")]
    assert cpd("capture", scan, log).output.startswith("Nothing new to capture")      # its file is kept already
    other = log.with_name("other.xlsx")
    assert cpd("new", other, "-p", "us-nc").exit_code == 0
    assert "Row 10: no start date was stated; enter it" in cpd("capture", scan, other).output


@pytest.mark.parametrize(("profile", "rows", "flagged"), [
    ("us-nc", [{"title": "Course A", "hours": 2, "evidence": "certificate in my e-mail"},
               {"title": "Course B", "hours": 3}, {"title": "Reading", "hours": 0}], (11,)),
    ("rics", [{"title": "Conference", "hours": 5, "category": "Formal: course or conference"},
              {"title": "Reading", "hours": 4, "category": "Informal: reading and research"}],
     (10,)),
    ("iet", [{"title": "Course", "hours": 5}], None),
])
def test_the_bodies_that_ask_for_evidence_say_which_activities_lack_it(profile, rows, flagged):
    from conftest import make_record
    prof = load_profile(profile)
    record = make_record(prof, [{"start_date": date(2026, 3, 1), **r} for r in rows],
                         header={"period_start": date(2026, 1, 1), "period_end": date(2026, 12, 31),
                                 "registration": None})
    found = {c.id: c for c in assess(record, prof).criteria}
    if flagged is None:
        assert "evidence" not in found
        return
    c = found["evidence"]
    rows_of = tuple(r - 16 + 10 for r in c.rows)        # make_record numbers rows from 16
    assert c.status == "warn" and rows_of == flagged and "cpd evidence add" in c.hint
    assert next(s for s in prof.criteria if s.id == "evidence").source
