"""Exporting a record's activities as CSV, safe to open in a spreadsheet.

Text that a spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``,
``@``, a tab, CR or NUL) is prefixed with an apostrophe, so it opens as text.
"""
from __future__ import annotations

import csv
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, TextIO

from .model import Activity, Period, Record
from .profile import Profile
from .readiness.totals import in_period
from .values import FORMULA_TRIGGERS
from .form.layout import ACTIVITY_COLUMNS, DRAFT, columns_for, hours_header

COLUMNS = tuple((c.field, c.header) for c in ACTIVITY_COLUMNS)   # the template's columns, in its order


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def activity_labels(profile: Profile) -> dict[str, dict[str, str]]:
    """The profile's labels by id, for each kind of classification (worked out once per record)."""
    return {kind: {t.id: t.label for t in getattr(profile, kind)} for kind in ("categories", "skill_types", "topics")}


def activity_columns(activities: Sequence[Activity], profile: Profile,
                     labels: dict[str, dict[str, str]] | None = None) -> dict[str, list[Any]]:
    """The activities as the template's cells show them, a column a field (in ``COLUMNS``' order): labels for
    ids, lists as 'B2, E4'. Column by column, so a whole record costs a few C-speed passes a field."""
    labels = labels or activity_labels(profile)
    out: dict[str, list[Any]] = {}
    for f, _ in COLUMNS:
        if f == "status":
            out[f] = [DRAFT if a.draft else None for a in activities]
            continue
        values = list(map(attrgetter(f), activities))
        if f in ("category", "skill_type"):
            named = labels["categories" if f == "category" else "skill_types"]
            values = [named.get(v, v) for v in values]
        elif f == "topics":
            named = labels["topics"]
            values = [", ".join(named.get(t, t) for t in v) or None for v in values]
        elif f in ("competences", "bodies"):
            values = [", ".join(v) or None for v in values]
        out[f] = values
    return out


def activity_rows(activities: Sequence[Activity], profile: Profile,
                  labels: dict[str, dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """The activities as the template's cells show them, a dict of cells each (``activity_columns``)."""
    columns = activity_columns(activities, profile, labels)
    return [dict(zip(columns, cells)) for cells in zip(*columns.values())]


def write_csv(record: Record, profile: Profile, out: TextIO, period: Period | None = None) -> int:
    """Write one row per activity (those touching ``period`` when given), in the profile's template
    columns and labels; returns how many."""
    columns = [(c.field, hours_header(profile) if c.field == "hours" else c.header) for c in columns_for(profile)]
    writer = csv.writer(out)
    writer.writerow([h for _, h in columns])
    chosen = [a for a in record.activities if period is None or in_period(a, period)]
    for values in activity_rows(sorted(chosen, key=lambda a: a.row), profile):
        row = []
        for f, _ in columns:
            v = values[f]
            if v is None:
                row.append("")
            elif isinstance(v, str):
                row.append(safe_text(v))
            elif hasattr(v, "isoformat"):
                row.append(v.isoformat())
            else:
                row.append(f"{v:g}" if isinstance(v, float) else v)
        writer.writerow(row)
    return len(chosen)
