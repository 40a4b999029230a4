"""The one header finder: which row of a grid heads a table, and which column holds which field.

Header text is matched one way everywhere: case, spacing and punctuation do not matter,
nor a trailing ':', '?' or '*', nor (failing an exact match) a parenthesised aside such as
"Hours (e.g. 1.5)"; failing that, a reflection column is known by its meaning ("What I learnt /
how applied"). Each field is taken from the first column that names it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ..form.layout import Column, header_names
from ..values import Cell, normalise

MAX_HEADER_CHARS = 200          # longer text is a value, not a header
_ASIDE = re.compile(r"\(.*?\)")
# Headers matched by meaning when no name matches: a member's own words for the reflection column
# ("What I learnt / how applied", "Lessons learned", "Reflection on practice").
MEANINGS = (("reflection",
             re.compile(r"\b(?:learnt|learned|reflect\w*|lessons|how (?:\w+ )?(?:was |were |is )?applied)\b")),)


def header_key(raw: object) -> str | None:
    """The normalised text a header cell is matched by; None for a cell that cannot be a header."""
    if raw.__class__ is not str or len(raw) > MAX_HEADER_CHARS:
        return None
    text = raw.strip().rstrip(":?*").strip()
    return normalise(text) if text else None


class HeaderNames:
    """The header names (and synonyms) of a table's columns, normalised, with the field each names."""

    def __init__(self, columns: Sequence[Column], extra: Mapping[str, Iterable[str]] | None = None):
        self.names: dict[str, str] = header_names(columns)
        self.fields = {c.field for c in columns}
        for fld, names in (extra or {}).items():
            for name in names:
                self.names.setdefault(normalise(name), fld)

    def field_for(self, raw: object) -> str | None:
        key = header_key(raw)
        if key is None:
            return None
        found = self.names.get(key)
        if found is None and "(" in key:
            found = self.names.get(normalise(_ASIDE.sub("", key)).strip())
        if found is None:
            found = next((fld for fld, meaning in MEANINGS if fld in self.fields and meaning.search(key)), None)
        return found

    def fields_in(self, cells: Sequence[Cell]) -> dict[int, str]:
        """{column index: field} for the cells of one row that name a field (the first column naming each)."""
        found: dict[int, str] = {}
        seen: set[str] = set()
        for i, v in enumerate(cells):
            if v.__class__ is str and v:
                f = self.field_for(v)
                if f is not None and f not in seen:
                    seen.add(f)
                    found[i] = f
        return found


def find_header(rows: Sequence[Sequence[Cell]], names: HeaderNames, *, min_matches: int, scan_rows: int,
                most: bool = False) -> tuple[int, dict[int, str]] | None:
    """(index in ``rows``, {column index: field}) of the header row among the first ``scan_rows``.

    The first row naming at least ``min_matches`` fields; with ``most``, the row naming the
    most (the first of equals). None when no row names enough."""
    best: tuple[int, dict[int, str]] | None = None
    for i, cells in enumerate(rows[:scan_rows]):
        found = names.fields_in(cells)
        if len(found) >= min_matches:
            if not most:
                return i, found
            if best is None or len(found) > len(best[1]):
                best = (i, found)
    return best
