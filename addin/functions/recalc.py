"""A recalculation rebuilds only the activity rows that changed.

A spreadsheet recalculates every CPD formula reading a range when any cell of it changes, and all of
them on opening, on F9 or when Google Sheets recalculates; each call gets the whole range afresh, as new
values. Building 2,000 activities from their cells is most of a call, and a member's edit changes one
row. ``Recalc`` keeps, for the last few activity ranges that came more than once, each data row's cells
as they were and what they built (its activity, or none, and its problems). A call in the same context
compares its rows with those (at C speed) and builds only the rows that differ, as one table, with the
same intake. ``Assessed`` keeps the verdicts of the records those ranges make.

What it returns is what building the whole range returns: a row's activity and problems depend only on
its own cells, its sheet row and the context, and the context is the key (the profile, the framework,
the registration title, the plan's objectives, the member's areas of practice, how dates and hours are
read, the header's columns and where the data starts). The rows are kept as copies, so a caller that
changes its lists afterwards changes nothing here; the activities and problems are frozen.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain, compress
from operator import eq, not_
from typing import Any, cast

from ..columns import from_grid
from ..errors import Problem
from ..intake import build_activities
from ..model import Activity, Record
from ..profile import Profile
from ..readiness import Readiness, assess
from ..values import Cell

CALLER: ContextVar[object] = ContextVar("cpd_functions_caller", default=None)   # whose ranges a call compares with
RANGES_KEPT = 4           # activity ranges remembered (a sheet's functions read one or two; the service's callers more)
SEEN_KEPT = 16            # ranges seen once, remembered by a few rows only
ROWS_KEPT = 10_000        # data rows remembered in all (a 2,000-activity log of long reflections: about 4 MB)
REBUILD_SHARE = 4         # more than a quarter of the rows changed: the whole range is built again


@contextmanager
def remembered_for(caller: object) -> Iterator[None]:
    """The functions called in the block compare their ranges only with ranges ``caller`` gave: the service's
    callers are anonymous (each address is one), and one caller's ranges are no baseline for another's, nor
    is how long a call took a hint of what another sent."""
    token = CALLER.set(caller)
    try:
        yield
    finally:
        CALLER.reset(token)


class _Built:
    """One range's rows as last seen, and what each built."""

    __slots__ = ("profile", "context", "cells", "probes", "first", "activities", "problems", "by_row")

    def __init__(self, profile: Profile, context: tuple[Any, ...], cells: list[Sequence[Cell]], first: int,
                 activities: list[Activity], problems: list[Problem]):
        self.profile = profile
        self.context = context
        self.cells = cells                     # each data row's cells (copies)
        self.probes = _probes(cells)
        self.first = first                     # the sheet row of cells[0]
        self.activities = activities           # what the last call returned
        self.problems = problems
        self.by_row: tuple[list[Activity | None], list[tuple[Problem, ...]]] | None = None   # made when first needed

    def rows(self) -> tuple[list[Activity | None], list[tuple[Problem, ...]]]:
        """Each data row's activity (None: blank, or not placed in time) and problems."""
        if self.by_row is None:
            acts: list[Activity | None] = [None] * len(self.cells)
            for a in self.activities:
                acts[a.row - self.first] = a
            problems = _file_by_row([()] * len(self.cells), self.problems, self.first)
            self.by_row = acts, problems
        return self.by_row


def _file_by_row(out: list[tuple[Problem, ...]], problems: Sequence[Problem], first: int
                 ) -> list[tuple[Problem, ...]]:
    """``out`` (each data row's problems, the first at sheet row ``first``) with ``problems`` added to their rows."""
    for p in problems:
        out[(p.row or first) - first] += (p,)
    return out


class _Seen:
    """A range seen once: a few of its rows, to know it when it comes again."""

    __slots__ = ("profile", "context", "probes")

    def __init__(self, profile: Profile, context: tuple[Any, ...], probes: dict[int, Sequence[Cell]]):
        self.profile, self.context, self.probes = profile, context, probes


class Recalc:
    """The last few activity ranges' rows and what they built; safe to share between threads.

    A range is remembered whole from the second time it comes (a sheet recalculating, or its other
    functions); the first time, only a few of its rows are. What is remembered is freed when a newer range
    takes its place, and freeing a range built long ago costs more than one built just now (its objects
    are no longer in the processor's caches): ranges that never come again (the service's callers, each
    once) are built and freed as if nothing were remembered. At most ``kept`` ranges and ``rows`` data rows
    are remembered in all, the newest first (a range longer than ``rows`` is built whole each time)."""

    def __init__(self, kept: int = RANGES_KEPT, seen: int = SEEN_KEPT, rows: int = ROWS_KEPT):
        self.kept, self.seen_kept, self.rows_kept = kept, seen, rows
        self.ranges: list[_Built] = []
        self.seen: list[_Seen] = []
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.ranges.clear()
            self.seen.clear()

    def holds(self, first: Activity) -> bool:
        """Whether ``first`` (a record's first activity) is one a remembered range built."""
        with self.lock:
            ranges = list(self.ranges)
        return any(a is first for b in ranges for a in b.activities[:64])

    def activities(self, data: Sequence[Sequence[Cell]], first: int, columns: Mapping[int, str], profile: Profile,
                   **context: Any) -> tuple[list[Activity], list[Problem]]:
        """The activities and problems of the data rows ``data`` (``data[0]`` at sheet row ``first``, columns
        mapped by ``columns``), as ``build_activities`` gives them with ``context``."""
        key = (CALLER.get(), first, tuple(columns.items()), *(context[k] for k in sorted(context)))
        with self.lock:
            alike = [b for b in self.ranges if b.profile is profile and b.context == key]
            seen = [b for b in self.seen if b.profile is profile and b.context == key]
        alikeness, last = max(((_likeness(data, b.probes), b) for b in alike), key=lambda found: found[0],
                              default=(0, None))
        if not alikeness:                 # none alike (another member's range of the same shape): not compared
            last = None
        changed = _changed(data, last.cells) if last is not None else None
        if last is None or changed is None or len(changed) * REBUILD_SHARE > max(len(data), 64):
            table = from_grid(data, range(first, first + len(data)), columns)
            activities, problems = build_activities(table, profile, **context)
            again = next((b for b in seen if _likeness(data, b.probes)), None)
            if last is None and again is None:          # the first time: a few rows kept, to know it again
                with self.lock:
                    self.seen = [_Seen(profile, key, _probes(data, copied=True))] + self.seen[:self.seen_kept - 1]
                return activities, problems
            if len(data) > self.rows_kept:              # too long to keep: built whole each time
                return activities, problems
            built = _Built(profile, key, _copies(data), first, activities, problems)
        elif not changed and len(data) == len(last.cells):
            built = last
        else:
            built = _rebuilt(last, data, changed, first, columns, profile, context)
        with self.lock:
            kept: list[_Built] = []
            rows = 0
            for b in [built] + [b for b in self.ranges if b is not last and b is not built]:
                rows += len(b.cells)
                if len(kept) == self.kept or rows > self.rows_kept:
                    break
                kept.append(b)
            self.ranges = kept            # newest first; a range longer than the rows kept in all is not kept
        return list(built.activities), list(built.problems)


