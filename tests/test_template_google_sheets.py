"""The template imported into Google Sheets keeps working there: only functions Sheets has, plain drop-downs."""
from __future__ import annotations

import re

import openpyxl
import pytest

from addin.profile import list_profiles
from workbook_templates import example_path, template_path
from addin.workbook.formulas import ADDIN_FUNCTIONS, SHEETS_FUNCTIONS

FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")
STRING = re.compile(r'"(?:[^"]|"")*"')
# an inline list, or a plain range of cells (the hidden Lists sheet, the Plan's Refs): no INDIRECT, OFFSET or names
PLAIN_LIST = re.compile(r"^(?:\"[^\"]*\"|'?(?:Lists|Plan)'?!\$[A-Z]{1,2}\$\d+:\$[A-Z]{1,2}\$\d+)$")
FILES = [template_path(p.id) for p in list_profiles()] + [example_path("iet"), example_path("ikt")]


def formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = getattr(c.value, "text", c.value)        # an array formula keeps its text apart
                if isinstance(text, str) and text.startswith("="):
                    yield f"{ws.title}!{c.coordinate}", text


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_formula_uses_only_functions_google_sheets_has(path):
    wb = openpyxl.load_workbook(path)
    used, unknown = set(), []
    for where, text in formulas(wb):
        for name in FUNCTION.findall(STRING.sub('""', text)):
            used.add(name)
            if name.upper() not in SHEETS_FUNCTIONS and name not in ADDIN_FUNCTIONS:
                unknown.append((where, name))
    assert not unknown, unknown[:5]
    assert {"SUMPRODUCT", "COUNTIF"} <= used          # the Summary figures are there to check


def test_the_add_in_calls_fall_back_inside_iferror():
    wb = openpyxl.load_workbook(template_path("iet"))
    for where, text in formulas(wb):
        if "CPD_" in text:
            assert text.startswith(("=IFERROR(", "=IF(AND(ISERROR(")), where


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_drop_downs_are_plain_lists_google_sheets_keeps(path):
    wb = openpyxl.load_workbook(path)
    lists = [(ws.title, dv.formula1) for ws in wb.worksheets for dv in ws.data_validations.dataValidation
             if dv.type == "list"]
    assert lists
    assert all(PLAIN_LIST.match(f or "") for _, f in lists), [x for x in lists if not PLAIN_LIST.match(x[1] or "")]


def test_the_lists_the_drop_downs_name_hold_the_profiles_terms():
    wb = openpyxl.load_workbook(template_path("iet"))
    ws = wb["Lists"]
    cats = [c.value for c in ws["A"][1:] if c.value]
    from addin.profile import load_profile
    assert cats == [t.label for t in load_profile("iet").categories]
