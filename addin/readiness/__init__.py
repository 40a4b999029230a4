"""The readiness engine: would this record pass the institution's CPD review?"""
from .engine import assess, carried_over, review_period, target_for
from ..statuses import FAIL, PASS, STATUS_SCORE, WARN, CriterionStatus, Verdict
from .result import CriterionResult, Readiness
from .totals import Totals, compute_totals, covered_categories, hours_in

__all__ = ["assess", "carried_over", "review_period", "target_for", "compute_totals", "covered_categories",
           "hours_in", "Totals", "Readiness", "Verdict", "CriterionStatus", "STATUS_SCORE", "CriterionResult", "PASS",
           "WARN", "FAIL"]
