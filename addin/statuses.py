"""The typed statuses of a check: a criterion's result (pass, warn, fail) with its weight in the score,
and a record's verdict. The weights are said here once; the engine's score and the service's figures use
them."""
from __future__ import annotations

from enum import StrEnum


class CriterionStatus(StrEnum):
    """A criterion's result. Its weight in the score (and in the group view's figures) is ``weight``."""
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def weight(self) -> float:
        return STATUS_SCORE[self]


class Verdict(StrEnum):
    """The record's verdict: ready, not ready, or exempt (no CPD is asked of the member for the period)."""
    READY = "ready"
    NOT_READY = "not_ready"
    EXEMPT = "exempt"

    @property
    def label(self) -> str:
        return {"ready": "READY", "not_ready": "NOT READY", "exempt": "EXEMPT"}[self.value]


PASS, WARN, FAIL = CriterionStatus.PASS, CriterionStatus.WARN, CriterionStatus.FAIL
STATUS_SCORE: dict[CriterionStatus, float] = {PASS: 1.0, WARN: 0.5, FAIL: 0.0}     # the one place a weight is said


__all__ = ["CriterionStatus", "Verdict", "PASS", "WARN", "FAIL", "STATUS_SCORE"]
