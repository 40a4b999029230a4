"""The Summary sheet's native formulas, built from the layout.

Only functions that Excel, LibreOffice and Google Sheets all have (SUMPRODUCT,
COUNTIF, INDEX/MATCH, ABS, MIN, MAX, IFERROR). Hours in the period are
apportioned by days exactly as the engine does: hours x days inside the period
/ days of the activity. Element-wise MIN and MAX inside SUMPRODUCT are written
as (a+b-ABS(a-b))/2 and (a+b+ABS(a-b))/2, which every spreadsheet evaluates
row by row.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from openpyxl.utils import get_column_letter

from ..form.layout import DRAFT, HEADER, RECORD_SHEET, TABLE_HEADER_ROW, TABLE_ROWS, Column
from ..profile import Profile, Term


def cell_ref(field: str) -> str:
    h = HEADER[field]
    return f"{RECORD_SHEET}!${get_column_letter(h.value_col)}${h.row}"


class TableRefs:
    """Ranges of the Record table, and the sums over it; with ``body`` (a log kept for several bodies),
    every sum leaves out the activities whose For column names other bodies only. Every sum counts the
    confirmed activities only (Status blank or Confirmed), as the engine does; with ``drafts``, the
    drafts only (what they would add, confirmed)."""

    def __init__(self, columns: Sequence[Column], body: Profile | None = None, drafts: bool = False) -> None:
        self.letters = {c.field: get_column_letter(i) for i, c in enumerate(columns, 1)}
        self.first = TABLE_HEADER_ROW + 1
        self.last = TABLE_HEADER_ROW + TABLE_ROWS
        self.body = body if "bodies" in self.letters else None
        self.drafts = drafts

    def confirmed(self) -> str | None:
        """Per row: whether the activity counts (its Status is not Draft; with ``drafts``, whether it is)."""
        if "status" not in self.letters:
            return None
        return f'{self.rng("status")}{"=" if self.drafts else "<>"}"{DRAFT}"'

    def for_body(self) -> str:
        """Per row: 1 when the activity counts for the body (its For cell is blank or names it), else 0."""
        b = self.rng("bodies")
        listed = f'","&SUBSTITUTE(LOWER({b})," ","")&","'
        if self.body is None:
            return "1"
        names = {self.body.short_name.replace(" ", "").lower(), self.body.id.replace(" ", "").lower()}
        found = "+".join(f'ISNUMBER(SEARCH(",{n},",{listed}))' for n in sorted(names))
        return f"((({b}=\"\")+{found})>0)"

    def _filter(self, condition: str | None) -> str:
        parts = [c for c in (condition, self.for_body() if self.body else None, self.confirmed()) if c]
        return "".join(f"*({c})" for c in parts)

    def rng(self, field: str) -> str:
        col = self.letters[field]
        return f"{RECORD_SHEET}!${col}${self.first}:${col}${self.last}"

    def overlap_days(self, p1: str | None = None, p2: str | None = None) -> str:
        """Per row: days of the activity inside the period (0 if none, or no start date); ``p1``/``p2``
        give another period's first and last days (default: the record's period)."""
        s, e_raw = self.rng("start_date"), self.rng("end_date")
        p1, p2 = p1 or cell_ref("period_start"), p2 or cell_ref("period_end")
        e = f"({s}+({e_raw}<>\"\")*({e_raw}-{s}))"
        lo = f"(({s}+{p1}+ABS({s}-{p1}))/2)"
        hi = f"(({e}+{p2}-ABS({e}-{p2}))/2)"
        x = f"({hi}-{lo}+1)"
        return f"(({x}+ABS({x}))/2*({s}>0))"

    def days(self) -> str:
        s, e_raw = self.rng("start_date"), self.rng("end_date")
        return f"(({e_raw}<>\"\")*({e_raw}-{s})+1)"

    def hours_in_period(self, condition: str | None = None, p1: str | None = None, p2: str | None = None) -> str:
        cond = self._filter(condition)
        return f"SUMPRODUCT({self.rng('hours')}*{self.overlap_days(p1, p2)}/{self.days()}{cond})"

    def ends_in_period(self, p1: str | None = None, p2: str | None = None) -> str:
        """Per row: 1 when the activity's last day falls in the period (where a fixed credit counts)."""
        s, e_raw = self.rng("start_date"), self.rng("end_date")
        p1, p2 = p1 or cell_ref("period_start"), p2 or cell_ref("period_end")
        e = f"({s}+({e_raw}<>\"\")*({e_raw}-{s}))"
        return f"(({s}>0)*({e}>={p1})*({e}<={p2}))"

    def credited_in_period(self, term: Term, condition: str | None = None, p1: str | None = None,
                           p2: str | None = None) -> str:
        """What a credited category's activities count in the period, as the engine credits them
        (``Term.credit``): a fixed amount each in the period it ends in, or each one's hours in the period
        times the factor, at most the cap (element-wise MIN as (a+b-ABS(a-b))/2)."""
        cond = self._filter(condition)
        if term.credit_each is not None:
            return f"{term.credit_each:g}*SUMPRODUCT({self.ends_in_period(p1, p2)}{cond})"
        x = f"({self.rng('hours')}*{self.overlap_days(p1, p2)}/{self.days()})"
        if term.credit_factor is not None:
            x = f"({x}*{term.credit_factor:g})"
        if term.max_each is not None:
            m = f"{term.max_each:g}"
            x = f"(({x}+{m}-ABS({x}-{m}))/2)"
        return f"SUMPRODUCT({x}{cond})"

    def is_term(self, term: Term) -> str:
        """Per row: whether the Category cell names ``term`` (by its label, as the drop-down writes it)."""
        return f'{self.rng("category")}="{term.label}"'

    def term_in_period(self, term: Term, condition: str, p1: str | None = None, p2: str | None = None) -> str:
        """A category's rows (``condition`` picks them) as the profile counts them: credited, or hour for hour."""
        if term.credited:
            return self.credited_in_period(term, condition, p1, p2)
        return self.hours_in_period(condition, p1, p2)

    def counted_in_period(self, profile: Profile, p1: str | None = None, p2: str | None = None,
                          cells: Mapping[str, str] | None = None) -> str:
        """All the period's hours as ``profile`` credits them (the engine's ``totals._in_period``): the hours
        of the rows in no credited category, and each credited category's rows counted its way, or the cell
        that holds that (``cells``: category id -> A1 reference; it keeps long formulas apart)."""
        credited = [term for term in profile.categories if term.credited] if "category" in self.letters else []
        if not credited:
            return self.hours_in_period(None, p1, p2)
        others = "*".join(f'({self.rng("category")}<>"{term.label}")' for term in credited)
        return "+".join([self.hours_in_period(others, p1, p2)]
                        + [cells[term.id] if cells else self.credited_in_period(term, self.is_term(term), p1, p2)
                           for term in credited])

    def any_before(self, day: str) -> str:
        """Whether any activity starts before ``day``."""
        s = self.rng("start_date")
        return f"(SUMPRODUCT(({s}>0)*({s}<{day}){self._filter(None)})>0)"

    def activities_in_period(self, condition: str | None = None) -> str:
        cond = self._filter(condition)
        return f"SUMPRODUCT(({self.overlap_days()}>0)*1{cond})"


