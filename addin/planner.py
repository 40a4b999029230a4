"""The planner: the fewest activities that close every body's gaps before each body's deadline.

From each body's readiness (the engine's, over its own period), the criteria that more CPD would meet say
what they need (``readiness.result.Need``: hours, on a topic, of formal CPD, in a category). One activity
can meet several of them at once, across bodies: an hour of ethics counts to every body's ethics and to
its total. So the planner makes one action per topic needed (as many hours as the body needing most
asks), one per category minimum, and puts the hours still needed for totals and formal CPD on those
actions (or on one more course); every other gap (a reflection, the plan) is an action of its own. An
action is due by the earliest deadline of the bodies it serves; a body whose period has ended gets none.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from msgspec import Struct, field

from .model import Record
from .profile import Profile
from .readiness import CriterionResult, Readiness, assess
from .readiness.criteria import fmt_date, fmt_hours
from .readiness.result import Need
from .statuses import CriterionStatus


class Closes(Struct, frozen=True):
    body: str              # the body's short name
    criterion: str         # its criterion's id
    title: str


class Action(Struct):
    """One thing to do: an activity (``hours`` > 0: a course, on ``topic`` if any) or a fix (``text``)."""
    due: date
    closes: list[Closes] = field(default_factory=list)
    hours: float = 0.0
    topic: str | None = None              # the Topics column's text
    category: str | None = None           # the Category column's text
    formal: bool = False
    text: str | None = None               # a fix that is not an activity (a criterion's hint)

    def describe(self, unit: str) -> str:
        closes = "; ".join(f"{c.body}: {c.title[:1].lower()}{c.title[1:]}" for c in self.closes)
        if self.text:
            return f"{self.text[:1].upper()}{self.text[1:]} before {fmt_date(self.due)}: closes {closes}"
        shown = "hour" if unit == "hours" and abs(self.hours - 1) < 1e-9 else unit
        what = f"{fmt_hours(self.hours)} {shown}" + (f" on {self.topic}" if self.topic else "")
        return f"{what} ({self.category}) before {fmt_date(self.due)}: closes {closes}"

    def to_dict(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "hours": round(self.hours, 4) if not self.text else None,
                "topic": self.topic, "category": self.category, "formal": self.formal, "text": self.text,
                "closes": [{"body": c.body, "criterion": c.criterion, "title": c.title} for c in self.closes]}


class BodyPlan(Struct, frozen=True):
    profile: Profile
    readiness: Readiness
    deadline: date
    ended: bool


class Plan(Struct, frozen=True):
    as_of: date
    bodies: tuple[BodyPlan, ...]
    actions: tuple[Action, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(),
                "bodies": [{"profile": b.profile.id, "body": b.profile.short_name, "deadline": b.deadline.isoformat(),
                            "verdict": b.readiness.verdict, "period_ended": b.ended} for b in self.bodies],
                "actions": [a.to_dict() for a in self.actions]}


def course_category(profile: Profile) -> str:
    """The category a suggested course goes in: the body's formal course category (read by every body)."""
    for term in profile.categories:
        if "course" in term.kinds and term.formal:
            return term.label
    return next((t.label for t in profile.categories if "course" in t.kinds), profile.categories[0].label)


def _closes(b: BodyPlan, c: CriterionResult) -> Closes:
    return Closes(b.profile.short_name, c.id, c.title)


def make_plan(checks: list[tuple[Profile, Readiness]], as_of: date) -> Plan:
    """The plan for a log checked against each of ``checks``' bodies (the first is the log's own)."""
    bodies = tuple(BodyPlan(p, r, r.period.end, as_of > r.period.end) for p, r in checks)
    open_ = [b for b in bodies if not b.ended]
    category = course_category(checks[0][0])
    hour_gaps: list[tuple[BodyPlan, CriterionResult, Need]] = []
    actions: list[Action] = []
    for b in open_:
        for c in b.readiness.criteria:
            if c.status == CriterionStatus.PASS:
                continue
            if c.needs:
                hour_gaps.extend((b, c, n) for n in c.needs)
            elif c.hint:
                actions.append(Action(b.deadline, [_closes(b, c)], text=c.hint))
    activities: list[Action] = []
    by_topic: dict[str, list[tuple[BodyPlan, CriterionResult, Need]]] = {}
    for b, c, n in hour_gaps:
        if n.topic:
            by_topic.setdefault(n.topic, []).append((b, c, n))
        elif n.category is not None:
            label = b.profile.term("categories", n.category).label
            activities.append(Action(b.deadline, [_closes(b, c)], n.hours, category=label))
    for topic, gaps in by_topic.items():
        label = next((t.label for t in gaps[0][0].profile.topics if t.id == topic), topic)   # or a member's area
        activities.append(Action(min(b.deadline for b, _, _ in gaps),
                                 [_closes(b, c) for b, c, _ in gaps],
                                 max(n.hours for _, _, n in gaps), topic=label, category=category,
                                 formal=True))
    rest = [(b, c, n) for b, c, n in hour_gaps if not n.topic and not n.category]
    if rest:
        # what each still needs after the activities above (formal CPD counts only the courses)
        short = max(n.hours - sum(a.hours for a in activities if a.category == category or not n.formal)
                    for _, _, n in rest)
        courses = [a for a in activities if a.category == category]
        if courses:
            carrier = min(courses, key=lambda a: a.due)
            carrier.hours += max(short, 0.0)
        else:
            carrier = Action(min(b.deadline for b, _, _ in rest), hours=short, category=category, formal=True)
            activities.append(carrier)
        for b, c, _ in rest:
            carrier.closes.append(_closes(b, c))
            carrier.due = min(carrier.due, b.deadline)
    return Plan(as_of, bodies, tuple(sorted(activities, key=lambda a: a.due) + actions))


def plan_for(record: Record, profile: Profile, as_of: date) -> Plan:
    """The plan for one body's record (its readiness worked out here)."""
    return make_plan([(profile, assess(record, profile, as_of=as_of))], as_of)
