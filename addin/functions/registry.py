"""The one list of CPD worksheet functions. The xlwings module (Excel desktop), the Office.js
custom functions and their HTTP endpoint (Excel on the web and Mac) are all made from it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import Struct

from ..values import Cell
from . import sheet


class Param(Struct, frozen=True):
    name: str
    kind: str            # range | text | number | date | any
    help: str
    optional: bool = False


class Function(Struct, frozen=True):
    name: str            # CPD.<name> in Office.js, CPD_<name> in xlwings
    impl: Callable[..., Any]
    params: tuple[Param, ...]
    returns: str         # number | text | table
    help: str
    example: str

    @property
    def run(self) -> Callable[..., Any]:
        return sheet.safely(self.impl)


ACTIVITIES = Param("activities", "range", "The activity table with its header row, e.g. Record!A9:Q5009")
PERIOD = (Param("period_from", "date", "First day of the period"), Param("period_to", "date", "Last day of the period"))
PROFILE = Param("profile", "text", "Institution profile id or name (default: the IET)", optional=True)
FIRST_ROW = Param("first_row", "number", "Sheet row of the range's first row, to name rows in messages "
                  "(default 9: the template's header row)", optional=True)
RECORD = Param("record", "range", "The Record sheet's header block with its labels, e.g. Record!A3:F7")
PLAN = Param("plan", "range", "The Plan sheet's table with its header row, e.g. Plan!A4:G54", optional=True)

FUNCTIONS = {f.name: f for f in (
    Function("HOURS", sheet.hours, (ACTIVITIES, *PERIOD, Param("category", "text", "Only this category", True),
                                    Param("skill_type", "text", "Only this skill type", True), PROFILE, FIRST_ROW),
             "number", "Hours in the period, apportioned by days; optionally for one category or skill type.",
             "=CPD.HOURS(Record!A9:Q5009, Record!F3, Record!F4, \"Training courses\")"),
    Function("HOURS_BY", sheet.hours_by, (ACTIVITIES, Param("by", "text", "category, skill type, competence, "
                                                            "objective or topic"), *PERIOD, PROFILE, FIRST_ROW),
             "table", "Hours in the period broken down, as a table that spills.",
             "=CPD.HOURS_BY(Record!A9:Q5009, \"competence\", Record!F3, Record!F4)"),
    Function("COVERAGE", sheet.coverage, (ACTIVITIES, *PERIOD, Param("what", "text", "category or competence", True),
                                          PROFILE, Param("registration", "text", "CEng, IEng or EngTech", True),
                                          FIRST_ROW),
             "table", "Which categories (or competences) the period covers and which it misses.",
             "=CPD.COVERAGE(Record!A9:Q5009, Record!F3, Record!F4, \"category\")"),
    Function("TARGET", sheet.target, (Param("profile", "text", "Institution profile id or name", True),
                                      Param("status", "text", "Active, Partially active, Not professionally active",
                                            True), *(Param(p.name, p.kind, p.help, True) for p in PERIOD),
                                      Param("leave_days", "number", "Days on leave in the period", True)),
             "any", "The hours required for a profile and member status.",
             "=CPD.TARGET(\"iet\", \"Partially active\")"),
    Function("READINESS", sheet.readiness, (RECORD, ACTIVITIES, PLAN, PROFILE, FIRST_ROW),
             "table", "Would the record pass the review? Verdict and score, in one row that spills.",
             "=CPD.READINESS(Record!A3:F7, Record!A9:Q5009, Plan!A4:G54)"),
    Function("CRITERIA", sheet.criteria, (RECORD, ACTIVITIES, PLAN, PROFILE, FIRST_ROW),
             "table", "Each review criterion with PASS, WARN or FAIL, the reason and what to do: a table that spills.",
             "=CPD.CRITERIA(Record!A3:F7, Record!A9:Q5009, Plan!A4:G54)"),
)}


def call(name: str, args: list[Cell]) -> Any:
    """Run a function by name with positional arguments, as the HTTP endpoint and tests do."""
    fn = FUNCTIONS.get(str(name).upper())
    if fn is None:
        return f"No CPD function {name!r}"
    required = sum(1 for p in fn.params if not p.optional)
    if len(args) < required or len(args) > len(fn.params):
        return f"CPD.{fn.name} takes {required} to {len(fn.params)} arguments; got {len(args)}"
    return fn.run(*args)
