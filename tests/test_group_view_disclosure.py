"""The group view cannot be differenced: on a seeded population (ten IET Members and one Fellow, as the
probe found, beside bodies with rare grades), every filter combination is asked for, and no shown
figure, alone or subtracted from another view's, counts or leaves out fewer than STATS_MIN_GROUP records.
No minimum or maximum anywhere. SQLite and PostgreSQL."""
from __future__ import annotations

import itertools
import random

import pytest

from addin import assess, load_profile, record_data
from conftest import make_record

K = 10
# (period, profile, grade) -> how many records
POPULATION = {(2026, "iet", "Member"): 10, (2026, "iet", "Fellow"): 1,
              (2026, "ei", "Member"): 14, (2026, "ei", "Fellow"): 3, (2026, "ei", "Associate"): 2,
              (2026, "rics", "Member"): 25,
              (2025, "iet", "Member"): 12, (2025, "iet", "Fellow"): 11}
PERIODS = {"iet": ("01-01", "12-31"), "ei": ("01-01", "12-31"), "rics": ("01-01", "12-31")}


def prepared(rng: random.Random, profile_id: str, year: int, grade: str):
    from sync_service.store.records import Prepared, data_digest
    profile = load_profile(profile_id)
    rows = []
    for i in range(rng.randint(1, 6)):
        row = {"start_date": f"{year}-0{rng.randint(1, 9)}-1{i}", "title": f"Course {i}",
               "hours": rng.choice([2, 3.5, 6, 7.5, 12]), "category": rng.choice(profile.categories).label,
               "competences": rng.choice(["E4", "A1", "E4, B2", "C1"]),
               "reflection": "Learnt a great deal about it and applied it to my work" if rng.random() < 0.7 else None}
        if profile.skill_types:
            row["skill_type"] = rng.choice(profile.skill_types).label
        rows.append(row)
    record = make_record(profile, rows, header={"period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
                                                "grade": grade, "name": "Someone"})
    data = record_data(record, profile)
    return Prepared(record, profile, data, assess(record, profile).to_dict(), data_digest(data))


@pytest.fixture
def population(service):
    """The seeded population, and each record's truth: (period, profile, grade, readiness)."""
    from sync_service import db
    from sync_service.store.accounts import create_member, issue_token
    from conftest import store_submission as store
    rng = random.Random(2026)
    truth = []
    with service.app_context():
        session = db.session()
        admin = create_member(session, "admin@example.org")
        admin.is_admin = True
        service.config["TOKENS"]["admin"] = issue_token(session, admin)
        session.commit()
        n = 0
        for (year, pid, grade), many in POPULATION.items():
            for _ in range(many):
                n += 1
                member = create_member(db.session(), f"p{n}@example.org")
                db.session().commit()
                prep = prepared(rng, pid, year, grade)
                store(member, f"k{n}", f"d{n}", lambda p=prep: p)
                truth.append((year, pid, grade, prep.readiness))
    return service, truth


def contributors(rows, figure):
    """The records a shown figure counts, and those of its group it leaves out."""
    from sync_service.store.stats import figures_of
    kind, pid, key = figure
    counted = set()
    eligible = set()
    for i, (_, rpid, _, readiness) in enumerate(rows):
        if kind == "ready":
            eligible.add(i)
            if readiness["verdict"] == "ready":
                counted.add(i)
            continue
        found = {(k, kk): v for k, kk, v in figures_of(readiness)}
        if kind == "criterion":
            if rpid == pid:
                eligible.add(i)
                if found.get(("criterion", key), 0) >= 1:
                    counted.add(i)
        elif rpid == pid:                   # hours in a category, a skill group, a competence: the body's records
            eligible.add(i)
            if (kind, key) in found:
                counted.add(i)
    return counted, eligible - counted