def _copies(data: Sequence[Sequence[Cell]]) -> list[Sequence[Cell]]:
    """The rows as copies (a tuple is its own: nothing changes it)."""
    try:
        return list(map(list.copy, cast("Sequence[list[Cell]]", data)))   # lists (xlwings, a body): at C speed
    except TypeError:
        return [row[:] for row in data]


PROBES = 8               # rows compared to tell which remembered range a call's range is


def _probes(rows: Sequence[Sequence[Cell]], copied: bool = False) -> dict[int, Sequence[Cell]]:
    """``PROBES`` rows spread over the range, by index (``copied``: as copies)."""
    return {i: rows[i][:] if copied else rows[i] for i in sorted({k * len(rows) // PROBES for k in range(PROBES)})
            if i < len(rows)}


def _likeness(data: Sequence[Sequence[Cell]], probes: Mapping[int, Sequence[Cell]]) -> int:
    """How many of a remembered range's ``probes`` are the same rows in ``data``."""
    return sum(i < len(data) and data[i] == row for i, row in probes.items())


def _changed(data: Sequence[Sequence[Cell]], cells: list[Sequence[Cell]]) -> list[int] | None:
    """The indexes of the rows of ``data`` that differ from ``cells`` (rows past the end of either count);
    None when a row is not a list or tuple (compared as the same kind only)."""
    kinds = {type(r) for r in data[:1]} | {type(r) for r in cells[:1]}
    if len(kinds) > 1 or not kinds <= {list, tuple}:
        return None
    same = list(map(eq, data, cells))
    return list(compress(range(len(same)), map(not_, same))) + list(range(len(same), len(data)))


def _rebuilt(last: _Built, data: Sequence[Sequence[Cell]], changed: list[int], first: int,
             columns: Mapping[int, str], profile: Profile, context: Mapping[str, Any]) -> _Built:
    """``last`` with the rows ``changed`` built again from ``data`` (and rows past its end dropped)."""
    n = len(data)
    acts, problems = last.rows()
    acts, problems = acts[:n] + [None] * (n - len(acts)), problems[:n] + [()] * (n - len(problems))
    cells = last.cells[:n] + [()] * (n - len(last.cells))
    for i in changed:
        acts[i], problems[i], cells[i] = None, (), data[i][:]
    table = from_grid([data[i] for i in changed], [first + i for i in changed], columns)
    new_acts, new_problems = build_activities(table, profile, **context)
    for a in new_acts:
        acts[a.row - first] = a
    _file_by_row(problems, new_problems, first)     # each in a changed row, whose problems were cleared above
    built = _Built(profile, last.context, cells, first, list(filter(None, acts)), list(chain.from_iterable(problems)))
    built.by_row = acts, problems
    return built


class Assessed:
    """``assess`` remembered for the last few records: the sheet's other functions on the same ranges, and a
    recalculation that changed nothing they read, get the verdict already worked out (``assess`` depends on
    nothing but the record and the profile; a record is compared whole, its unchanged activities by identity
    first). Only the verdicts of records whose activities ``ranges`` remembers are kept (nothing more is kept
    alive, and freed later, for a record seen once)."""

    def __init__(self, ranges: Recalc, kept: int = RANGES_KEPT):
        self.ranges, self.kept = ranges, kept
        self.last: list[tuple[Record, Profile, Readiness, object]] = []
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.last.clear()

    def __call__(self, record: Record, profile: Profile) -> Readiness:
        caller = CALLER.get()
        with self.lock:
            last = list(self.last)
        found = next((seen for seen in last if seen[1] is profile and seen[3] == caller and seen[0] == record), None)
        if found is None:
            found = (record, profile, assess(record, profile), caller)
            first = record.activities[0] if record.activities else record.drafts[0] if record.drafts else None
            if first is not None and not self.ranges.holds(first):
                return found[2]                 # its activities are not remembered: neither is its verdict
        with self.lock:
            self.last = [found] + [seen for seen in self.last if seen is not found][:self.kept - 1]
        return found[2]
