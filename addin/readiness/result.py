"""What the readiness engine returns: per-criterion results and the verdict."""
from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from ..model import Period
from ..statuses import CriterionStatus, Verdict
from .totals import Totals, _round


class Need(Struct, frozen=True):
    """What a criterion still needs, where more CPD would meet it: ``hours`` more, on ``topic`` (a topic id),
    of formal CPD, or in ``category`` (a category id). The planner combines them across bodies."""

    hours: float
    topic: str | None = None
    formal: bool = False
    category: str | None = None


class Outcome(Struct, frozen=True):
    """What a criterion kind decides: a status, why, and what to do about it (and, where more CPD would
    meet it, what it needs)."""

    status: CriterionStatus
    reason: str
    hint: str | None = None
    rows: tuple[int, ...] = ()
    needs: tuple[Need, ...] = ()


class CriterionResult(Struct, frozen=True):
    """One criterion's outcome for a record: its status, the reason, a hint and what would satisfy it."""
    id: str
    kind: str
    title: str
    status: CriterionStatus
    reason: str
    hint: str | None
    rows: tuple[int, ...]
    weight: float
    needs: tuple[Need, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "status": self.status,
                "reason": self.reason, "hint": self.hint, "rows": list(self.rows), "weight": self.weight}


class Readiness(Struct, frozen=True):
    """The readiness verdict for a record against a profile: the score, the hours, and each criterion's result."""
    profile_id: str
    period: Period
    verdict: Verdict
    score: int                       # 0-100
    target: float | None             # hours required, after pro-rating; None where no hours apply
    counted_hours: float             # hours that count to the target, carry-over included
    unit: str
    criteria: tuple[CriterionResult, ...]
    totals: Totals
    coverage: dict[str, Any] = field(default_factory=dict)   # categories / competences: covered and missing
    notes: tuple[str, ...] = field(default=())
    drafts: tuple[int, ...] = ()     # rows of the period's drafts: shown, counted nowhere until confirmed
    draft_hours: float = 0.0         # what they would add to the counted hours, confirmed

    @property
    def ready(self) -> bool:
        return self.verdict in (Verdict.READY, Verdict.EXEMPT)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile_id,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "verdict": self.verdict, "score": self.score,
            "target": None if self.target is None else _round(self.target),
            "counted_hours": _round(self.counted_hours), "unit": self.unit,
            "criteria": [c.to_dict() for c in self.criteria],
            "totals": self.totals.to_dict(), "coverage": self.coverage, "notes": list(self.notes),
            "drafts": {"rows": list(self.drafts), "would_add": _round(self.draft_hours)},
        }
