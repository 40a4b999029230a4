"""Hours in a period: apportioning by days, and totals by category, skill type,
competence, objective and topic.

The apportioning rule: an activity's hours are spread evenly over its days,
start and end inclusive; the period gets the share of days that fall inside it.
A 10-hour course from 30 Dec to 2 Jan (4 days) gives 5 hours to each year.
Sums use ``math.fsum`` so the order of activities never changes a total.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..model import Activity, Period, Record
from ..profile import Profile


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


@dataclass(frozen=True)
class Totals:
    period: Period
    hours: float                      # all hours in the period, apportioned
    counted: float                    # what counts to the target: category caps applied
    formal: float
    by_category: dict                 # category id (or "" for none) -> hours
    by_skill_type: dict
    by_skill_group: dict              # technical / soft / "" -> hours
    by_competence: dict
    by_objective: dict
    by_topic: dict
    activities: tuple                 # in-period activities, by row
    shares: dict                      # row -> hours in period

    def to_dict(self) -> dict:
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


def _sum_by(pairs, order=()) -> dict:
    groups: dict[str, list[float]] = {k: [] for k in order}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    ordered = list(order) + sorted(k for k in groups if k not in order)
    return {k: math.fsum(groups[k]) for k in ordered}


def compute_totals(record: Record, profile: Profile, period: Period | None = None) -> Totals:
    period = period or record.period
    shares, acts = {}, []
    for a in record.activities:
        overlap = period.overlap_days(a.start_date, a.end_date)
        if overlap:
            acts.append(a)
            shares[a.row] = share(a, overlap)
    acts = tuple(sorted(acts, key=lambda a: a.row))
    cats = [t.id for t in profile.categories]
    by_category = _sum_by(((a.category or "", shares[a.row]) for a in acts), cats)
    by_skill = _sum_by(((a.skill_type or "", shares[a.row]) for a in acts), [t.id for t in profile.skill_types])
    group_of = {t.id: t.group for t in profile.skill_types}
    by_group = _sum_by(((group_of.get(a.skill_type or "", "") or "", shares[a.row]) for a in acts),
                       ["technical", "soft"] if profile.skill_types else [])
    by_comp = _sum_by((c, shares[a.row]) for a in acts for c in a.competences)
    by_obj = _sum_by((a.objective, shares[a.row]) for a in acts if a.objective)
    by_topic = _sum_by(((t, shares[a.row]) for a in acts for t in a.topics), [t.id for t in profile.topics])
    caps = {t.id: t.max_hours for t in profile.categories if t.max_hours is not None}
    counted = math.fsum(min(h, caps[k]) if k in caps else h for k, h in by_category.items())
    formal_ids = {t.id for t in profile.categories if t.formal}
    formal = math.fsum(shares[a.row] for a in acts if a.category in formal_ids)
    return Totals(period=period, hours=math.fsum(shares.values()), counted=counted, formal=formal,
                  by_category=by_category, by_skill_type=by_skill, by_skill_group=by_group,
                  by_competence=by_comp, by_objective=by_obj, by_topic=by_topic, activities=acts, shares=shares)
