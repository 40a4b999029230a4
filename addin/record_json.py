"""A record as data: the compact JSON form the service stores and delivers to the institution.

Tables are columns and rows (one list per activity, no per-cell objects), values as the
template's cells show them (labels, not ids; lists as "B2, E4"), dates as ISO 8601. The
shape is versioned (``RECORD_VERSION``) and described in docs/delivery-protocol.md.
"""
from __future__ import annotations

import gzip
import json
from datetime import date

from .export import COLUMNS, activity_labels, activity_values
from .model import Record
from .profile import Profile

RECORD_VERSION = 2
ACTIVITY_FIELDS = [f for f, _ in COLUMNS]
OBJECTIVE_FIELDS = ["ref", "objective", "why", "competences", "target_date", "status", "evaluation"]


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def record_data(record: Record, profile: Profile) -> dict:
    """The record as JSON-ready data: member, period, profile, and the plan and activities as tables."""
    m = record.member
    labels = activity_labels(profile)
    objectives = [[o.ref, o.objective, o.why, ", ".join(o.competences) or None, _plain(o.target_date), o.status,
                   o.evaluation] for o in record.objectives]
    activities = [[_plain(v) for v in activity_values(a, profile, labels).values()] for a in record.activities]
    return {"version": RECORD_VERSION, "profile": profile.id,
            "member": {"name": m.name, "membership_number": m.membership_number, "grade": m.grade,
                       "status": m.status.value, "registration": m.registration},
            "period": {"start": record.period.start.isoformat(), "end": record.period.end.isoformat()},
            "objectives": {"columns": OBJECTIVE_FIELDS, "rows": objectives},
            "activities": {"columns": ACTIVITY_FIELDS, "rows": activities}}


def rows_as_dicts(table: dict) -> list[dict]:
    """A stored table's rows as one dict per row (for pages and exports that want names)."""
    return [dict(zip(table["columns"], row)) for row in table["rows"]]


def pack(data: dict) -> bytes:
    """Compact JSON, gzipped (what is stored, and the delivery body's encoding)."""
    return gzip.compress(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
                         compresslevel=6, mtime=0)


def unpack(blob: bytes) -> dict:
    return json.loads(gzip.decompress(blob))
