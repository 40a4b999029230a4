"""The institution's group view: how the membership's CPD records are doing, in aggregates only.

Figures are kept when a submission is made (``keep``): on the submission (the year its period ends,
the member's grade, hours counted, the target, a 10-hour bucket, whether it is its record's latest)
and, for each record's latest submission only, one row per criterion result and per hours by
category, skill group and competence. The view is SQL aggregates over those columns (``group_view``);
nothing is loaded per member, no member identity is read, and any group of fewer than
``STATS_MIN_GROUP`` records (default 10) is suppressed.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

from sqlalchemy import and_, bindparam, case, delete, func, select, update

from addin import list_profiles, safe_text

from .models import Submission, SubmissionFigure

STATUS_VALUE = {"pass": 1.0, "warn": 0.5, "fail": 0.0}
BUCKET = 10                                         # hours per step of the distribution
SUPPRESSED = None                                   # what a suppressed figure is, in JSON: null



def submission_columns(grade: str | None, period_end: str | date, readiness: dict) -> dict:
    """The submission's own group-view columns."""
    end = period_end if isinstance(period_end, date) else date.fromisoformat(period_end)
    counted = float(readiness.get("counted_hours") or 0.0)
    return {"period_year": end.year, "grade": (grade or None) and str(grade)[:60],
            "counted_hours": counted, "target": readiness.get("target"), "hours_bucket": int(counted // BUCKET)}


def figures_of(readiness: dict) -> list[tuple[str, str, float]]:
    """(kind, key, value) for each criterion's result and each hours total worth keeping."""
    found = [("criterion", c["id"][:60], STATUS_VALUE[c["status"]]) for c in readiness.get("criteria", ())]
    totals = readiness.get("totals", {})
    for kind, field in (("category", "by_category"), ("skill", "by_skill_group"), ("competence", "by_competence")):
        for key, hours in totals.get(field, {}).items():
            if key and hours and hours > 0:
                found.append((kind, str(key)[:60], float(hours)))
    return found


_SUBS, _FIGS = Submission.__table__, SubmissionFigure.__table__
# The hot path's statements, built once (as the submission's own insert is).
NOT_LATEST = (update(_SUBS).where(and_(_SUBS.c.record_id == bindparam("rid"), _SUBS.c.latest,
                                       _SUBS.c.id != bindparam("sid"))).values(latest=False))
DROP_FIGURES = delete(_FIGS).where(_FIGS.c.record_id == bindparam("rid"))
ADD_FIGURES = _FIGS.insert()


def keep(conn, row: dict, readiness: dict, earlier: bool = True) -> None:
    """In the submission's own transaction: its record's earlier submissions are no longer the latest,
    their figures give way to this one's. ``row`` is the submission's row as inserted (with its group-view
    columns); ``earlier=False`` (the record is new) skips looking for earlier ones."""
    rid = row["record_id"]
    if rid is None:
        return                            # no record, no figures (every submission since 0008 has one)
    if earlier:
        conn.execute(NOT_LATEST, {"rid": rid, "sid": row["id"]})
        conn.execute(DROP_FIGURES, {"rid": rid})
    found = figures_of(readiness)
    if found:
        conn.execute(ADD_FIGURES, [
            {"submission_id": row["id"], "record_id": rid, "period_year": row["period_year"],
             "profile_id": row["profile_id"], "grade": row["grade"], "kind": kind, "key": key, "value": value}
            for kind, key, value in found])


def _filters(cols, period: int | None, profile: str | None, grade: str | None) -> list:
    found = []
    if period is not None:
        found.append(cols.period_year == period)
    if profile:
        found.append(cols.profile_id == profile)
    if grade:
        found.append(cols.grade == grade)
    return found


def _labels() -> dict:
    """(profile id, category id) -> label; criterion ids -> titles, for the view's rows."""
    cats, crits = {}, {}
    for p in list_profiles():
        for t in p.categories:
            cats[(p.id, t.id)] = t.label
        for c in p.criteria:
            crits[(p.id, c.id)] = c.title
    return {"category": cats, "criterion": crits}


def group_view(session, *, period: int | None = None, profile: str | None = None, grade: str | None = None,
               min_group: int = 10) -> dict:
    """Aggregates by period (the year each period ends in), for the filters given. Each period's figures
    are over its records' latest submissions; a period with fewer than ``min_group`` records shows only
    that it is suppressed, and any count below ``min_group`` inside a shown period is suppressed too."""
    s, f = Submission.__table__.c, SubmissionFigure.__table__.c
    where = _filters(s, period, profile, grade)
    all_subs = dict(session.execute(select(s.period_year, func.count()).where(*where).group_by(s.period_year)).all())
    latest = where + [s.latest]
    heads = session.execute(
        select(s.period_year, func.count(), func.sum(case((s.verdict == "ready", 1), else_=0)),
               func.sum(case((s.verdict == "exempt", 1), else_=0)), func.avg(s.counted_hours),
               func.min(s.counted_hours), func.max(s.counted_hours), func.avg(s.score))
        .where(*latest).group_by(s.period_year)).all()
    buckets = defaultdict(dict)
    for year, bucket, n in session.execute(select(s.period_year, s.hours_bucket, func.count()).where(*latest)
                                           .group_by(s.period_year, s.hours_bucket)).all():
        buckets[year][bucket] = n
    fwhere = _filters(f, period, profile, grade)
    figures = defaultdict(lambda: defaultdict(list))
    rows = session.execute(
        select(f.period_year, f.kind, f.profile_id, f.key, func.count(), func.sum(f.value),
               func.sum(case((f.value >= 1.0, 1), else_=0)))
        .where(*fwhere).group_by(f.kind, f.period_year, f.profile_id, f.key)).all()   # ix_figures_group's order
    for year, kind, pid, key, n, total, passed in rows:
        figures[year][kind].append((pid, key, n, total, passed))
    labels = _labels()
    periods = []
    for year, n, ready, exempt, avg_hours, lo, hi, avg_score in sorted(heads, key=lambda r: r[0] or 0):
        if n < min_group:
            periods.append({"period": year, "suppressed": True, "records": SUPPRESSED,
                            "reason": f"fewer than {min_group} records"})
            continue
        small = lambda k: k if k >= min_group else SUPPRESSED          # noqa: E731 - counts below the threshold
        kinds = figures.get(year, {})
        criteria = sorted(({"profile": pid, "criterion": key,
                            "title": labels["criterion"].get((pid, key), key),
                            "records": small(cnt), "share_passing": round(passed / cnt, 4) if cnt >= min_group
                            else SUPPRESSED} for pid, key, cnt, _, passed in kinds.get("criterion", ())),
                          key=lambda c: (c["profile"], c["criterion"]))

        def mix(kind: str, name: str, label=lambda pid, key: key) -> list:
            """Hours by category or skill group, each held by at least ``min_group`` records, most first."""
            shown = [{"profile": pid, name: label(pid, key), "hours": round(total, 2), "records": cnt}
                     for pid, key, cnt, total, _ in kinds.get(kind, ()) if cnt >= min_group]
            return sorted(shown, key=lambda x: -x["hours"])
        competences = sorted(({"competence": key, "records": cnt, "share": round(cnt / n, 4)}
                              for _, key, cnt, _, _ in kinds.get("competence", ()) if cnt >= min_group),
                             key=lambda x: x["competence"])
        periods.append({
            "period": year, "suppressed": False, "records": n, "submissions": all_subs.get(year, n),
            "share_ready": round(ready / n, 4), "share_exempt": round(exempt / n, 4),
            "hours": {"mean": round(avg_hours or 0.0, 2), "min": round(lo or 0.0, 2), "max": round(hi or 0.0, 2),
                      "distribution": [{"from": b * BUCKET, "to": (b + 1) * BUCKET, "records": small(c)}
                                       for b, c in sorted(buckets[year].items(), key=lambda x: x[0] or 0)]},
            "mean_score": round(avg_score or 0.0, 1), "criteria": criteria,
            "categories": mix("category", "category", lambda pid, key: labels["category"].get((pid, key), key)),
            "skill_mix": mix("skill", "skill"),
            "competences": competences})
    return {"filters": {"period": period, "profile": profile, "grade": grade}, "min_group": min_group,
            "periods": periods}


def facets(session, min_group: int = 10) -> dict:
    """What the filters can choose from (periods, profiles, grades): only values held by at least
    ``min_group`` records (a grade is the member's own text: a rare one could name them)."""
    s = Submission.__table__.c
    return {name: [v for v, in session.execute(select(col).where(s.latest, col.is_not(None)).group_by(col)
                                               .having(func.count() >= min_group).order_by(col)).all()]
            for name, col in (("periods", s.period_year), ("profiles", s.profile_id), ("grades", s.grade))}


CSV_COLUMNS = ("period", "section", "profile", "item", "records", "value")


def to_csv(view: dict) -> str:
    """The view as CSV: one row per figure; text a spreadsheet would run as a formula kept as text."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)

    def row(*values):
        w.writerow(["" if v is None else safe_text(v) if isinstance(v, str) else v for v in values])

    shown = {k: v for k, v in view.get("filters", {}).items() if v is not None}
    if shown:
        row("", "filters", "", "; ".join(f"{k} {v}" for k, v in shown.items()), "", "")

    for p in view["periods"]:
        year = p["period"]
        if p["suppressed"]:
            row(year, "suppressed", "", p["reason"], "", "")
            continue
        row(year, "records", "", "records (latest submission each)", p["records"], p["records"])
        row(year, "submissions", "", "submissions", p["submissions"], p["submissions"])
        row(year, "ready", "", "share ready", p["records"], p["share_ready"])
        row(year, "hours", "", "mean hours counted", p["records"], p["hours"]["mean"])
        for d in p["hours"]["distribution"]:
            row(year, "hours distribution", "", f"{d['from']} to {d['to']} hours", d["records"], d["records"])
        for c in p["criteria"]:
            row(year, "criterion passing", c["profile"], c["title"], c["records"], c["share_passing"])
        for c in p["categories"]:
            row(year, "category hours", c["profile"], c["category"], c["records"], c["hours"])
        for c in p["skill_mix"]:
            row(year, "skill hours", c["profile"], c["skill"], c["records"], c["hours"])
        for c in p["competences"]:
            row(year, "competence coverage", "", c["competence"], c["records"], c["share"])
    return out.getvalue()
