"""Figures across periods: hours against the target, the category and skill mix, competences
covered over time, and objectives completed or carried over.

Pure: each period's figures come from its record and the engine's readiness for it; the same code
serves ``cpd report --years`` (several workbooks) and the service (a member's stored records).
"""
from __future__ import annotations

from typing import Any

from msgspec import Struct, field
from msgspec.structs import asdict, replace

from .model import Record
from .profile import Profile
from .readiness import Readiness

CLOSED = {"achieved": "achieved", "dropped": "dropped"}


class PeriodFigures(Struct, frozen=True):
    """One period's figures, labelled as a member would say them."""

    label: str                           # "2025", or "Jul 2024 - Jun 2026"
    start: str                           # ISO dates
    end: str
    profile: str                         # short name
    unit: str
    target: float | None
    counted: float
    verdict: str
    score: int
    by_category: dict[str, Any]                    # category label -> hours
    by_skill_group: dict[str, Any]                 # "Technical" / "Soft skills" -> hours
    competences: tuple[str, ...]         # codes with CPD in the period
    objectives: dict[str, Any]                     # ref -> status ("achieved", "dropped", "open")

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


class Trends(Struct, frozen=True):
    periods: tuple[PeriodFigures, ...]
    new_competences: dict[str, Any] = field(default_factory=dict)     # period label -> codes covered for the first time
    carried_objectives: dict[str, Any] = field(default_factory=dict)  # period label -> refs open at the last one's end
    completed_objectives: dict[str, Any] = field(default_factory=dict)  # period label -> refs achieved in it

    def to_dict(self) -> dict[str, Any]:
        return {"periods": [p.to_dict() for p in self.periods], "new_competences": self.new_competences,
                "carried_objectives": self.carried_objectives, "completed_objectives": self.completed_objectives}


def period_label(record: Record) -> str:
    p = record.period
    if p.start.month == 1 and p.start.day == 1 and p.end.month == 12 and p.end.day == 31:
        return str(p.start.year) if p.start.year == p.end.year else f"{p.start.year}-{p.end.year}"
    return f"{p.start:%b %Y} - {p.end:%b %Y}"


def _objective_state(status: str | None) -> str:
    return CLOSED.get((status or "").strip().lower(), "open")


def period_figures(record: Record, profile: Profile, readiness: Readiness) -> PeriodFigures:
    t = readiness.totals
    labels = {c.id: c.label for c in profile.categories}
    groups = {"technical": "Technical", "soft": "Soft skills"}
    return PeriodFigures(
        label=period_label(record), start=record.period.start.isoformat(), end=record.period.end.isoformat(),
        profile=profile.short_name, unit=profile.unit, target=readiness.target,
        counted=round(readiness.counted_hours, 4), verdict=readiness.verdict, score=readiness.score,
        by_category={labels[k]: round(v, 4) for k, v in t.by_category.items() if k in labels},
        by_skill_group={groups[k]: round(v, 4) for k, v in t.by_skill_group.items() if k in groups},
        competences=tuple(sorted(c for c, h in t.by_competence.items() if h > 0)),
        objectives={o.ref: _objective_state(o.status) for o in record.objectives})


def across_periods(figures: list[PeriodFigures]) -> Trends:
    """The periods in order, and what changed from each to the next."""
    ordered = tuple(sorted(figures, key=lambda f: (f.start, f.end)))
    seen: set[str] = set()
    new, carried, completed = {}, {}, {}
    before: PeriodFigures | None = None
    for f in ordered:
        new[f.label] = [c for c in f.competences if c not in seen]
        seen.update(f.competences)
        completed[f.label] = [ref for ref, state in f.objectives.items() if state == "achieved"]
        if before is not None:
            carried[f.label] = [ref for ref, state in before.objectives.items()
                                if state == "open" and ref in f.objectives]
        before = f
    return Trends(periods=ordered, new_competences=new, carried_objectives=carried, completed_objectives=completed)


def periods_of_log(record: Record, profile: Profile) -> list[Record]:
    """One log of several years as the records of each period its activities fall in (the profile's kind of
    period named by each activity's year), oldest first; the record itself when it has no activity."""
    years = sorted({a.start_date.year for a in record.activities})
    return [replace(record, period=profile.period_named(str(y))) for y in years] or [record]
