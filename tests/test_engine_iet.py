"""The IET review, criterion by criterion, at its boundaries."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.model import Activity
from addin.profile import CriterionSpec
from addin.readiness import assess, hours_in
from addin.readiness.criteria import reflection
from conftest import make_record

GOOD = dict(category="Training courses", skill_type="Personal technical", competences="A1",
            reflection="Learnt the method and applied it to our design review.", objective="O1")
PLAN = [{"ref": "O1", "objective": "Grow technical depth"}]


def act(day, hours, **kw):
    return {"start_date": day, "title": "Activity", "hours": hours, **GOOD, **kw}


def spread(total: float):
    """Activities in 3 categories, technical and soft, adding up to `total` hours."""
    part = total / 4
    return [act(date(2025, 2, 1), part), act(date(2025, 3, 1), part, category="Self-study"),
            act(date(2025, 4, 1), part, category="Events and seminars", skill_type="Soft skills"),
            act(date(2025, 5, 1), part, skill_type="Soft skills")]


def by_id(result):
    return {c.id: c for c in result.criteria}


def test_exactly_30_hours_passes(iet):
    r = assess(make_record(iet, spread(30), objectives=PLAN), iet)
    assert r.totals.hours == 30
    assert by_id(r)["hours"].status == "pass"
    assert r.verdict == "ready" and r.score == 100


def test_just_under_30_hours_fails_with_the_gap_and_deadline(iet):
    r = assess(make_record(iet, spread(23.5), objectives=PLAN), iet, as_of=date(2025, 11, 1))
    c = by_id(r)["hours"]
    assert c.status == "fail"
    assert c.reason == "23.5 of 30 hours"
    assert c.hint == ("add 6.5 hours before 31 Dec 2025; 30 hours is IET's recommendation, and its review gives "
                      "feedback on a shortfall rather than a fail")
    assert r.verdict == "not_ready"


def test_after_the_period_the_hint_says_it_ended(iet):
    r = assess(make_record(iet, spread(20), objectives=PLAN), iet, as_of=date(2026, 2, 1))
    assert by_id(r)["hours"].hint.startswith("add 10 hours dated in the period (it ended 31 Dec 2025); 30 hours is ")


def test_partially_active_needs_10_hours(iet):
    rec = make_record(iet, spread(10), header={"status": "Partially active"}, objectives=PLAN)
    r = assess(rec, iet)
    assert r.target == 10 and by_id(r)["hours"].status == "pass"
    rec = make_record(iet, spread(9), header={"status": "partially active"}, objectives=PLAN)
    assert by_id(assess(rec, iet))["hours"].hint.startswith("add 1 hour ")


def test_not_professionally_active_is_exempt(iet):
    r = assess(make_record(iet, [], header={"status": "Not professionally active"}), iet)
    assert r.verdict == "exempt" and r.ready
    assert any("exempt" in n for n in r.notes)


def test_empty_record_fails_with_a_hint_for_every_failure(iet):
    r = assess(make_record(iet, []), iet)
    assert r.verdict == "not_ready"
    statuses = {c.id: c.status for c in r.criteria}
    assert statuses == {"period": "pass", "plan": "fail", "hours": "fail", "range": "fail", "skills_mix": "fail",
                        "competences": "fail", "reflection": "fail"}
    assert all(c.hint for c in r.criteria if c.status != "pass")
    assert r.score == round(100 * 1 / 7)


def test_one_category_only(iet):
    acts = [act(date(2025, 2, 1), 20), act(date(2025, 3, 1), 15, skill_type="Soft skills")]
    c = by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["range"]
    assert c.status == "fail"
    assert c.reason == "1 of 6 categories covered (Training courses)"
    assert "Work experience, Academic study, Volunteering, Events and seminars or Self-study" in c.hint


def test_two_categories_warn_three_pass(iet):
    two = [act(date(2025, 2, 1), 20), act(date(2025, 3, 1), 15, category="Volunteering", skill_type="Soft skills")]
    assert by_id(assess(make_record(iet, two, objectives=PLAN), iet))["range"].status == "warn"
    three = two + [act(date(2025, 4, 1), 1, category="Self-study")]
    assert by_id(assess(make_record(iet, three, objectives=PLAN), iet))["range"].status == "pass"


def test_activities_outside_the_period_do_not_count(iet):
    acts = spread(30) + [act(date(2024, 12, 31), 50), act(date(2026, 1, 1), 50)]
    r = assess(make_record(iet, acts, objectives=PLAN), iet)
    assert r.totals.hours == 30 and len(r.totals.activities) == 4


def test_an_activity_crossing_the_period_is_apportioned_by_days(iet):
    # 10 hours over 30 Dec 2025 - 2 Jan 2026: 2 of its 4 days fall in 2025.
    crossing = act(date(2025, 12, 30), 10, end_date=date(2026, 1, 2))
    r = assess(make_record(iet, [crossing], objectives=PLAN), iet)
    assert r.totals.hours == 5
    # and from the other side: a course of 3 days starting 30 Dec 2024 gives 2 days' share
    before = act(date(2024, 12, 30), 9, end_date=date(2025, 1, 1))
    assert assess(make_record(iet, [before], objectives=PLAN), iet).totals.hours == 3


def test_hours_in_helper_is_exact_for_a_leap_year():
    from addin.model import Activity, Period
    a = Activity(row=1, start_date=date(2024, 2, 28), end_date=date(2024, 3, 1), hours=3)
    assert hours_in(a, Period(date(2024, 2, 1), date(2024, 2, 29))) == 2


def test_reflection_hint_names_the_rows(iet):
    acts = spread(32)
    acts[1] = {**acts[1], "reflection": None}
    acts[3] = {**acts[3], "reflection": "ok"}
    c = by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["reflection"]
    assert c.status == "fail"     # half the activities: more than a quarter
    assert c.rows == (17, 19)
    assert c.hint.startswith("row 17: no reflection; row 19: reflection under 5 words")


def test_one_missing_reflection_in_many_is_a_warning(iet):
    acts = spread(32) + spread(8)
    acts[0] = {**acts[0], "reflection": ""}
    c = by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["reflection"]
    assert c.status == "warn" and c.rows == (16,)


# words short and long, and runs of every kind of space str.split splits on
_PIECES = ["word", "a", "\u00e9t\u00e9", "x" * 19, "w" * 250, " ", "   ", "\t", "\n", "\u00a0", "\u3000",
           "\u2003", "\x1c"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join), min_size=1, max_size=12),
       st.integers(1, 15))
def test_a_reflection_is_short_exactly_when_it_has_fewer_words_than_asked(texts, need):
    """However a reflection's words and spaces fall (long words, runs of spaces of every kind), it is counted
    under ``min_words`` exactly when ``str.split`` finds fewer words in it than that, and missing when it has
    none."""
    acts = tuple(Activity(row=16 + i, start_date=date(2025, 3, 1), end_date=date(2025, 3, 1), hours=1.0,
                          reflection=text or None) for i, text in enumerate(texts))
    spec = CriterionSpec("reflection", "reflection", "Reflection", params={"min_words": need})
    outcome = reflection(SimpleNamespace(totals=SimpleNamespace(activities=acts)), spec)
    missing = [16 + i for i, text in enumerate(texts) if not text]
    thin = [16 + i for i, text in enumerate(texts) if text and len(text.split()) < need]
    assert outcome.rows == tuple(sorted(missing + thin))
    assert (f"reflection under {need} words" in (outcome.hint or "")) == bool(thin)


def test_skills_mix_needs_soft_skills(iet):
    acts = [act(date(2025, m, 1), 8, category=c) for m, c in
            ((2, "Training courses"), (3, "Self-study"), (4, "Work experience"), (5, "Academic study"))]
    c = by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["skills_mix"]
    assert c.status == "fail" and "Soft skills" in c.hint


def test_skills_mix_warns_when_lopsided(iet):
    acts = [act(date(2025, 2, 1), 40), act(date(2025, 3, 1), 2, skill_type="Soft skills")]
    c = by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["skills_mix"]
    assert c.status == "warn" and "soft skills are under 10%" in c.hint


def test_plan_missing_and_unlinked_activities(iet):
    no_plan = [{**a, "objective": None} for a in spread(30)]
    c = by_id(assess(make_record(iet, no_plan), iet))["plan"]
    assert c.status == "fail" and "Plan sheet" in c.hint
    acts = spread(30)
    for a in acts[:3]:
        a["objective"] = None
    c = by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["plan"]
    assert c.status == "warn" and c.rows == (16, 17, 18)


def test_competence_links(iet):
    acts = spread(30)
    for a in acts:
        a["competences"] = None
    c = by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["competences"]
    assert c.status == "fail" and "rows 16, 17, 18, 19" in c.hint
    acts[0]["competences"] = "E4"
    assert by_id(assess(make_record(iet, acts, objectives=PLAN), iet))["competences"].status == "warn"


def test_period_that_is_not_a_calendar_year_warns(iet):
    rec = make_record(iet, spread(30), header={"period_start": date(2025, 4, 1), "period_end": date(2026, 3, 31)},
                      objectives=PLAN)
    c = by_id(assess(rec, iet))["period"]
    assert c.status == "warn"
    assert c.hint == "set the period from 1 Jan 2026 to 31 Dec 2026"


@pytest.mark.parametrize("status", ["Active", "Partially active"])
def test_score_and_verdict_are_consistent(iet, status):
    r = assess(make_record(iet, spread(12), header={"status": status}, objectives=PLAN), iet)
    assert (r.verdict == "ready") == all(c.status != "fail" for c in r.criteria)
    assert 0 <= r.score <= 100
