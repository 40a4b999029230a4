"""Exporting a record's activities as CSV, safe to open in a spreadsheet.

Text that a spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``,
``@``, a tab, CR or NUL) is prefixed with an apostrophe, so it opens as text.
"""
from __future__ import annotations

import csv
from typing import TextIO

from .model import Record
from .profile import Profile
from .values import FORMULA_TRIGGERS
from .workbook.layout import ACTIVITY_COLUMNS

COLUMNS = tuple((c.field, c.header) for c in ACTIVITY_COLUMNS)   # the template's columns, in its order


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def activity_labels(profile: Profile) -> dict:
    """The profile's labels by id, for each kind of classification (worked out once per record)."""
    return {kind: {t.id: t.label for t in getattr(profile, kind)} for kind in ("categories", "skill_types", "topics")}


def activity_values(activity, profile: Profile, labels: dict | None = None) -> dict:
    """An activity as the template's cells show it: labels for ids, lists as 'B2, E4'."""
    labels = labels or activity_labels(profile)
    out = {}
    for f, _ in COLUMNS:
        v = getattr(activity, f)
        if f == "category":
            v = labels["categories"].get(v, v)
        elif f == "skill_type":
            v = labels["skill_types"].get(v, v)
        elif f == "topics":
            v = ", ".join(labels["topics"].get(t, t) for t in v) or None
        elif f == "competences":
            v = ", ".join(v) or None
        out[f] = v
    return out


def write_csv(record: Record, profile: Profile, out: TextIO) -> int:
    """Write one row per activity; returns how many."""
    writer = csv.writer(out)
    writer.writerow([h for _, h in COLUMNS])
    labels = activity_labels(profile)
    for a in sorted(record.activities, key=lambda a: a.row):
        values = activity_values(a, profile, labels)
        row = []
        for f, _ in COLUMNS:
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
    return len(record.activities)