def shown_figures(section) -> dict:
    """figure -> value, for every figure the section shows."""
    out = {}
    if section["share_ready"] is not None:
        out[("ready", None, None)] = section["share_ready"]
    for c in section["criteria"]:
        if c["share_passing"] is not None:
            out[("criterion", c["profile"], c["criterion"])] = c["share_passing"]
    for kind, items, name in (("category", section["categories"], "key"), ("skill", section["skill_mix"], "skill"),
                              ("competence", section["competences"], "competence")):
        for c in items:
            if "hidden" not in c:
                out[(kind, c.get("profile"), c[name])] = c.get("hours", c.get("share"))
    return out


def test_no_pair_of_views_singles_out_fewer_than_the_threshold(population):
    service, truth = population
    client = service.test_client()
    auth = {"Authorization": f"Bearer {service.config['TOKENS']['admin']}"}
    shown = []                           # (period, frozenset of record indexes, figures)
    combos = list(itertools.product([None, 2025, 2026], [None, "iet", "ei", "rics"],
                                    [None, "Member", "Fellow", "Associate"]))
    for period, pid, grade in combos:
        params = {k: v for k, v in (("period", period), ("profile", pid), ("grade", grade)) if v is not None}
        res = client.get("/api/v1/stats", query_string=params, headers=auth)
        assert res.status_code == 200, res.get_json()
        body = res.get_data(as_text=True)
        assert '"min"' not in body and '"max"' not in body and "distribution" not in body
        for section in res.get_json()["periods"]:
            members = frozenset(i for i, (y, p, g, _) in enumerate(truth) if y == section["period"]
                                and (pid is None or p == pid) and (grade is None or g == grade))
            if section["suppressed"]:
                assert section["records"] is None
                continue
            assert section["records"] == len(members) >= K
            figures = shown_figures(section)
            rows = [truth[i] for i in sorted(members)]
            for figure in figures:          # alone: none or at least K counted, and left out
                counted, left = contributors(rows, figure)
                assert len(counted) in (0,) or len(counted) >= K, (params, figure, len(counted))
                assert len(left) == 0 or len(left) >= K, (params, figure, len(left))
            shown.append((section["period"], members, figures))
    assert len(shown) >= 6                  # the view still shows things
    for (pa, a, fa), (pb, b, fb) in itertools.permutations(shown, 2):
        if pa != pb or not b < a:
            continue
        assert len(a - b) >= K, (sorted(a - b), "records singled out")
        for figure in set(fa) & set(fb):     # the same figure in both: what subtracting them isolates
            ca, la = contributors([truth[i] for i in sorted(a)], figure)
            cb, lb = contributors([truth[i] for i in sorted(b)], figure)
            assert len(ca - cb) in (0,) or len(ca - cb) >= K, (figure, len(ca - cb))
            assert len(la - lb) in (0,) or len(la - lb) >= K, (figure, len(la - lb))


def test_the_probes_differencing_no_longer_gives_the_fellows_figures(population):
    service, _ = population
    client = service.test_client()
    auth = {"Authorization": f"Bearer {service.config['TOKENS']['admin']}"}
    everyone = client.get("/api/v1/stats", query_string={"period": 2026, "profile": "iet"}, headers=auth).get_json()
    members = client.get("/api/v1/stats", query_string={"period": 2026, "profile": "iet", "grade": "Member"},
                         headers=auth).get_json()
    both = [p for p in everyone["periods"] + members["periods"] if not p["suppressed"]]
    assert len(both) <= 1                   # the one IET Fellow is never the difference of two shown views
    fellows = client.get("/api/v1/stats", query_string={"grade": "Fellow", "period": 2026}, headers=auth).get_json()
    assert all(p["suppressed"] for p in fellows["periods"])


def test_filters_offer_only_what_some_view_shows_on_its_own(population):
    from sync_service import db
    from sync_service.store.stats import facets
    service, _ = population
    with service.app_context():
        found = facets(db.session(), K)
    assert "Associate" not in found["grades"]      # two records: never a view of its own
    assert found["periods"] == [2025, 2026] and "rics" in found["profiles"]
