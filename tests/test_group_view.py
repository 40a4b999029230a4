"""The institution's group view: figures kept at submission time, aggregated in SQL, checked against
hand-computed values on a seeded set of members and years (SQLite and PostgreSQL); small groups
suppressed; no member identity anywhere in the API, the page or the CSV."""
from __future__ import annotations

import csv
import io

import pytest

from addin import assess, load_profile, record_data
from conftest import make_record
from test_pages import sign_in

# 2025: twelve members, one submission each (member 0 submits twice: 2 hours, then 5). Hours counted:
HOURS_2025 = [5, 15, 25, 35, 45, 30, 30, 30, 30, 30, 30, 30]
HOURS_2024 = [40, 10, 20, 30]            # four members: fewer than 10, so 2024 is suppressed


def prepared(hours: float, year: int, grade: str, competences: str):
    from sync_service.store.records import Prepared, data_digest
    profile = load_profile("iet")
    record = make_record(profile, [{"start_date": f"{year}-03-01", "title": "Course", "hours": hours,
                                    "category": "Training courses", "competences": competences}],
                         header={"period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "grade": grade,
                                 "name": f"Secret Name {hours}"})
    data = record_data(record, profile)
    return Prepared(record, profile, data, assess(record, profile).to_dict(), data_digest(data))


@pytest.fixture
def seeded(service):
    from sync_service import db
    from sync_service.store.accounts import create_member, issue_token
    from conftest import store_submission as store
    with service.app_context():
        session = db.session()
        admin = create_member(session, "admin@example.org")
        admin.is_admin = True
        service.config["TOKENS"]["admin"] = issue_token(session, admin)
        members = [create_member(session, f"member{i}@example.org") for i in range(12)]
        session.commit()
        n = 0
        for i, (member, hours) in enumerate(zip(members, HOURS_2025)):
            grade = "Fellow" if i == 11 else "=HYPERLINK(\"http://x\")" if i == 10 else "Member"
            comps = "E4" if i < 10 else "E4, B2" if i == 10 else "B2"
            steps = [2, hours] if i == 0 else [hours]
            for h in steps:
                n += 1
                store(member, f"k{n}", f"d{n}", lambda h=h, g=grade, c=comps: prepared(h, 2025, g, c))
        for member, hours in zip(members, HOURS_2024):
            n += 1
            store(member, f"k{n}", f"d{n}", lambda h=hours: prepared(h, 2024, "Member", "A1"))
    return service


def api(client, token, **params):
    return client.get("/api/v1/stats", query_string=params, headers={"Authorization": f"Bearer {token}"})


def test_the_group_view_matches_hand_computed_figures(seeded):
    client = seeded.test_client()
    res = api(client, seeded.config["TOKENS"]["admin"])
    assert res.status_code == 200
    view = res.get_json()
    by_year = {p["period"]: p for p in view["periods"]}
    assert by_year[2024] == {"period": 2024, "suppressed": True, "records": None, "reason": "fewer than 10 records"}
    p = by_year[2025]
    assert (p["records"], p["submissions"]) == (12, 13)                      # member 0 counted once, by the latest
    assert p["hours"]["mean"] == pytest.approx(sum(HOURS_2025) / 12, abs=0.01)
    # 5 15 25 30 30 30 30 30 30 30 35 45: quartiles at ranks 2.75, 5.5, 8.25, in whole hours; no min or max
    assert p["hours"] == {"mean": pytest.approx(27.92, abs=0.01), "quartiles": [29, 30, 30]}
    crit = {c["criterion"]: c for c in p["criteria"] if c["profile"] == "iet"}
    assert crit["hours"]["share_passing"] is None and crit["hours"]["hidden"]     # 9 of 12: the 3 would show
    assert crit["reflection"]["share_passing"] == 0                         # no reflections: none counted
    cats = {c["category"]: c for c in p["categories"]}
    assert cats["Training courses"]["hours"] == sum(HOURS_2025)             # 335, every record's
    comps = {c["competence"]: c for c in p["competences"]}
    assert comps["E4"]["hidden"] and "records" not in comps["E4"]           # 11 of 12: the one without would show
    assert comps["B2"]["hidden"]                                            # 2 records
    assert p["share_ready"] == 0


def test_filters_by_period_profile_and_grade_and_small_groups_are_suppressed(seeded):
    client = seeded.test_client()
    token = seeded.config["TOKENS"]["admin"]
    only = api(client, token, period=2025).get_json()
    assert [p["period"] for p in only["periods"]] == [2025]
    fellows = api(client, token, grade="Fellow").get_json()
    assert all(p["suppressed"] for p in fellows["periods"])                 # one Fellow: never shown
    assert api(client, token, profile="ei").get_json()["periods"] == []
    assert api(client, token, period="last year").status_code == 400


def test_only_admins_see_the_group_view(seeded):
    client = seeded.test_client()
    assert api(client, seeded.config["TOKENS"]["a"]).status_code == 403
    sign_in(client, seeded.config["TOKENS"]["a"])
    assert client.get("/admin/stats").status_code == 404
    assert client.get("/admin/stats.csv").status_code == 404


