"""The institution's group view: how the membership's CPD records are doing, in aggregates only.

Figures are kept when a submission is made (``keep``): on the submission (the year its period ends,
the member's grade, hours counted, the target, whether it is its record's latest) and, for each
record's latest submission only, one row per criterion result and per hours by category, skill group
and competence. The view is SQL aggregates over those columns by period, profile and grade
(``group_view``); nothing is loaded per member and no member identity is read. What may be shown of
them is ``disclosure``'s: no figure that, alone or beside another view, singles out fewer than
``STATS_MIN_GROUP`` records (default 10); no minimum or maximum.
"""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import msgspec
from sqlalchemy import and_, bindparam, case, delete, func, select, update

from addin import STATUS_SCORE, CriterionStatus, Verdict, list_profiles, safe_text

from ..errors import BadRequest
from .disclosure import Count, Figures, quartiles
from .driver import direct
from .models import Submission, SubmissionFigure, table

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
    found = [("criterion", c["id"][:60], STATUS_SCORE[CriterionStatus(c["status"])])
             for c in readiness.get("criteria", ())]
    totals = readiness.get("totals", {})
    for kind, named in (("category", "by_category"), ("skill", "by_skill_group"), ("competence", "by_competence")):
        for key, hours in totals.get(named, {}).items():
            if key and hours and hours > 0:
                found.append((kind, str(key)[:60], float(hours)))
    return found


_SUBS, _FIGS = table(Submission), table(SubmissionFigure)
# The hot path's statements, built once (as the submission's own insert is).
NOT_LATEST = (update(_SUBS).where(and_(_SUBS.c.record_id == bindparam("rid"), _SUBS.c.latest,
                                       _SUBS.c.id != bindparam("sid"))).values(latest=False))
DROP_FIGURES = delete(_FIGS).where(_FIGS.c.record_id == bindparam("rid"))
_FIGURE_COLUMNS = ("record_id", "submission_id", "period_year", "profile_id", "grade", "kind", "key", "value")
# A submission's figures (about 30) in one statement with the driver's own parameters, no statement built
# or parameter set processed a figure. PostgreSQL takes them as one JSON text (``json_to_recordset``), one
# INSERT where an executemany ran one a figure (its backend CPU for them 0.45-0.5 ms against 0.6-0.65) and
# one parameter where eight arrays had the driver dump each element in Python (a tenth of the web worker's
# CPU for a submission, in-process); SQLite as an executemany of tuples, whose loop is sqlite3's own, in C.
ADD_FIGURES = {
    "postgresql": (f"INSERT INTO {_FIGS.name} ({', '.join(_FIGURE_COLUMNS)}) SELECT %s::integer, %s::varchar, "
                   "%s::integer, %s::varchar, %s::varchar, f.kind, f.key, f.value FROM json_to_recordset(%s::json) "
                   "AS f(kind varchar, key varchar, value double precision)"),
    "sqlite": f"INSERT INTO {_FIGS.name} ({', '.join(_FIGURE_COLUMNS)}) VALUES ({', '.join('?' * 8)})",
}


def keep(conn, row: dict, readiness: dict, earlier: bool = True) -> None:
    """In the submission's own transaction: its record's earlier submissions are no longer the latest,
    their figures give way to this one's. ``row`` is the submission's row as inserted (with its group-view
    columns); ``earlier=False`` (the record is new) skips looking for earlier ones."""
    rid = row["record_id"]
    if rid is None:
        return                            # no record, no figures (every submission since 0008 has one)
    if earlier:
        direct(conn, NOT_LATEST, {"rid": rid, "sid": row["id"]})
        direct(conn, DROP_FIGURES, {"rid": rid})
    found = figures_of(readiness)
    if not found:
        return
    head = (rid, row["id"], row["period_year"], row["profile_id"], row["grade"])
    if conn.dialect.name == "postgresql":
        figures = msgspec.json.encode([{"kind": kind, "key": key, "value": value} for kind, key, value in found])
        direct(conn, ADD_FIGURES["postgresql"], (*head, figures.decode()))
    else:
        conn.exec_driver_sql(ADD_FIGURES["sqlite"], [(*head, kind, key, value) for kind, key, value in found])


def _labels() -> dict:
    """(profile id, category id) -> label; criterion ids -> titles, for the view's rows."""
    cats, crits = {}, {}
    for p in list_profiles():
        for t in p.categories:
            cats[(p.id, t.id)] = t.label
        for c in p.criteria:
            crits[(p.id, c.id)] = c.title
    return {"category": cats, "criterion": crits}


@dataclass
class _AtomHeads:
    """One atom's (a profile and a grade in a period) figures from its records' latest submissions."""
    records: int = 0
    submissions: int = 0
    ready: int = 0
    exempt: int = 0
    hours: float = 0.0
    score: float = 0.0
    spread: Counter = field(default_factory=Counter)          # whole hours counted -> records


