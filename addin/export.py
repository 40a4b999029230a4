"""Exporting a record's activities as CSV, safe to open in a spreadsheet.

Text that a spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``,
``@``, a tab, CR or NUL) is prefixed with an apostrophe, so it opens as text.
"""
from __future__ import annotations

import csv
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


def activity_values(activity: Activity, profile: Profile, labels: dict[str, dict[str, str]] | None = None
                    ) -> dict[str, Any]:
    """An activity as the template's cells show it: labels for ids, lists as 'B2, E4'."""
    labels = labels or activity_labels(profile)
    out: dict[str, Any] = {}
    for f, _ in COLUMNS:
        if f == "status":
            out[f] = DRAFT if activity.draft else None
            continue
        v = getattr(activity, f)
        if f == "category":
            v = labels["categories"].get(v, v)
        elif f == "skill_type":
            v = labels["skill_types"].get(v, v)
        elif f == "topics":
            v = ", ".join(labels["topics"].get(t, t) for t in v) or None
        elif f in ("competences", "bodies"):
            v = ", ".join(v) or None
        out[f] = v
    return out


def write_csv(record: Record, profile: Profile, out: TextIO, period: Period | None = None) -> int:
    """Write one row per activity (those touching ``period`` when given), in the profile's template
    columns and labels; returns how many."""
    columns = [(c.field, hours_header(profile) if c.field == "hours" else c.header) for c in columns_for(profile)]
    writer = csv.writer(out)
    writer.writerow([h for _, h in columns])
    labels = activity_labels(profile)
    chosen = [a for a in record.activities if period is None or in_period(a, period)]
    for a in sorted(chosen, key=lambda a: a.row):
        values = activity_values(a, profile, labels)
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
