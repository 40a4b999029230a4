"""Rules as the institutions publish them, each at its boundary."""
from __future__ import annotations

from datetime import date

import pytest

from addin import assess, load_profile
from conftest import make_record


def istructe_year(safety_hours: float, other_hours: float):
    profile = load_profile("istructe")
    acts = [{"start_date": "2025-03-01", "title": "Safety course", "hours": safety_hours,
             "category": "Courses and seminars", "topics": "Health and safety", "reflection": "a b c d e f"},
            {"start_date": "2025-04-01", "title": "Design work", "hours": other_hours,
             "category": "Courses and seminars", "reflection": "a b c d e f"}]
    record = make_record(profile, acts, header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    return {c.id: c for c in assess(record, profile).criteria}


@pytest.mark.parametrize("safety, other, status", [(6, 54, "pass"), (5.9, 54.1, "warn"), (6, 24, "pass")])
def test_istructe_asks_for_six_hours_of_safety_a_year_not_a_fifth_of_all_hours(safety, other, status):
    """60 hours with 6 of them on safety passes (a share of all hours would have asked for 12); fewer is
    short of IStructE's aim, which its review answers with feedback, not a fail."""
    found = istructe_year(safety, other)["safety"]
    assert found.status == status, found.reason
    assert found.reason.startswith(f"{safety:g} of 6 hours")


def test_istructes_six_hours_of_structural_safety_are_an_aim_with_feedback_not_a_fail():
    profile = load_profile("istructe")
    acts = [{"start_date": "2025-03-01", "title": "Design course", "hours": 30, "category": "Courses and seminars",
             "reflection": "Changed how I check connection design"}]
    result = assess(make_record(profile, acts, header={"period_start": "2025-01-01", "period_end": "2025-12-31"}),
                    profile)
    safety = next(c for c in result.criteria if c.id == "safety")
    assert result.verdict == "ready" and safety.status == "warn"
    assert safety.hint.startswith("add 6 hours on Structural safety before 31 Dec 2025")
    assert "6 hours on Structural safety is IStructE's recommendation, and its review gives feedback" in safety.hint


def test_istructe_names_its_source_beside_the_rule():
    (safety,) = [c for c in load_profile("istructe").criteria if c.id == "safety"]
    assert "istructe.org" in safety.source


def test_iet_says_its_30_hours_are_a_recommendation():
    profile = load_profile("iet")
    record = make_record(profile, [{"start_date": "2025-03-01", "title": "Course", "hours": 12,
                                    "category": "Training courses", "reflection": "a b c d e f"}])
    hours = {c.id: c for c in assess(record, profile).criteria}["hours"]
    assert hours.status == "fail" and hours.reason == "12 of 30 hours"
    assert "30 hours is IET's recommendation, and its review gives feedback on a shortfall" in hours.hint


def test_a_workbook_made_for_icttech_is_one_cpd_check_reads(cpd, tmp_path):
    made = cpd("new", tmp_path / "ict.xlsx", "--registration", "ICTTech", "--year", "2025")
    assert made.exit_code == 0, made.output
    checked = cpd("check", tmp_path / "ict.xlsx")
    assert checked.exit_code == 1 and "registration_unknown" not in checked.output     # not ready, but read
    profile = load_profile("iet")
    record = make_record(profile, [{"start_date": "2025-03-01", "title": "Course", "hours": 2,
                                    "competences": "B3, C4"}], header={"registration": "ICTTech"})
    assert record.member.registration == "ICTTech" and record.activities[0].competences == ("B3", "C4")


def rics_record(year: int, topics: list[str], status: str = "Active", declared: str | None = "12-01", as_of=None):
    profile = load_profile("rics")
    acts = [{"start_date": f"{year}-03-01", "title": "Course", "hours": 20, "category": "Formal: course or conference",
             "topics": ", ".join(topics), "reflection": "a b c d e f", "evidence": "certificate of attendance"}]
    header = {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "status": status}
    if declared:
        header["declared_on"] = declared if "-" in declared[3:] else f"{year}-{declared}"
    return assess(make_record(profile, acts, header=header), profile, as_of=as_of)


def test_rics_asks_from_2026_for_an_annual_declaration_by_31_january():
    def declaration(year, declared, as_of=None):
        return next(c for c in rics_record(year, ["Ethics"], declared=declared, as_of=as_of).criteria
                    if c.id == "declaration")
    assert declaration(2026, "2027-01-20").status == "pass"
    late = declaration(2026, "2027-02-05")
    assert late.status == "fail" and "after the cycle ended" in late.reason and "by 31 Jan 2027" in late.hint
    assert declaration(2026, None).status == "fail"
    assert declaration(2026, None, as_of=date(2027, 1, 10)).status == "warn"
    assert declaration(2025, None).status == "pass"                     # not asked before 2026


def test_rics_2026_asks_for_sustainability_ai_and_data_within_three_years():
    """Due within three years from January 2026: not a failure in 2026 or 2027 (a warning saying by when),
    a failure in 2028 without them; and nothing before 2026 counts towards them."""
    only_ethics = rics_record(2026, ["Ethics and professional standards"])
    warned = {c.id: c.reason for c in only_ethics.criteria if c.status == "warn"}
    assert set(warned) == {"sustainability", "data_ai_technology"}
    assert only_ethics.verdict == "ready" and warned["data_ai_technology"].endswith("due by 31 Dec 2028")
    late = rics_record(2028, ["Ethics and professional standards"])
    assert {c.id for c in late.criteria if c.status == "fail"} == {"sustainability", "data_ai_technology"}
    profile = load_profile("rics")
    acts = [{"start_date": "2025-06-01", "title": "Net zero course", "hours": 2, "category": "Formal: course or conference",
             "topics": "Sustainability"},
            {"start_date": "2027-03-01", "title": "Course", "hours": 20, "category": "Formal: course or conference",
             "topics": "Ethics and professional standards"}]
    in_2027 = assess(make_record(profile, acts, header={"period_start": "2027-01-01", "period_end": "2027-12-31"}),
                     profile)
    sustainability = next(c for c in in_2027.criteria if c.id == "sustainability")
    assert sustainability.status == "warn" and "since 1 Jan 2026" in sustainability.reason   # 2025 is before the rule
    every_one = rics_record(2026, ["Ethics and professional standards", "Sustainability", "AI"])
    assert every_one.verdict == "ready", [(c.id, c.reason) for c in every_one.criteria if c.status != "pass"]
    before = rics_record(2025, ["Ethics and professional standards"])            # not asked for before 2026
    assert before.verdict == "ready"
    assert {c.id: c.reason for c in before.criteria}["data_ai_technology"].endswith("from 2026")


def test_rics_does_not_exempt_a_member_by_status():
    result = rics_record(2025, ["Ethics and professional standards"], status="Not professionally active")
    assert result.verdict != "exempt"


# ---------------------------------------------------------------- US boards: each state's own profile

def us_record(pid: str, acts: list[dict], period: tuple[str, str], status: str = "Active", carried=None):
    profile = load_profile(pid)
    header = {"period_start": period[0], "period_end": period[1], "status": status}
    if carried is not None:
        header["carried_over"] = carried
    return profile, assess(make_record(profile, acts, header=header), profile)


def course(day: str, hours: float, category="Courses, seminars and workshops", topics=None) -> dict:
    act = {"start_date": day, "title": "Course", "hours": hours, "category": category}
    if topics:
        act["topics"] = topics
    return act


@pytest.mark.parametrize("hours, verdict", [(29, "not_ready"), (30, "ready")])
def test_south_carolina_asks_30_pdh_over_its_two_year_period(hours, verdict):
    """A biennial state: 29 PDH over 1 Jul 2024 - 30 Jun 2026 is short (the fixed 15 PDH passed it)."""
    _, result = us_record("us-sc", [course("2024-09-01", hours / 2), course("2025-10-01", hours / 2)],
                          ("2024-07-01", "2026-06-30"))
    assert result.verdict == verdict and result.target == 30
    assert load_profile("us-sc").default_period(2024).start.isoformat() == "2024-07-01"
    assert load_profile("us-sc").default_period(2024).end.isoformat() == "2026-06-30"


@pytest.mark.parametrize("hours, verdict", [(35.5, "not_ready"), (36, "ready")])
def test_new_york_asks_36_hours_over_three_years_with_an_hour_of_ethics(hours, verdict):
    _, result = us_record("us-ny", [course("2024-03-01", hours - 1), course("2025-03-01", 1, topics="Ethics")],
                          ("2024-01-01", "2026-12-31"))
    assert result.verdict == verdict, [(c.id, c.reason) for c in result.criteria]
    _, no_ethics = us_record("us-ny", [course("2024-03-01", 40)], ("2024-01-01", "2026-12-31"))
    assert {c.id: c.status for c in no_ethics.criteria}["ethics"] == "fail"


def test_new_york_carries_nothing_over_and_texas_carries_at_most_14():
    _, ny = us_record("us-ny", [course("2024-03-01", 30, topics="Ethics")], ("2024-01-01", "2026-12-31"), carried=10)
    assert ny.counted_hours == 30 and any("does not allow hours to be carried over" in n for n in ny.notes)
    _, tx = us_record("us-tx", [course("2025-03-01", 1, topics="Ethics")], ("2025-01-01", "2025-12-31"), carried=20)
    assert tx.counted_hours == 15 and tx.verdict == "ready"                # 1 earned + 14 carried (of 20 typed)


def test_texas_counts_at_most_5_pdh_of_self_directed_study_and_no_work_experience():
    acts = [course("2025-02-01", 5, topics="Ethics"), course("2025-03-01", 8, "Self-directed study"),
            course("2025-04-01", 10, "Work experience")]
    _, result = us_record("us-tx", acts, ("2025-01-01", "2025-12-31"))
    assert result.counted_hours == 10 and result.verdict == "not_ready"       # 5 + 5 of 8 + 0 of 10
    assert result.totals.hours == 23


@pytest.mark.parametrize("pid, status, verdict", [("us-sc", "New licensee (first renewal)", "exempt"),
                                                  ("us-sc", "On active military duty", "exempt"),
                                                  ("us-sc", "Exempted by the Board", "exempt"),
                                                  ("us-nc", "New licensee (first renewal)", "exempt"),
                                                  ("us-nc", "On active military duty", "exempt"),
                                                  ("us-tx", "Inactive licence", "exempt"),
                                                  ("us-tx", "On active military duty", "exempt"),
                                                  ("us-tx", "Active", "not_ready")])
def test_us_boards_exempt_new_licensees_and_military_duty_where_their_rules_say_so(pid, status, verdict):
    _, result = us_record(pid, [course("2025-03-01", 1)], ("2025-01-01", "2025-12-31"), status=status)
    assert result.verdict == verdict
    assert (result.target is None) is (verdict == "exempt")          # an exempt member is asked for no hours


def test_each_exemption_says_what_the_board_says_of_it(cpd, tmp_path):
    """Texas's military relief is an extension (the PDH are still owed); South Carolina's disability exemption
    is the Board's to grant; the note says so, in `cpd check` too, and the Summary asks for no hours."""
    _, tx = us_record("us-tx", [course("2025-03-01", 1)], ("2025-01-01", "2025-12-31"), status="On active military duty")
    assert any("an extension, not a waiver" in n and "still owed" in n for n in tx.notes), tx.notes
    _, sc = us_record("us-sc", [], ("2024-07-01", "2026-06-30"), status="Exempted by the Board")
    assert any("only as reviewed and approved by the Board" in n for n in sc.notes), sc.notes
    path = tmp_path / "tx.xlsx"
    assert cpd("new", path, "-p", "us-tx", "--status", "inactive_licence", "--year", "2025").exit_code == 0
    checked = cpd("check", path)
    assert checked.exit_code == 0 and "EXEMPT" in checked.output and "137.12(c)" in checked.output, checked.output


def test_a_status_a_body_does_not_offer_is_refused_on_every_path(cpd, tmp_path):
    """Texas exempts no new licensee: its status list lacks the status, `cpd new` refuses it as an option and
    `cpd check` refuses it in a workbook, naming the cell."""
    from addin.intake import build_member
    _, problems = build_member({"status": "New licensee (first renewal)"}, load_profile("us-tx"))
    assert [p.code for p in problems] == ["status_unknown"] and "TX PE does not offer it" in problems[0].message
    made = cpd("new", tmp_path / "tx.xlsx", "-p", "us-tx", "--status", "new_licensee")
    assert made.exit_code == 2 and "--status: status must be one of" in made.output
    assert not (tmp_path / "tx.xlsx").exists()
    bad = cpd("new", tmp_path / "iet.xlsx", "--registration", "CEngg")
    assert bad.exit_code == 2 and "--registration: registration title must be one of CEng" in bad.output


def test_us_boards_logs_have_location_and_instructor_where_the_rule_asks():
    from addin.form.layout import columns_for
    for pid, has in (("us-nc", True), ("us-sc", True), ("us-pe", True), ("iet", False), ("us-tx", False)):
        fields = {c.field for c in columns_for(load_profile(pid))}
        assert ({"location", "instructor"} <= fields) is has, pid


# ---------------------------------------------------------------- Engineers Australia

def test_engineers_australia_has_no_90_hour_target_and_takes_leave_off_its_150():
    profile = load_profile("ea")
    header = {"period_start": "2023-01-01", "period_end": "2025-12-31", "status": "Partially active"}
    record = make_record(profile, [course("2024-03-01", 100, "Short courses, workshops and seminars")], header=header)
    assert assess(record, profile).target == 150                   # not Victoria's 90
    year_off = make_record(profile, [], header={**header, "status": "Active", "leave_days": 365})
    assert assess(year_off, profile).target == 100                 # two thirds of 150, not 60 and not 100.05


# ---------------------------------------------------------------- sources

def test_every_criterion_of_every_shipped_profile_names_its_source():
    from addin.profile import list_profiles
    missing = [(p.id, c.id) for p in list_profiles() for c in p.criteria if not (c.source and len(c.source) > 20)]
    assert not missing
    read_today = [c.source for p in list_profiles() for c in p.criteria if "read 2026-" in c.source]
    assert len(read_today) >= 20 and all("http" in s for s in read_today)


def test_south_carolinas_biennium_ends_on_30_june_of_an_even_year(cpd, tmp_path):
    """S.C. bienniums run 1 July to 30 June of an even year: a record for 2025 is the one under way then
    (1 Jul 2024 - 30 Jun 2026), and a period ending in an odd year is not the one under review."""
    path = tmp_path / "sc.xlsx"
    made = cpd("new", path, "-p", "us-sc", "--year", "2025")
    assert made.exit_code == 0 and "1 Jul 2024 to 30 Jun 2026" in made.output
    sc = load_profile("us-sc")
    assert (sc.default_period(2026).start, sc.default_period(2026).end) == (date(2026, 7, 1), date(2028, 6, 30))
    assert sc.period_named("2027").start == date(2026, 7, 1)            # the one under way in July 2027
    _, wrong = us_record("us-sc", [course("2025-09-01", 30)], ("2025-07-01", "2027-06-30"))
    period = next(c for c in wrong.criteria if c.id == "period")
    assert period.status != "pass" and "from 1 Jul 2024 to 30 Jun 2026" in period.hint, period
    _, right = us_record("us-sc", [course("2025-09-01", 30)], ("2024-07-01", "2026-06-30"))
    assert next(c for c in right.criteria if c.id == "period").status == "pass"


def test_hints_read_as_people_write():
    profile = load_profile("iet")
    record = make_record(profile, [{"start_date": "2025-03-01", "title": "Course", "hours": 2}])
    result = assess(record, profile)
    hints = " ".join(c.hint or "" for c in result.criteria)
    assert "row 16 has no" in hints and "row 16 have" not in hints
    assert "add a activities" not in hints and "add activities with a skill type" in hints


def test_an_exempt_members_readiness_asks_for_no_hours(cpd, tmp_path):
    import json
    path = tmp_path / "exempt.xlsx"
    assert cpd("new", path, "--status", "not_professionally_active").exit_code == 0
    checked = cpd("check", path, "--json")
    answer = json.loads(checked.output)
    assert answer["verdict"] == "exempt" and answer["target"] is None
    assert "asked for none" in cpd("check", path).output


def test_the_guidance_sheet_says_what_each_body_says():
    from addin.workbook.guidance import guidance_lines

    def text(pid):
        return " ".join(t for _, t in guidance_lines(load_profile(pid)))
    tx, rics, iet, sc = text("us-tx"), text("rics"), text("iet"), text("us-sc")
    assert "Self-directed study: at most 5 PDH count" in tx and "1 PDH is one contact hour" in tx
    assert "Other learning (not a PDH activity) does not count for TX PE" in tx
    assert "reading and research count" not in tx and "Count the learning that is relevant" not in tx
    assert "Exempt from the review: On active military duty (an extension, not a waiver" in tx and "At most 14 PDH" in tx
    assert "do not need to be accredited" not in rics and "No status exempts you from a RICS review" in rics
    assert "Formal CPD is: Formal: course or conference" in rics
    assert "Exempt from the review: Not professionally active" in iet and "reading and research count" in iet
    assert "Exempt from the review: New licensee (first renewal); On active military duty (temporary active duty" in sc
    assert "Exempted by the Board (physical disability or other extenuating circumstances" in sc


def test_rics_carries_forward_up_to_10_hours_only_after_a_substantial_programme():
    """'Members completing substantial programmes such as master's degrees can carry forward up to 10 CPD
    hours into the following year': the surplus carried is at most the programme's hours, and at most 10."""
    from addin.next_period import hours_passed_on
    profile = load_profile("rics")

    def passed(*acts):
        rows = [{"start_date": "2026-03-01", "title": f"Activity {i}", "hours": h, "category": c,
                 "reflection": "a b c d e f", "topics": "Ethics"} for i, (h, c) in enumerate(acts)]
        record = make_record(profile, rows, header={"period_start": "2026-01-01", "period_end": "2026-12-31",
                                                    "declared_on": "2026-12-01"})
        return hours_passed_on(record, profile)
    masters, course = "Formal: substantial programme (a master's degree)", "Formal: course or conference"
    assert passed((30, course)) == 0                                  # a surplus, but no programme
    assert passed((4, masters), (20, course)) == 4                    # the surplus, up to the programme's hours
    assert passed((40, masters)) == 10                                # at most 10
    log = make_record(profile, [{"start_date": "2026-03-01", "title": "MSc module", "hours": 40, "category": masters,
                                 "reflection": "a b c d e f", "topics": "Ethics"},
                                {"start_date": "2027-03-01", "title": "Course", "hours": 10, "category": course,
                                 "reflection": "a b c d e f"}],
                      header={"period_start": "2027-01-01", "period_end": "2027-12-31"})
    assert assess(log, profile).counted_hours == 20                   # 10 of its own and 10 carried in


def test_what_a_body_says_that_no_criterion_checks_is_on_its_guidance_sheet():
    from addin.workbook.guidance import guidance_lines
    ei = " ".join(t for _, t in guidance_lines(load_profile("ei")))
    assert "CPD Accredited Employer" in ei and "one record of your CPD kept by your employer" in ei
    nc = " ".join(t for _, t in guidance_lines(load_profile("us-nc")))
    assert "nearest one-third of an hour" in nc and "full-time faculty" in nc
