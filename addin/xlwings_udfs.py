"""The CPD functions for Excel desktop on Windows (xlwings UDFs run only there), and the Check and Submit macros.

The CPD add-in (``cpd excel install``, docs/addin.md) names this module in its "UDF Modules"
(``addin.xlwings_udfs``); once its functions are imported into the add-in, every workbook has
CPD_HOURS, CPD_HOURS_BY, CPD_COVERAGE, CPD_TARGET, CPD_READINESS and CPD_CRITERIA, and stays .xlsx.
Each is a thin wrapper over the one registry
(``addin.functions``), so it gives exactly what the Office.js functions and the engine give.
Tables are returned as 2-D lists: Excel 365 spills them; the template puts them in array
formulas of the right size. Off Windows and macOS the decorators leave the functions as plain
Python, which is how the tests call them.
"""
from __future__ import annotations

from typing import Any

import xlwings as xw

from .functions import FUNCTIONS
from .values import Cell


def _run(name: str, *args: Cell) -> Any:
    return FUNCTIONS[name].run(*args)


@xw.func
@xw.arg("activities", ndim=2)
def CPD_HOURS(activities: Cell, period_from: Cell, period_to: Cell, category: Cell = None, skill_type: Cell = None,
              profile: Cell = None, first_row: Cell = None) -> Any:
    """Hours in the period, apportioned by days; optionally for one category or skill type."""
    return _run("HOURS", activities, period_from, period_to, category, skill_type, profile, first_row)


@xw.func
@xw.arg("activities", ndim=2)
def CPD_HOURS_BY(activities: Cell, by: Cell, period_from: Cell, period_to: Cell, profile: Cell = None,
                 first_row: Cell = None) -> Any:
    """Hours in the period by category, skill type, competence, objective or topic."""
    return _run("HOURS_BY", activities, by, period_from, period_to, profile, first_row)


@xw.func
@xw.arg("activities", ndim=2)
def CPD_COVERAGE(activities: Cell, period_from: Cell, period_to: Cell, what: Cell = None, profile: Cell = None,
                 registration: Cell = None, first_row: Cell = None) -> Any:
    """Categories or competences covered in the period, and missing."""
    return _run("COVERAGE", activities, period_from, period_to, what, profile, registration, first_row)


@xw.func
def CPD_TARGET(profile: Cell = None, status: Cell = None, period_from: Cell = None, period_to: Cell = None,
               leave_days: Cell = None) -> Any:
    """The hours required for a profile and member status."""
    return _run("TARGET", profile, status, period_from, period_to, leave_days)


@xw.func
@xw.arg("record", ndim=2)
@xw.arg("activities", ndim=2)
@xw.arg("plan", ndim=2)
def CPD_READINESS(record: Cell, activities: Cell, plan: Cell = None, profile: Cell = None,
                  first_row: Cell = None) -> Any:
    """Verdict and score."""
    return _run("READINESS", record, activities, plan, profile, first_row)


@xw.func
@xw.arg("record", ndim=2)
@xw.arg("activities", ndim=2)
@xw.arg("plan", ndim=2)
def CPD_CRITERIA(record: Cell, activities: Cell, plan: Cell = None, profile: Cell = None,
                 first_row: Cell = None) -> Any:
    """Each review criterion: status, reason and hint."""
    return _run("CRITERIA", record, activities, plan, profile, first_row)


# One-click Check and Submit for Excel desktop: macros in the CPD add-in (docs/addin.md). Run them
# with Alt+F8, or add them to the Quick Access Toolbar for one click. They read the open book's
# values (never its file, so an .xlsm's macros are never sent), run the same code as 'cpd check' and
# 'cpd submit' on them, and write the result into the Record sheet's Submission area (the token comes
# from 'cpd login', never the book).

@xw.sub
def CPD_CHECK() -> None:
    """Check this workbook and write the verdict into the Submission area."""
    from .errors import CpdError
    from .excel.book import check_book, report
    book = xw.Book.caller()
    try:
        check_book(book)
    except CpdError as err:
        report(book, err, "CPD check")


@xw.sub
def CPD_SUBMIT() -> None:
    """Submit a values-only copy of this workbook to your CPD service; write the receipt into the
    Submission area."""
    from .errors import CpdError
    from .excel.book import report, submit_book
    book = xw.Book.caller()
    try:
        submit_book(book)
    except CpdError as err:
        report(book, err, "CPD submit")