# Every function the template's formulas may use, each one that Google Sheets has (its function
# list: support.google.com/docs/table/25273, "Google Sheets function list"), and that Excel and
# LibreOffice have too. A test fails when a template formula uses anything else. The add-in's
# own calls are named apart: CPD_READINESS / CPD_CRITERIA are the Apps Script custom functions
# in Google Sheets (workbook_templates/google-sheets/Functions.gs) and the xlwings ones in Excel;
# _xldudf_CPD_* is how Excel saves the Office.js ones. All of them sit inside IFERROR, so a
# spreadsheet without them shows the fallback, never an error.
SHEETS_FUNCTIONS = frozenset({
    "ABS", "AND", "COUNTIF", "DATE", "DAY", "IF", "IFERROR", "INDEX", "ISERROR", "ISNUMBER", "LOWER", "MATCH", "MAX",
    "MID", "MIN", "MONTH", "N", "ROUND", "SEARCH", "SUBSTITUTE", "SUM", "SUMPRODUCT", "YEAR",
})
ADDIN_FUNCTIONS = frozenset({"CPD_READINESS", "CPD_CRITERIA", "_xldudf_CPD_READINESS", "_xldudf_CPD_CRITERIA"})


def day_text(ref: str) -> str:
    """A formula's text for the date in ``ref`` as '1 Jan 2025', the same in every locale (TEXT's format
    codes are the spreadsheet's language's: 'JJJJ' in a German Excel)."""
    return (f'DAY({ref})&" "&MID("JanFebMarAprMayJunJulAugSepOctNovDec",MONTH({ref})*3-2,3)&" "&YEAR({ref})')
