"""What the record report shows, gathered from a record, its profile, the engine's readiness and any
mentor annotations. Pure: no files, no rendering."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from msgspec import Struct, field

from ..export import activity_labels
from ..frameworks import load_framework
from ..model import Activity, Annotation, Record
from ..profile import Profile
from ..readiness import Readiness
from ..readiness.criteria import amount, fmt_hours
from ..readiness.engine import for_body
from ..readiness.totals import hours_in, in_period
from ..report import VERDICT
from ..trends import Trends

AUDIENCES = ("full", "summary")       # full: institution, mentor; summary: a manager
# an activity's detail lines in the full report, HTML and PDF alike: (label, key of the activity's dict)
DETAIL_FIELDS = (("Competences", "competences"), ("Topics", "topics"), ("Provided by", "provider"),
                 ("Location", "location"), ("Instructor", "instructor"), ("Objective", "objective"),
                 ("What was learnt and how it was applied", "reflection"), ("Further action", "further_action"),
                 ("Evidence", "evidence"), ("Verified", "verified"))


class ReportData(Struct):
    audience: str
    title: str
    member: list[tuple[str, str]]     # (label, value) pairs, as on the tracker form
    verdict: str                      # READY / NOT READY / EXEMPT
    verdict_id: str
    score: int
    hours_line: str
    criteria: list[dict[str, Any]]    # status, title, reason, hint
    notes: list[str]
    objectives: list[dict[str, Any]]  # ref, objective, status, target_date, evaluation, activities, hours
    activities: list[dict[str, Any]]  # one per activity in the period
    totals: dict[str, Any]            # the charts' figures
    unit: str
    generated: str
    trends: Trends | None = None
    dropped: list[str] = field(default_factory=list)     # what fitting the size took out
    body: str = ""                    # the body the section is for ('The Institution of Engineering and Technology')
    also: tuple["ReportData", ...] = ()   # one log kept for several bodies: a section for each of the others


def made_line(data: "ReportData", bodies: list[str]) -> str:
    """The report's first line, 'Report made on ...', for the sections of ``bodies`` (HTML and PDF alike)."""
    line = f"Report made on {data.generated}"
    if data.audience == "summary":
        line += "; summary for a manager"
    if len(bodies) > 1:
        line += f"; one log, a section for each of {len(bodies)} bodies: {', '.join(bodies)}"
    return line + "."


def _day(d: date | None) -> str:
    return f"{d.day} {d:%b %Y}" if d else ""


def _dates(a: Activity) -> str:
    return _day(a.start_date) if a.end_date == a.start_date else f"{_day(a.start_date)} to {_day(a.end_date)}"


def report_data(record: Record, profile: Profile, readiness: Readiness, *, audience: str = "full",
                annotations: Sequence[Annotation] = (), trends: Trends | None = None,
                today: date | None = None) -> ReportData:
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}")
    record = for_body(record, profile)         # a log kept for several bodies: this body's activities only
    m = record.member
    labels = activity_labels(profile)
    member = [("Name", m.name or ""), ("Membership number", m.membership_number or ""), ("Grade", m.grade or ""),
              ("Registration", m.registration or "None"), ("Status", m.status.label),
              ("Period", str(record.period)), ("Profile", f"{profile.name} ({profile.short_name})")]
    t = readiness.totals
    unit = readiness.unit
    if readiness.target is not None:
        hours_line = (f"{amount(readiness.counted_hours, unit)} counted of {fmt_hours(readiness.target)} "
                      f"({m.status.label} member); {len(t.activities)} activities in the period")
    else:
        hours_line = f"{amount(t.hours, unit)} recorded ({profile.short_name} sets no minimum)"
    notes_by_row: defaultdict[int, list[str]] = defaultdict(list)
    verified_by_row: dict[int, str] = {}
    for n in annotations:
        if n.activity_row is not None:
            if n.comment:
                notes_by_row[n.activity_row].append(f"{n.author}: {n.comment}")
            if n.verified:
                verified_by_row[n.activity_row] = f"{n.author}, {_day(n.written_at.date())}"
    period = record.period
    acts = sorted((a for a in record.activities if in_period(a, period)), key=lambda a: (a.start_date, a.row))
    activities: list[dict[str, Any]] = []
    for a in acts:
        comments = ([a.mentor_comment] if a.mentor_comment else []) + notes_by_row.get(a.row, [])
        verified = verified_by_row.get(a.row) or (
            f"{a.verified_by}, {_day(a.verified_on)}" if a.verified_by and a.verified_on else a.verified_by)
        activities.append({
            "row": a.row, "dates": _dates(a), "title": a.title or "(no title)",
            "hours": fmt_hours(hours_in(a, period)) if a.hours is not None else "",
            "category": labels["categories"].get(a.category or "", ""),
            "skill_type": labels["skill_types"].get(a.skill_type or "", ""),
            "competences": ", ".join(a.competences), "topics": ", ".join(labels["topics"].get(x, x) for x in a.topics),
            "provider": a.provider or "", "reflection": a.reflection or "", "further_action": a.further_action or "",
            "evidence": a.evidence or "", "objective": a.objective or "", "comments": comments,
            "verified": verified or "", "location": a.location or "", "instructor": a.instructor or ""})
    by_objective: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for shown in activities:
        if shown["objective"]:
            by_objective[shown["objective"]].append(shown)
    objectives = [{"ref": o.ref, "objective": o.objective or "", "status": o.status or "", "why": o.why or "",
                   "target_date": _day(o.target_date), "evaluation": o.evaluation or "",
                   "activities": [x["title"] for x in by_objective.get(o.ref, [])],
                   "hours": fmt_hours(t.by_objective.get(o.ref, 0.0))} for o in record.objectives]
    framework = (load_framework(profile.competence_framework).codes_for(m.registration)
                 if profile.competence_framework != "none" else ())
    totals = {
        "categories": [(labels["categories"][k], v) for k, v in t.by_category.items() if k in labels["categories"]],
        "skills": [(labels["skill_types"][k], v) for k, v in t.by_skill_type.items() if k in labels["skill_types"]],
        "competences": [(c, t.by_competence.get(c, 0.0)) for c in framework]
                       or sorted(t.by_competence.items()),
        "target": readiness.target, "counted": readiness.counted_hours, "hours": t.hours,
    }
    return ReportData(
        audience=audience, title=f"CPD record: {m.name or 'member'} ({profile.short_name}, {period})",
        member=member, verdict=VERDICT[readiness.verdict], verdict_id=readiness.verdict, score=readiness.score,
        hours_line=hours_line,
        criteria=[{"status": c.status, "title": c.title, "reason": c.reason, "hint": c.hint or ""}
                  for c in readiness.criteria],
        notes=list(readiness.notes), objectives=objectives, activities=activities, totals=totals, unit=unit,
        generated=_day(today or date.today()), trends=trends, body=profile.name)