def _period_data(session, period: int | None):
    """Per period: atom -> _AtomHeads, and (kind, profile, key) -> atom -> (records, total, passing). Never
    filtered by profile or grade: the cells are the whole period's (``disclosure``)."""
    s, f = table(Submission).c, table(SubmissionFigure).c
    where = [s.period_year == period] if period is not None else []
    heads: dict = defaultdict(lambda: defaultdict(_AtomHeads))
    whole_hours = func.round(s.counted_hours)
    # One scan: by atom, whole hours and latest-or-not (an older submission only adds to the submissions)
    for year, pid, grade, latest, hours, n, ready, exempt, counted, score in session.execute(
            select(s.period_year, s.profile_id, s.grade, s.latest, whole_hours, func.count(),
                   func.sum(case((s.verdict == Verdict.READY, 1), else_=0)),
                   func.sum(case((s.verdict == Verdict.EXEMPT, 1), else_=0)),
                   func.sum(s.counted_hours), func.sum(s.score))
            .where(*where).group_by(s.period_year, s.profile_id, s.grade, s.latest, whole_hours)).all():
        h = heads[year][(pid, grade)]
        h.submissions += n
        if latest:
            h.records += n
            h.ready += ready or 0
            h.exempt += exempt or 0
            h.hours += counted or 0.0
            h.score += score or 0.0
            h.spread[int(hours or 0)] += n
    figures: dict = defaultdict(lambda: defaultdict(dict))
    fwhere = [f.period_year == period] if period is not None else []
    for year, kind, pid, key, grade, n, total, passing in session.execute(
            select(f.period_year, f.kind, f.profile_id, f.key, f.grade, func.count(), func.sum(f.value),
                   func.sum(case((f.value >= 1.0, 1), else_=0)))
            .where(*fwhere).group_by(f.kind, f.period_year, f.profile_id, f.key, f.grade)).all():   # the index's order
        figures[year][(kind, pid, key)][(pid, grade)] = (n, total or 0.0, passing or 0)
    return heads, figures


def _cells(heads: dict, figures: dict, k: int) -> Figures:
    """Every figure's cells for one period (``disclosure``)."""
    found = Figures(k)
    found.add("records", {a: Count(h.records, h.records) for a, h in heads.items()})
    found.add("ready", {a: Count(h.ready, h.records) for a, h in heads.items()}, share=True)
    found.add("exempt", {a: Count(h.exempt, h.records) for a, h in heads.items()}, share=True)
    for (kind, pid, key), atoms in figures.items():
        if kind == "criterion":
            counts = {a: Count(passing, n) for a, (n, _, passing) in atoms.items()}
        else:                                     # the body's records with hours in it, of all its records
            counts = {a: Count(atoms[a][0] if a in atoms else 0, h.records) for a, h in heads.items() if a[0] == pid}
        found.add((kind, pid, key), counts, share=True)
    return found


def group_view(session, *, period: int | None = None, profile: str | None = None, grade: str | None = None,
               min_group: int = 10) -> dict:
    """Aggregates by period (the year each period ends in) for the records the filters pick out, each
    period's over its records' latest submissions. A figure is shown only where ``disclosure`` allows it:
    a group that is not a union of the period's record cells is not shown at all, and a figure that would
    single out fewer than ``min_group`` records is hidden, saying so."""
    heads, figures = _period_data(session, period)
    labels = _labels()
    out = []
    for year in sorted(heads, key=lambda y: y or 0):
        atoms = heads[year]
        group = frozenset(a for a in atoms if (profile is None or a[0] == profile) and (grade is None or a[1] == grade))
        if not group:
            continue
        cells = _cells(atoms, figures.get(year, {}), min_group)
        n = sum(atoms[a].records for a in group)
        if not cells.shown("records", group):
            out.append({"period": year, "suppressed": True, "records": SUPPRESSED,
                        "reason": f"fewer than {min_group} records" if n < min_group else
                        f"shown beside this period's other views it would single out fewer than {min_group} records"})
            continue
        out.append(_shown_period(year, group, atoms, figures.get(year, {}), cells, labels, min_group))
    return {"filters": {"period": period, "profile": profile, "grade": grade}, "min_group": min_group,
            "hidden": HIDDEN.format(k=min_group), "periods": out}


HIDDEN = ("not shown: beside the other views of this period it would single out fewer than {k} records "
          "(or leave out fewer than {k})")


