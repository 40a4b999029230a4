"""Every criterion of every shipped profile, and each rule kind the profile format expresses."""
from __future__ import annotations

from datetime import date

import pytest

from addin.model import Period, Status
from addin.profile import list_profiles, load_profile
from addin.readiness import assess
from conftest import make_record

PROFILES = [p.id for p in list_profiles()]
REFLECTION = ("Learnt the method in depth and applied it to the design review at work; next I will share it "
              "with the team.")


def period_for(profile):
    if profile.period.kind == "calendar_year":
        return date(2025, 1, 1), date(2025, 12, 31)
    if profile.period.ends_in != "any":                  # fixed periods (SC: 1 Jul 2024 - 30 Jun 2026)
        p = profile.default_period(2025)
        return p.start, p.end
    p = Period.years_ending(date(2025, 12, 31), profile.period.years)
    return p.start, p.end


def complete_record(profile):
    """A record that meets every criterion of the profile: built from its own vocabulary."""
    start, end = period_for(profile)
    target = profile.target(Status.ACTIVE) or 10
    cats = profile.categories
    each = (target * 1.2) / len(cats)
    skills = profile.skill_types
    acts = []
    for i, c in enumerate(cats):
        day = date(end.year, 1 + i % min(12, end.month), 10)
        acts.append({"start_date": day, "title": f"Activity {i}", "provider": "Provider", "hours": round(each, 2),
                     "category": c.label, "reflection": REFLECTION, "further_action": "Apply it next quarter",
                     "evidence": "certificate kept in my CPD folder",
                     "objective": "O1",
                     "skill_type": skills[i % len(skills)].label if skills else None,
                     "competences": "E4" if profile.competence_framework != "none" else None,
                     "topics": ", ".join(t.label for t in profile.topics) or None})
    objectives = [{"ref": "O1", "objective": "Grow", "target_date": end, "status": "Achieved",
                   "evaluation": "Met"},
                  {"ref": "O2", "objective": "Next year's aim", "target_date": date(end.year + 1, 6, 30),
                   "status": "Planned"}]
    header = {"period_start": start, "period_end": end}
    if "declared_on" in profile.extra_header:
        header["declared_on"] = date(end.year, 11, 20)
    if "audit_statement" in profile.extra_header:
        header["audit_statement"] = profile.statements[0]
    if "job_summary" in profile.extra_header:
        header["job_summary"] = "Site engineer on a highway scheme: temporary works, setting out and quality records."
    return make_record(profile, acts, header=header, objectives=objectives)


@pytest.mark.parametrize("pid", PROFILES)
def test_a_complete_record_passes_every_criterion(pid):
    profile = load_profile(pid)
    result = assess(complete_record(profile), profile)
    failing = [(c.id, c.status, c.reason) for c in result.criteria if c.status != "pass"]
    assert failing == []
    assert result.verdict == "ready" and result.score == 100


@pytest.mark.parametrize("pid,cid", [(p.id, c.id) for p in list_profiles() for c in p.criteria])
def test_every_criterion_falls_short_on_an_empty_record_with_a_hint(pid, cid):
    profile = load_profile(pid)
    start, end = period_for(profile)
    result = assess(make_record(profile, [], header={"period_start": start, "period_end": end}), profile)
    c = next(c for c in result.criteria if c.id == cid)
    spec = next(s for s in profile.criteria if s.id == cid)
    if c.kind == "period":
        assert c.status == "pass"          # the period is right; nothing else is
    elif c.kind in ("claimed_once", "evidence"):
        assert c.status == "pass"          # a guard on what is claimed: nothing claimed, nothing wrong
    elif c.kind == "academic_hours":
        assert c.status == "pass" and "academics only" in c.reason      # asked of academics, who say so
    elif spec.params.get("from_year", 0) > end.year:
        assert c.status == "pass" and "asked for from" in c.reason      # a rule not yet in force then
    else:
        assert c.status in ("warn", "fail") and c.hint, (c.status, c.reason)
        spec = next(s for s in profile.criteria if s.id == cid)
        assert c.status == spec.severity


