"""The CPD functions for Excel desktop (Windows and macOS) through xlwings.

Set this module in the xlwings add-in's "UDF Modules" (``addin.xlwings_udfs``) and click
"Import Python UDFs": Excel then has CPD_HOURS, CPD_HOURS_BY, CPD_COVERAGE, CPD_TARGET,
CPD_READINESS and CPD_CRITERIA. Each is a thin wrapper over the one registry
(``addin.functions``), so it gives exactly what the Office.js functions and the engine give.
Tables are returned as 2-D lists: Excel 365 spills them; the template puts them in array
formulas of the right size. Off Windows and macOS the decorators leave the functions as plain
Python, which is how the tests call them.
"""
from __future__ import annotations

import xlwings as xw

from .functions import FUNCTIONS


def _run(name: str, *args):
    return FUNCTIONS[name].run(*args)


@xw.func
@xw.arg("activities", ndim=2)
def CPD_HOURS(activities, period_from, period_to, category=None, skill_type=None, profile=None, first_row=None):
    """Hours in the period, apportioned by days; optionally for one category or skill type."""
    return _run("HOURS", activities, period_from, period_to, category, skill_type, profile, first_row)


@xw.func
@xw.arg("activities", ndim=2)
def CPD_HOURS_BY(activities, by, period_from, period_to, profile=None, first_row=None):
    """Hours in the period by category, skill type, competence, objective or topic."""
    return _run("HOURS_BY", activities, by, period_from, period_to, profile, first_row)


@xw.func
@xw.arg("activities", ndim=2)
def CPD_COVERAGE(activities, period_from, period_to, what=None, profile=None, registration=None, first_row=None):
    """Categories or competences covered in the period, and missing."""
    return _run("COVERAGE", activities, period_from, period_to, what, profile, registration, first_row)


@xw.func
def CPD_TARGET(profile=None, status=None, period_from=None, period_to=None, leave_days=None):
    """The hours required for a profile and member status."""
    return _run("TARGET", profile, status, period_from, period_to, leave_days)


@xw.func
@xw.arg("record", ndim=2)
@xw.arg("activities", ndim=2)
@xw.arg("plan", ndim=2)
def CPD_READINESS(record, activities, plan=None, profile=None, first_row=None):
    """Verdict and score."""
    return _run("READINESS", record, activities, plan, profile, first_row)


@xw.func
@xw.arg("record", ndim=2)
@xw.arg("activities", ndim=2)
@xw.arg("plan", ndim=2)
def CPD_CRITERIA(record, activities, plan=None, profile=None, first_row=None):
    """Each review criterion: status, reason and hint."""
    return _run("CRITERIA", record, activities, plan, profile, first_row)


# One-click Check and Submit for Excel desktop: macros that xlwings imports with the functions.
# Run them with Alt+F8, or add them to the Quick Access Toolbar for one click. They save the
# workbook, run the same code as 'cpd check' and 'cpd submit' on the saved file, and write the
# result into the Record sheet's Submission area (the token comes from 'cpd login', never the book).

def _write_cells(book, cells: dict) -> None:
    sheet = book.sheets["Record"]
    for address, value in cells.items():
        sheet.range(address).value = value


def _report(book, err, title: str) -> None:
    """A CpdError as a message box: the problems with their cells, or the one message."""
    book.app.alert(str(err) if not err.problems else "\n".join(str(p) for p in err.problems[:10]), title=title)


def _saved_path(book) -> str:
    book.save()
    return book.fullname


@xw.sub
def CPD_CHECK():
    """Check this workbook and write the verdict into the Submission area."""
    from .errors import CpdError
    from .submit import check_cells
    book = xw.Book.caller()
    try:
        _write_cells(book, check_cells(_saved_path(book)))
    except CpdError as err:
        _report(book, err, "CPD check")


@xw.sub
def CPD_SUBMIT():
    """Check and submit this workbook to your CPD service; write the receipt into the Submission area."""
    from .errors import CpdError
    from .submit import Settings, check_cells, submit_file
    book = xw.Book.caller()
    try:
        path = _saved_path(book)
        receipt = submit_file(path, Settings.load())
        _write_cells(book, check_cells(path, receipt=receipt))
    except CpdError as err:
        _report(book, err, "CPD submit")