def _shown_period(year, group, atoms, figures, cells: Figures, labels, k: int) -> dict:
    n = sum(atoms[a].records for a in group)
    total = lambda attr: sum(getattr(atoms[a], attr) for a in group)     # noqa: E731
    spread: Counter = Counter()
    for a in group:
        spread.update(atoms[a].spread)
    hidden = HIDDEN.format(k=k)

    def share(name: str):
        return round(total(name) / n, 4) if cells.shown(name, group) else SUPPRESSED

    criteria: list[dict] = []
    mixes: dict[str, list[dict]] = {"category": [], "skill": [], "competence": []}
    for (kind, pid, key), by_atom in sorted(figures.items(), key=lambda x: (x[0][0], x[0][1], x[0][2])):
        inside = [by_atom[a] for a in group if a in by_atom]
        if not inside:
            continue
        counted, hours, passing = (sum(x[i] for x in inside) for i in range(3))
        shown = cells.shown((kind, pid, key), group)
        if kind == "criterion":
            criteria.append({"profile": pid, "criterion": key, "title": labels["criterion"].get((pid, key), key),
                             "records": counted if shown else SUPPRESSED,
                             "share_passing": round(passing / counted, 4) if shown else SUPPRESSED,
                             **({} if shown else {"hidden": hidden})})
        elif shown:
            of = sum(atoms[a].records for a in group if a[0] == pid)
            mixes[kind].append({"profile": pid, "key": key, "records": counted, "hours": round(hours, 2),
                                "share": round(counted / of, 4)})
        else:
            mixes[kind].append({"profile": pid, "key": key, "hidden": hidden})
    quarters = quartiles(spread)
    some_hidden = (share("ready") is None or any("hidden" in c for c in criteria)
                   or any("hidden" in m for found in mixes.values() for m in found))
    return {
        "period": year, "suppressed": False, "records": n, "submissions": total("submissions"),
        "share_ready": share("ready"), "share_exempt": share("exempt"),
        "hours": {"mean": round(total("hours") / n, 2), "quartiles": list(quarters) if quarters else None},
        "mean_score": round(total("score") / n, 1), "some_hidden": some_hidden, "criteria": criteria,
        "categories": sorted(({"profile": m["profile"], "key": m["key"],
                               "category": labels["category"].get((m["profile"], m["key"]), m["key"]),
                               **{x: m[x] for x in ("records", "hours", "hidden") if x in m}}
                              for m in mixes["category"]), key=lambda x: -(x.get("hours") or -1)),
        "skill_mix": sorted(({"profile": m["profile"], "skill": m["key"],
                              **{x: m[x] for x in ("records", "hours", "hidden") if x in m}}
                             for m in mixes["skill"]), key=lambda x: -(x.get("hours") or -1)),
        "competences": sorted(({"profile": m["profile"], "competence": m["key"],
                                **{x: m[x] for x in ("records", "share", "hidden") if x in m}}
                               for m in mixes["competence"]), key=lambda x: (x["competence"], x["profile"])),
    }


def filters(args) -> dict:
    """The group view's filters from a query (period, profile, grade); BadRequest (``bad_filter``) for a period
    that is not a year."""
    period = (args.get("period") or "").strip()
    if period and not (period.isdigit() and len(period) == 4):
        raise BadRequest("bad_filter", f"period must be a year such as 2025, found {period[:20]!r}")
    return {"period": int(period) if period else None, "profile": (args.get("profile") or "").strip()[:40] or None,
            "grade": (args.get("grade") or "").strip()[:60] or None}


def facets(session, min_group: int = 10) -> dict:
    """What the filters can choose from: periods, and the profiles and grades that some period shows on
    their own (a grade is the member's own text: one held by few records is never offered)."""
    heads, _ = _period_data(session, None)
    found: dict = {"periods": [], "profiles": set(), "grades": set()}
    for year, atoms in heads.items():
        cells = Figures(min_group)
        cells.add("records", {a: Count(h.records, h.records) for a, h in atoms.items()})
        if not cells.shown("records", frozenset(atoms)):
            continue
        found["periods"].append(year)
        for pid in {a[0] for a in atoms}:
            if cells.shown("records", frozenset(a for a in atoms if a[0] == pid)):
                found["profiles"].add(pid)
        for grade in {a[1] for a in atoms if a[1] is not None}:
            if cells.shown("records", frozenset(a for a in atoms if a[1] == grade)):
                found["grades"].add(grade)
    return {"periods": sorted(found["periods"]), "profiles": sorted(found["profiles"]),
            "grades": sorted(found["grades"])}


CSV_COLUMNS = ("period", "section", "profile", "item", "records", "value")


def to_csv(view: dict) -> str:
    """The view as CSV: one row per figure; text a spreadsheet would run as a formula kept as text. A hidden
    figure is a row that says so, with no number."""
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
        row(year, "ready", "", "share ready", p["records"] if p["share_ready"] is not None else None,
            p["share_ready"] if p["share_ready"] is not None else "not shown")
        row(year, "hours", "", "mean hours counted", p["records"], p["hours"]["mean"])
        for label, value in zip(("25th percentile", "median", "75th percentile"), p["hours"]["quartiles"] or ()):
            row(year, "hours", "", f"hours counted, {label} (whole hours)", p["records"], value)
        for c in p["criteria"]:
            row(year, "criterion passing", c["profile"], c["title"], c["records"],
                c["share_passing"] if c["share_passing"] is not None else "not shown")
        for section, items, name, value in (("category hours", p["categories"], "category", "hours"),
                                            ("skill hours", p["skill_mix"], "skill", "hours"),
                                            ("competence coverage", p["competences"], "competence", "share")):
            for c in items:
                row(year, section, c.get("profile", ""), c[name], c.get("records"),
                    c[value] if "hidden" not in c else "not shown")
    return out.getvalue()