def test_ea_150_hours_over_three_years_with_minimums():
    ea = load_profile("ea")
    start, end = date(2023, 1, 1), date(2025, 12, 31)
    acts = [{"start_date": date(2023, 5, 1), "title": "a", "hours": 60, "category": "Tertiary education",
             "topics": "Area of practice"},
            {"start_date": date(2024, 5, 1), "title": "b", "hours": 40, "category": "Private study",
             "topics": "risk"},
            {"start_date": date(2025, 5, 1), "title": "c", "hours": 20, "category": "Service to the profession",
             "topics": "Business and management"}]
    r = assess(make_record(ea, acts, header={"period_start": start, "period_end": end}), ea)
    res = {c.id: c for c in r.criteria}
    assert r.totals.hours == 120
    assert res["hours"].status == "fail" and res["hours"].hint.startswith("add 30 hours")
    assert [res[k].status for k in ("area_of_practice", "risk", "business", "period")] == ["pass"] * 4


def test_ea_pro_rates_for_leave():
    ea = load_profile("ea")
    start, end = date(2023, 1, 1), date(2025, 12, 31)
    days = (end - start).days + 1
    rec = make_record(ea, [], header={"period_start": start, "period_end": end, "leave_days": days // 3})
    assert assess(rec, ea).target == pytest.approx(150 * (1095 - days // 3) / 1095)
    year_off = make_record(ea, [], header={"period_start": start, "period_end": end, "leave_days": 365})
    assert assess(year_off, ea).target == 100            # a year's leave over three years: two thirds, not 100.05


def test_rics_formal_hours_and_ethics_every_three_years():
    rics = load_profile("rics")
    acts = [{"start_date": date(2025, 3, 1), "title": "a", "hours": 6, "category": "Formal: course or conference"},
            {"start_date": date(2025, 4, 1), "title": "b", "hours": 16, "category": "Informal: reading and research"}]
    r = {c.id: c for c in assess(make_record(rics, acts), rics).criteria}
    assert r["hours"].status == "pass"
    assert r["formal"].status == "fail" and r["formal"].hint.startswith("add 4 hours of formal CPD")
    assert r["ethics"].status == "fail" and "since 1 Jan 2023" in r["ethics"].reason
    # ethics done in 2023 still counts in 2025 (rolling three years), 2022 does not
    for year, status in ((2023, "pass"), (2022, "fail")):
        old = acts + [{"start_date": date(year, 6, 1), "title": "e", "hours": 1,
                       "category": "Formal: structured e-learning", "topics": "Ethics"}]
        r = {c.id: c for c in assess(make_record(rics, old), rics).criteria}
        assert r["ethics"].status == status


def test_istructe_90_hours_over_three_years_makes_up_a_short_year():
    ist = load_profile("istructe")
    acts = [{"start_date": date(y, 6, 1), "title": "a", "hours": h, "category": "Courses and seminars",
             "topics": "Health and safety"} for y, h in ((2023, 40), (2024, 35), (2025, 20))]
    r = {c.id: c for c in assess(make_record(ist, acts), ist).criteria}
    assert r["hours"].status == "pass" and "95 of 90" in r["hours"].reason
    acts[0]["hours"] = 30
    r = {c.id: c for c in assess(make_record(ist, acts), ist).criteria}
    assert r["hours"].status == "fail" and "85 of 90" in r["hours"].reason


def test_istructe_six_hours_of_safety_a_year_whatever_the_total():
    ist = load_profile("istructe")
    acts = [{"start_date": date(2025, 2, 1), "title": "a", "hours": 36, "category": "Courses and seminars"},
            {"start_date": date(2025, 3, 1), "title": "b", "hours": 6, "category": "Reading and research",
             "topics": "safety"}]
    r = {c.id: c for c in assess(make_record(ist, acts), ist).criteria}
    assert r["safety"].status == "pass" and r["safety"].reason == "6 of 6 hours on Structural safety"


def test_texas_carry_over_is_capped_at_14():
    tx = load_profile("us-tx")
    acts = [{"start_date": date(2025, 3, 1), "title": "a", "hours": 4, "category": "Courses, seminars and workshops",
             "topics": "ethics"}]
    rec = make_record(tx, acts, header={"carried_over": 40})
    r = assess(rec, tx)
    assert r.counted_hours == 18 and r.target == 15
    assert any("3 PDH may be carried forward" in n for n in r.notes)
    assert {c.id: c.status for c in r.criteria}["hours"] == "pass"


def test_the_ncees_model_asks_15_pdh_a_calendar_year_with_an_hour_of_ethics_and_carries_nothing():
    """0 PDH earned and 15 typed as carried over, with no ethics, was READY; the model carries nothing over
    and asks 1 PDH of ethics."""
    pe = load_profile("us-pe")
    r = assess(make_record(pe, [], header={"carried_over": 15}), pe)
    assert r.verdict == "not_ready" and r.counted_hours == 0
    statuses = {c.id: c.status for c in r.criteria}
    assert statuses["hours"] == "fail" and statuses["ethics"] == "fail"
    assert any("does not allow hours to be carried over" in n for n in r.notes)
    acts = [{"start_date": date(2025, 3, 1), "title": "a", "hours": 14, "category": "Courses, seminars and workshops"},
            {"start_date": date(2025, 4, 1), "title": "b", "hours": 1, "category": "Courses, seminars and workshops",
             "topics": "ethics"}]
    assert assess(make_record(pe, acts), pe).verdict == "ready"
    assert (pe.default_period(2025).start, pe.default_period(2025).end) == (date(2025, 1, 1), date(2025, 12, 31))


def test_no_carry_over_where_the_profile_allows_none(iet):
    r = assess(make_record(iet, [], header={"carried_over": 12}), iet)
    assert r.counted_hours == 0 and any("not counted" in n for n in r.notes)


def test_engc_seven_duties_no_hours():
    engc = load_profile("engc")
    assert engc.hours is None and len(engc.criteria) == 7
    r = assess(complete_record(engc), engc)
    assert r.target is None and r.verdict == "ready"


def test_ikt_judges_reflection_and_further_action_not_hours():
    ikt = load_profile("ikt")
    acts = [{"start_date": date(2025, 3, 1), "title": "Read a book", "provider": "Self",
             "category": "Reading and research", "reflection": "Too short"}]
    r = {c.id: c for c in assess(make_record(ikt, acts), ikt).criteria}
    assert "hours" not in r
    assert r["reflection"].status == "fail" and r["further_action"].status == "fail"
    assert r["further_action"].hint == "row 16: note any further action (or 'none')"


CUSTOM = """
id = "custom"
name = "Custom body"
[period]
kind = "licence_year"
start_month = 4
[hours]
required = { active = 20 }
[[categories]]
id = "courses"
label = "Courses"
min_hours = 5
max_hours = 12
[[categories]]
id = "reading"
label = "Reading"
[[criteria]]
id = "mins"
kind = "category_hours"
title = "Category minimums"
[[criteria]]
id = "hours"
kind = "total_hours"
title = "20 hours"
"""


def test_per_category_minimums_and_caps_from_a_custom_profile(tmp_path):
    path = tmp_path / "custom.toml"
    path.write_text(CUSTOM)
    prof = load_profile(str(path))
    acts = [{"start_date": date(2025, 2, 1), "title": "a", "hours": 15, "category": "Courses"},
            {"start_date": date(2025, 2, 2), "title": "b", "hours": 4, "category": "Reading"}]
    r = assess(make_record(prof, acts), prof)
    res = {c.id: c for c in r.criteria}
    assert r.totals.hours == 19 and r.counted_hours == 16      # 15 courses capped at 12
    assert res["mins"].status == "pass" and res["hours"].reason == "16 of 20 hours"
    acts[0]["hours"] = 3
    res = {c.id: c for c in assess(make_record(prof, acts), prof).criteria}
    assert res["mins"].status == "fail" and res["mins"].hint.startswith("add 2 hours of Courses")


def test_profile_format_expresses_every_rule_kind():
    kinds = {c.kind for p in list_profiles() for c in p.criteria}
    periods = {p.period.kind for p in list_profiles()}
    assert periods == {"calendar_year", "rolling_years", "licence_year"}
    assert {"total_hours", "formal_hours", "topic_hours", "topic_recency"} <= kinds
    hours = [p.hours for p in list_profiles() if p.hours]
    assert any(h.carry_over_max for h in hours) and any(h.pro_rating == "leave_days" for h in hours)
    assert any(h.alternative for h in hours)
    assert any(p.hours is None for p in list_profiles())            # reflection-only regime
    assert all(p.exempt_statuses for p in list_profiles() if p.id in ("iet", "ei", "ea"))
    assert not load_profile("rics").exempt_statuses            # RICS: leave or illness does not exempt by itself
