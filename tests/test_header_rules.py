"""What a body asks besides the log: Engineers Ireland's annual compliance and ethics declaration before the
cycle ends, ICE's job summary of at most 200 words beside the plan and record, and Engineers Australia's
areas of practice (50 hours in each) and its academics' 40 hours of industry involvement. Each in the
template's header where that body's template has it, read on every path, kept in the service's document,
and checked."""
from __future__ import annotations

import json
from datetime import date

import openpyxl

from addin import assess, load_profile
from addin.form.layout import HEADER
from addin.record_json import record_data, record_from_data
from addin.workbook.reader import read_workbook
from conftest import fill_workbook, make_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COURSE = {"start_date": "2025-03-01", "title": "Process safety course", "hours": 36, "category":
          "Courses, seminars and conferences", "reflection": "Now run the hazard reviews on my plant"}


def ei(declared=None, as_of=None):
    profile = load_profile("ei")
    header = {"period_start": "2025-01-01", "period_end": "2025-12-31"}
    if declared:
        header["declared_on"] = declared
    record = make_record(profile, [COURSE], header=header)
    return assess(record, profile, as_of=as_of)


def test_engineers_ireland_asks_for_the_declaration_before_the_cycle_ends():
    missing = ei()
    crit = next(c for c in missing.criteria if c.id == "declaration")
    assert crit.status == "fail" and missing.verdict == "not_ready"
    assert "make EI's compliance and ethics declaration by 31 Dec 2025" in crit.hint
    assert "Declaration made on" in crit.hint
    made = ei(declared=date(2025, 11, 20))
    assert next(c for c in made.criteria if c.id == "declaration").status == "pass" and made.verdict == "ready"


def test_a_declaration_still_due_is_a_warning_and_one_outside_the_cycle_is_not_this_years():
    due = next(c for c in ei(as_of=date(2025, 10, 1)).criteria if c.id == "declaration")
    assert due.status == "warn" and "by 31 Dec 2025" in due.hint
    late = next(c for c in ei(declared=date(2026, 1, 15)).criteria if c.id == "declaration")
    assert late.status == "fail" and "15 Jan 2026" in late.reason and "after the cycle ended" in late.reason
    old = next(c for c in ei(declared=date(2024, 12, 1)).criteria if c.id == "declaration")
    assert old.status == "fail" and "before this cycle began" in old.reason


def ice(summary):
    profile = load_profile("ice")
    acts = [{"start_date": "2025-03-01", "title": "Design course", "hours": 30, "category": "Training courses",
             "reflection": "Changed my checks", "objective": "O1", "skill_type": "Technical"}]
    record = make_record(profile, acts, header={"job_summary": summary} if summary else None,
                         objectives=[{"ref": "O1", "objective": "Learn Eurocode 7", "status": "In progress",
                                      "target_date": "2026-06-30"}])
    return next(c for c in assess(record, profile).criteria if c.id == "job_summary")


def test_ice_asks_for_a_job_summary_of_at_most_200_words():
    assert ice(None).status == "fail" and "Job summary" in ice(None).hint
    assert ice(" ".join(["word"] * 200)).status == "pass"
    long = ice(" ".join(["word"] * 201))
    assert long.status == "fail" and long.reason == "the job summary is 201 words; at most 200"


def test_only_the_bodies_that_ask_have_the_cells_and_every_path_reads_them(cpd, tmp_path, service):
    for pid, has in (("ei", "declared_on"), ("ice", "job_summary"), ("iet", None)):
        ws = openpyxl.load_workbook(_new(cpd, tmp_path, pid))["Record"]
        labels = {ws.cell(row=HEADER[f].row, column=HEADER[f].label_col).value for f in ("declared_on", "job_summary")}
        assert labels - {None} == ({HEADER[has].label} if has else set()), pid
    path = _new(cpd, tmp_path, "ei")
    fill_workbook(path, [COURSE], header={"period_start": "2025-01-01", "period_end": "2025-12-31",
                                          "declared_on": "2025-11-20"})
    checked = json.loads(cpd("check", path, "--json").output)
    assert next(c for c in checked["criteria"] if c["id"] == "declaration")["status"] == "pass"
    read = read_workbook(path)
    assert read.record.member.declared_on == date(2025, 11, 20)
    data = record_data(read.record, read.profile)
    assert data["member"]["declared_on"] == "2025-11-20"
    again, _ = record_from_data(data)
    assert again.member.declared_on == date(2025, 11, 20)
    res = service.test_client().post("/api/v1/submissions", data=path.read_bytes(),
                                     headers={"Authorization": f"Bearer {service.config['TOKENS']['a']}",
                                              "Content-Type": XLSX})
    assert res.status_code == 201 and res.get_json()["verdict"] == "ready", res.get_json()


def _new(cpd, tmp_path, pid):
    path = tmp_path / f"{pid}.xlsx"
    if not path.exists():
        assert cpd("new", path, "-p", pid, "--year", "2025").exit_code == 0
    return path


# ---------------------------------------------------------------- Engineers Australia

def ea(acts, header=None):
    profile = load_profile("ea")
    hdr = {"period_start": "2023-01-01", "period_end": "2025-12-31", **(header or {})}
    return assess(make_record(profile, acts, header=hdr), profile)


def ea_act(day, hours, topics, category="Short courses, workshops and seminars"):
    return {"start_date": day, "title": "Course", "hours": hours, "category": category, "topics": topics}