def test_no_member_identity_in_the_api_the_page_or_the_csv(seeded):
    from sync_service import db
    from sync_service.store.models import Member
    client = seeded.test_client()
    sign_in(client, seeded.config["TOKENS"]["admin"])
    page = client.get("/admin/stats").get_data(as_text=True)
    data = client.get("/admin/stats.csv").get_data(as_text=True)
    body = api(client, seeded.config["TOKENS"]["admin"]).get_data(as_text=True)
    with seeded.app_context():
        people = db.session().query(Member).filter(Member.is_admin.is_(False)).all()   # the admin's own header aside
        identities = [m.email for m in people] + [m.public_id for m in people]
    for text in (page, data, body):
        assert "Secret Name" not in text and not any(i in text for i in identities)
        assert "HYPERLINK" not in text             # a grade held by one record is not even offered as a filter
    assert "12 records" in page and "13 submissions" in page and "Not shown: fewer than 10 records" in page
    assert "so that no member's own record can be read from it" in " ".join(page.split())   # and why
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["period", "section", "profile", "item", "records", "value"]
    assert ["2025", "records", "", "records (latest submission each)", "12", "12"] in rows
    assert ["2024", "suppressed", "", "fewer than 10 records", "", ""] in rows


def test_the_csv_keeps_formula_like_text_as_text(seeded):
    from sync_service.store.stats import to_csv
    view = {"periods": [{"period": 2025, "suppressed": False, "records": 12, "submissions": 12, "share_ready": 0.5,
                         "hours": {"mean": 1, "quartiles": None}, "criteria": [],
                         "categories": [{"profile": "x", "category": "=cmd|'/c calc'!A1", "records": 12, "hours": 3}],
                         "skill_mix": [], "competences": []}]}
    assert "'=cmd|'/c calc'!A1" in to_csv(view)


def test_each_records_figures_are_its_latest_submissions_readiness_row_for_row(seeded):
    """The figure rows kept (one statement a submission, on either database) are ``figures_of`` the latest
    submission's readiness, each with its record, submission, year, profile and grade."""
    from sqlalchemy import select
    from sync_service import db
    from sync_service.store.models import Submission, SubmissionFigure
    from sync_service.store.stats import figures_of
    from sync_service.store.submissions import document
    with seeded.app_context():
        session = db.session()
        latest = session.scalars(select(Submission).where(Submission.latest)).all()
        assert len(latest) == 16
        for sub in latest:
            kept = sorted(session.execute(
                select(SubmissionFigure.record_id, SubmissionFigure.submission_id, SubmissionFigure.period_year,
                       SubmissionFigure.profile_id, SubmissionFigure.grade, SubmissionFigure.kind,
                       SubmissionFigure.key, SubmissionFigure.value)
                .where(SubmissionFigure.record_id == sub.record_id)).all())
            head = (sub.record_id, sub.id, sub.period_year, sub.profile_id, sub.grade)
            expected = sorted((*head, kind, key, value)
                              for kind, key, value in figures_of(document(sub)["readiness"]))
            assert [tuple(r) for r in kept] == expected and len(expected) > len(load_profile("iet").criteria)


def test_a_new_submission_replaces_its_records_figures(seeded):
    from sqlalchemy import func, select
    from sync_service import db
    from sync_service.store.models import Submission, SubmissionFigure
    with seeded.app_context():
        session = db.session()
        latest = session.scalar(select(func.count()).select_from(Submission).where(Submission.latest))
        assert latest == 16                                                  # 12 + 4 records, one latest each
        kinds = dict(session.execute(select(SubmissionFigure.kind, func.count()).group_by(SubmissionFigure.kind)).all())
        assert kinds["criterion"] == 16 * len(load_profile("iet").criteria)


def test_figure_keys_and_values_are_kept_exactly_whatever_they_hold(seeded):
    """A figure's key is kept as written (quotes, backslashes, commas, braces, accents: on PostgreSQL the
    figures go as one JSON text), its value to the last bit."""
    from sqlalchemy import select
    from sync_service import db
    from sync_service.store import stats
    from sync_service.store.database import writing
    from sync_service.store.models import Submission, SubmissionFigure
    odd = {'E"4\\', "B2, {x}", "Génie ✓", "NULL", ""}
    readiness = {"criteria": [{"id": "reflection", "status": "warn"}],
                 "totals": {"by_competence": {k: 0.1 + i / 3 for i, k in enumerate(sorted(odd))}}}
    with seeded.app_context():
        session = db.session()
        sub = session.scalars(select(Submission).where(Submission.latest).order_by(Submission.id)).first()
        row = {"record_id": sub.record_id, "id": sub.id, "period_year": sub.period_year,
               "profile_id": sub.profile_id, "grade": 'Fellow "x"'}
        stats.keep(writing(session).connection(), row, readiness)
        session.commit()
        kept = session.execute(select(SubmissionFigure.kind, SubmissionFigure.key, SubmissionFigure.value,
                                      SubmissionFigure.grade)
                               .where(SubmissionFigure.record_id == sub.record_id)).all()
    assert sorted(tuple(r) for r in kept) == sorted(
        [(kind, key, value, 'Fellow "x"') for kind, key, value in stats.figures_of(readiness)])
    assert {key for kind, key, _, _ in kept if kind == "competence"} == odd - {""}
