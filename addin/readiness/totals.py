"""Hours in a period: apportioning by days, and totals by category, skill type,
competence, objective and topic (in the body's credit, where it credits some activities other than hour
for hour: ``_in_period``).

The apportioning rule: an activity's hours are spread evenly over its days,
start and end inclusive; the period gets the share of days that fall inside it.
A 10-hour course from 30 Dec to 2 Jan (4 days) gives 5 hours to each year.
Sums use ``math.fsum`` so the order of activities never changes a total.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from msgspec import Struct

from ..model import Activity, Period, Record
from ..profile import Profile


_ROW = attrgetter("row")


def share(activity: Activity, overlap_days: int) -> float:
    """The activity's hours for `overlap_days` of its days (the apportioning rule)."""
    if not activity.hours or not overlap_days:
        return 0.0
    days = activity.days
    return activity.hours if overlap_days == days else activity.hours * overlap_days / days


def hours_in(activity: Activity, period: Period) -> float:
    """The activity's hours that fall in the period, apportioned by days."""
    return share(activity, period.overlap_days(activity.start_date, activity.end_date))


def in_period(activity: Activity, period: Period) -> bool:
    return period.overlap_days(activity.start_date, activity.end_date) > 0


class Totals(Struct, frozen=True):
    """A record's hours in its period, apportioned and summed by category, skill type and more."""
    period: Period
    hours: float                      # all hours in the period, apportioned
    counted: float                    # what counts to the target: category caps applied
    formal: float
    by_category: dict[str, float]     # category id (or "" for none) -> hours
    by_skill_type: dict[str, float]
    by_skill_group: dict[str, float]  # technical / soft / "" -> hours
    by_competence: dict[str, float]
    by_objective: dict[str, float]
    by_topic: dict[str, float]
    activities: tuple[Activity, ...]  # in-period activities, by row

    def to_dict(self) -> dict[str, Any]:
        r = _round
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "hours": r(self.hours), "counted_hours": r(self.counted), "formal_hours": r(self.formal),
            "activities_in_period": len(self.activities),
            "by_category": {k: r(v) for k, v in self.by_category.items()},
            "by_skill_type": {k: r(v) for k, v in self.by_skill_type.items()},
            "by_skill_group": {k: r(v) for k, v in self.by_skill_group.items()},
            "by_competence": {k: r(v) for k, v in self.by_competence.items()},
            "by_objective": {k: r(v) for k, v in self.by_objective.items()},
            "by_topic": {k: r(v) for k, v in self.by_topic.items()},
        }


def covered_categories(totals: Totals, profile: Profile) -> list[str]:
    """Category ids with CPD in the period: hours above 0, or any activity where no hours apply."""
    if profile.hours is None:
        present = {a.category for a in totals.activities}
        return [t.id for t in profile.categories if t.id in present]
    return [t.id for t in profile.categories if totals.by_category.get(t.id, 0.0) > 0]


def _round(x: float) -> float:
    return round(x, 4) + 0.0


def _sums(groups: Mapping[str, list[float]], order: Sequence[str] = ()) -> dict[str, float]:
    """Exact sums of grouped hours: the keys in ``order`` first (0 when absent), then the rest sorted."""
    ordered = list(order) + sorted(k for k in groups if k not in order)
    return {k: math.fsum(groups[k]) if k in groups else 0.0 for k in ordered}


def _in_period(record: Record, period: Period, profile: Profile) -> tuple[list[Activity], list[float]]:
    """The activities that touch the period, by row, and what each counts in it: its hours in the period,
    or its category's credit where the body credits by activity (``Term.credit``: a paper counts 10 PDH in
    the period it ends in, teaching its hours doubled, a society's service at most 2 PDH)."""
    start, end = period.start, period.end
    acts = [a for a in record.activities if a.start_date <= end and a.end_date >= start]
    acts.sort(key=_ROW)
    shares = [(a.hours or 0.0) if a.start_date >= start and a.end_date <= end
              else share(a, period.overlap_days(a.start_date, a.end_date)) for a in acts]
    credited = {t.id: t for t in profile.categories if t.credited}
    if credited:
        for i, a in enumerate(acts):
            term = credited.get(a.category or "")
            if term is None:
                continue
            if term.credit_each is not None:
                shares[i] = term.credit_each if start <= a.end_date <= end else 0.0
            else:
                shares[i] = term.credit(shares[i])
    return acts, shares


def _none_as_blank(groups: Mapping[str | None, list[float]]) -> dict[str, list[float]]:
    """Groups with the activities of none (no category, no skill type) under "", as the totals name them."""
    out: dict[str, list[float]] = {}
    for key, hours in groups.items():
        out.setdefault(key or "", []).extend(hours)
    return out


def compute_totals(record: Record, profile: Profile, period: Period | None = None) -> Totals:
    period = period or record.period
    acts, hours = _in_period(record, period, profile)
    by_cat: defaultdict[str | None, list[float]] = defaultdict(list)
    by_skill: defaultdict[str | None, list[float]] = defaultdict(list)
    comp: defaultdict[str, list[float]] = defaultdict(list)
    obj: defaultdict[str, list[float]] = defaultdict(list)
    topic: defaultdict[str, list[float]] = defaultdict(list)
    for a, h in zip(acts, hours):        # one pass: each activity's hours into each of its groups
        by_cat[a.category].append(h)     # none: keyed "" once the pass is done
        by_skill[a.skill_type].append(h)
        if a.objective:
            obj[a.objective].append(h)
        if a.competences:
            for c in a.competences:
                comp[c].append(h)
        if a.topics:
            for t in a.topics:
                topic[t].append(h)
    cat, skill = _none_as_blank(by_cat), _none_as_blank(by_skill)
    group: defaultdict[str, list[float]] = defaultdict(list)
    group_of = {t.id: t.group for t in profile.skill_types}
    for k, hs in skill.items():
        group[group_of.get(k, "") or ""].extend(hs)
    by_category = _sums(cat, [t.id for t in profile.categories])
    caps = {t.id: t.max_hours for t in profile.categories if t.max_hours is not None}
    counted = math.fsum(min(h, caps[k]) if k in caps else h for k, h in by_category.items())
    formal = math.fsum(h for t in profile.categories if t.formal for h in cat.get(t.id, ()))
    return Totals(period=period, hours=math.fsum(hours), counted=counted, formal=formal,
                  by_category=by_category,
                  by_skill_type=_sums(skill, [t.id for t in profile.skill_types]),
                  by_skill_group=_sums(group, ["technical", "soft"] if profile.skill_types else []),
                  by_competence=_sums(comp), by_objective=_sums(obj),
                  by_topic=_sums(topic, [t.id for t in profile.topics]),
                  activities=tuple(acts))