def test_engineers_australia_asks_50_hours_in_each_area_of_practice():
    """A member practising in two areas needs 50 hours in each; an activity may count for both."""
    acts = [ea_act("2023-03-01", 50, "Structural"), ea_act("2024-03-01", 20, "Geotechnical, Structural"),
            ea_act("2025-03-01", 10, "Risk management"), ea_act("2025-04-01", 15, "Business and management"),
            ea_act("2025-05-01", 60, None, "Private study")]
    two = ea(acts, {"practice_areas": "Structural, Geotechnical"})
    crit = next(c for c in two.criteria if c.id == "area_of_practice")
    assert crit.status == "fail" and two.verdict == "not_ready"
    assert crit.reason == "70 of 50 hours on Structural; 20 of 50 hours on Geotechnical"
    assert crit.hint.startswith("add 30 hours on Geotechnical before 31 Dec 2025")
    acts.append(ea_act("2025-06-01", 30, "Geotechnical"))
    assert next(c for c in ea(acts, {"practice_areas": "Structural, Geotechnical"}).criteria
                if c.id == "area_of_practice").status == "pass"


def test_with_no_areas_named_the_area_of_practice_topic_counts_as_before():
    acts = [ea_act("2023-03-01", 50, "Area of practice"), ea_act("2025-03-01", 100, "Risk management, Business")]
    assert next(c for c in ea(acts).criteria if c.id == "area_of_practice").status == "pass"


def test_an_area_not_named_in_the_header_is_refused_as_a_topic():
    from addin.intake import build_record
    profile = load_profile("ea")
    _, problems = build_record({"period_start": "2023-01-01", "period_end": "2025-12-31", "practice_areas": "Civil"},
                               [], [(10, ea_act("2024-01-01", 5, "Structural"))], profile)
    assert [p.code for p in problems] == ["topics_unknown"] and "Civil" in problems[0].message


def test_academics_need_40_hours_of_industry_involvement():
    acts = [ea_act("2023-03-01", 50, "Area of practice"), ea_act("2025-03-01", 100, "Risk management, Business"),
            ea_act("2024-06-01", 30, None, "Industry involvement (academics)")]
    assert next(c for c in ea(acts).criteria if c.id == "academic_industry").status == "pass"
    academic = next(c for c in ea(acts, {"academic": "Yes"}).criteria if c.id == "academic_industry")
    assert academic.status == "fail" and academic.reason == "30 of 40 hours of Industry involvement (academics)"
    from addin.intake import build_member
    _, problems = build_member({"academic": "perhaps"}, load_profile("ea"))
    assert [p.code for p in problems] == ["academic_invalid"]


def test_an_ea_workbook_carries_the_areas_and_academic_through_every_path(cpd, tmp_path):
    path = _new(cpd, tmp_path, "ea")
    fill_workbook(path, [ea_act("2024-03-01", 60, "Structural"), ea_act("2025-03-01", 100, "Risk management, Business")],
                  header={"period_start": "2023-01-01", "period_end": "2025-12-31", "practice_areas": "Structural, Civil",
                          "academic": "Yes"})
    read = read_workbook(path)
    member = read.require().member
    assert member.practice_areas == ("Structural", "Civil") and member.academic is True
    again, _ = record_from_data(record_data(read.record, read.profile))
    assert again.member == member
    checked = json.loads(cpd("check", path, "--json").output)
    crits = {c["id"]: c for c in checked["criteria"]}
    assert crits["area_of_practice"]["status"] == "fail" and "50 hours on Civil" in crits["area_of_practice"]["hint"]
    assert crits["academic_industry"]["status"] == "fail"
    plan = json.loads(cpd("plan", path, "--json", "--as-of", "2025-06-01").output)
    assert any(a["topic"] == "Civil" and a["hours"] == 50 for a in plan["actions"]), plan["actions"]


# ---------------------------------------------------------------- IMechE

def test_imeche_asks_the_member_to_choose_an_audit_statement(cpd, tmp_path):
    """IMechE's review has no hours and no fail: at audit the member picks a statement, which the template
    offers as a drop-down and the check asks for (a warning, as IMechE answers with feedback)."""
    profile = load_profile("imeche")
    blank = next(c for c in assess(make_record(profile, []), profile).criteria if c.id == "statement")
    assert blank.status == "warn" and "I record my CPD with my employer" in blank.hint
    chosen = make_record(profile, [], header={"audit_statement": "i record my cpd with my employer"})
    assert chosen.member.audit_statement == "I record my CPD with my employer"
    from addin.intake import build_member
    _, problems = build_member({"audit_statement": "All good"}, profile)
    assert [p.code for p in problems] == ["statement_unknown"]
    path = _new(cpd, tmp_path, "imeche")
    wb = openpyxl.load_workbook(path)
    ws = wb["Record"]
    cell = ws.cell(row=HEADER["audit_statement"].row, column=HEADER["audit_statement"].value_col)
    offered = [dv for dv in ws.data_validations.dataValidation if cell.coordinate in str(dv.sqref)]
    assert offered and offered[0].type == "list" and "Lists!$J$2:$J$6" in offered[0].formula1
    assert [wb["Lists"].cell(row=r, column=10).value for r in range(2, 7)] == list(profile.statements)
    fill_workbook(path, [], header={"period_start": "2025-01-01", "period_end": "2025-12-31",
                                    "audit_statement": "I am not professionally active"})
    checked = json.loads(cpd("check", path, "--json").output)
    assert next(c for c in checked["criteria"] if c["id"] == "statement")["reason"] == (
        "audit statement: I am not professionally active")
    read = read_workbook(path)
    again, _ = record_from_data(record_data(read.record, read.profile))
    assert again.member.audit_statement == "I am not professionally active"
