"""A record as data: the compact JSON form the service stores and delivers to the institution.

Tables are columns and rows (one list per activity, no per-cell objects), values as the
template's cells show them (labels, not ids; lists as "B2, E4"), dates as ISO 8601. The
shape is versioned (``RECORD_VERSION``) and described in docs/delivery-protocol.md; columns and
keys are only ever added (each activity's sheet ``row`` came last, so annotations can name it). Drafts
(activities not yet confirmed) are a table of their own, ``drafts``, present only when there are any: a
receiver that reads ``activities`` never counts one.

``record_from_data`` reads the data back into a record through the same intake as every grid, so
a stored record can be checked again, or written out as a workbook, without its file.
"""
from __future__ import annotations

import gzip
import json
from datetime import date
from typing import Any, cast

from .columns import from_mappings
from .errors import InvalidRecord
from .export import COLUMNS, activity_columns, activity_labels
from .intake import build_record
from .model import Activity, Record
from .profile import Profile, load_profile
from .form.layout import DRAFT, PLAN_HEADER_ROW, TABLE_HEADER_ROW
from .values import Cell

try:                          # the service's JSON library, when installed (it comes with [service]): 15x faster
    import orjson
except ImportError:           # a member's install: the standard library, the same JSON
    orjson = None             # type: ignore[assignment]

try:                          # ISA-L's gzip (isal, installed with the core where it has wheels): the same format,
    from isal import igzip    # a 47 KB record packed in 66 us against zlib's 143, and 2% smaller
    _gzip: Any = igzip
except ImportError:
    _gzip = gzip

RECORD_VERSION = 2
ADDED_AFTER_ROW = ["location", "instructor", "bodies"]     # added within version 2, after `row` (at the end)
ACTIVITY_FIELDS = [f for f, _ in COLUMNS if f not in ADDED_AFTER_ROW and f != "status"] + ["row"] + ADDED_AFTER_ROW
# (an activity's Status is which table it is in: ``activities`` or ``drafts``)
MEMBER_FIELDS = ("name", "membership_number", "grade", "registration")
# added to `member` within version 2 (a receiver that ignores what it does not know reads on unchanged)
MEMBER_ADDED = ("carried_over", "leave_days", "declared_on", "job_summary", "practice_areas", "academic",
                "audit_statement")
OBJECTIVE_FIELDS = ["ref", "objective", "why", "competences", "target_date", "status", "evaluation"]


def _plain(value: Cell) -> Cell:
    return value.isoformat() if isinstance(value, date) else value


def _plain_column(values: list[Cell]) -> list[Cell]:
    """``_plain`` of each value: each distinct date written once; the column itself when it holds no date."""
    if not any(issubclass(t, date) for t in set(map(type, values))):
        return values
    return list(map({v: _plain(v) for v in set(values)}.__getitem__, values))


def record_data(record: Record, profile: Profile) -> dict[str, Any]:
    """The record as JSON-ready data: member, period, profile, and the plan and activities as tables."""
    m = record.member
    labels = activity_labels(profile)
    objectives = [[o.ref, o.objective, o.why, ", ".join(o.competences) or None, _plain(o.target_date), o.status,
                   o.evaluation] for o in record.objectives]
    def table(acts: tuple[Activity, ...]) -> list[list[Cell]]:
        columns = activity_columns(acts, profile, labels)
        columns["row"] = [a.row for a in acts]
        return list(map(list, zip(*(_plain_column(columns[f]) for f in ACTIVITY_FIELDS))))
    drafts = {"drafts": {"columns": ACTIVITY_FIELDS, "rows": table(record.drafts)}} if record.drafts else {}
    return {"version": RECORD_VERSION, "profile": profile.id,
            "member": {"name": m.name, "membership_number": m.membership_number, "grade": m.grade,
                       "status": m.status.value, "registration": m.registration, "carried_over": m.carried_over,
                       "leave_days": m.leave_days, "declared_on": _plain(m.declared_on),
                       "job_summary": m.job_summary, "practice_areas": ", ".join(m.practice_areas) or None,
                       "academic": m.academic, "audit_statement": m.audit_statement},
            "period": {"start": record.period.start.isoformat(), "end": record.period.end.isoformat()},
            "objectives": {"columns": OBJECTIVE_FIELDS, "rows": objectives},
            "activities": {"columns": ACTIVITY_FIELDS, "rows": table(record.activities)}, **drafts}


NO_ROWS: dict[str, Any] = {"columns": [], "rows": []}     # a table with nothing in it (a document without drafts)


def rows_as_dicts(table: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored table's rows as one dict per row (for pages and exports that want names)."""
    return [dict(zip(table["columns"], row)) for row in table["rows"]]


def record_from_data(data: dict[str, Any], profile: Profile | None = None) -> tuple[Record, Profile]:
    """The record that ``record_data`` gave ``data``, read back through the intake (every value checked
    again, so stored data is trusted no more than a sheet). Documents made before activities carried
    their ``row`` number them from the template's first table row. Raises InvalidRecord."""
    profile = profile or load_profile(data["profile"])
    member = data.get("member") or {}
    header = {f: member.get(f) for f in MEMBER_FIELDS}
    header.update(status=member.get("status") or "active",
                  carried_over=member.get("carried_over"), leave_days=member.get("leave_days"),
                  declared_on=member.get("declared_on"), job_summary=member.get("job_summary"),
                  practice_areas=member.get("practice_areas"), academic=member.get("academic"),
                  audit_statement=member.get("audit_statement"),
                  period_start=(data.get("period") or {}).get("start"),
                  period_end=(data.get("period") or {}).get("end"))
    plan = list(enumerate(rows_as_dicts(data["objectives"]), PLAN_HEADER_ROW + 1))
    rows = []
    for i, raw in enumerate(rows_as_dicts(data["activities"]), TABLE_HEADER_ROW + 1):
        row = raw.pop("row", None)
        rows.append((row if isinstance(row, int) else i, {k: v for k, v in raw.items() if v is not None}))
    for raw in rows_as_dicts(data.get("drafts") or NO_ROWS):
        row = raw.pop("row", None)
        if isinstance(row, int):
            rows.append((row, {k: v for k, v in raw.items() if v is not None} | {"status": DRAFT}))
    record, problems = build_record({k: v for k, v in header.items() if v is not None}, plan, from_mappings(rows),
                                    profile)
    if problems or record is None:
        raise InvalidRecord("invalid_record", "the stored record cannot be read back", problems)
    return record, profile


def dumps(data: dict[str, Any]) -> bytes:
    """Compact JSON as UTF-8 bytes: the one serialisation of a record (its digest and its packed form). By
    orjson where it is installed (a real 40-activity record in 0.02 ms against 0.29), else the standard
    library: the same bytes, but for a float under 0.0001 or from 1e16 (``1e-05`` is ``0.00001``), the
    same number either way. What orjson will not write (a key not text, an integer past 64 bits) the standard
    library writes."""
    if orjson is not None:
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            pass
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def merged(*objects: bytes) -> bytes:
    """The JSON objects (``dumps`` of each, none empty) as one object with their keys in turn: what
    ``dumps`` gives their merged dict, without serialising the large one again."""
    return b"{" + b",".join(o[1:-1] for o in objects) + b"}"


def pack(data: dict[str, Any] | bytes) -> bytes:
    """Compact JSON (a dict, or its ``dumps`` bytes), gzipped: what is stored, and the delivery body's
    encoding. Level 1: on a real 40-activity record 0.2 ms against level 6's 0.9 ms, for 11% more bytes (zlib's;
    ISA-L's level 1, used where installed, 0.07 ms)."""
    raw = data if isinstance(data, bytes) else dumps(data)
    return cast(bytes, _gzip.compress(raw, compresslevel=1, mtime=0))


def unpack(blob: bytes) -> dict[str, Any]:
    data = json.loads(_gzip.decompress(blob))
    if not isinstance(data, dict):
        raise ValueError("a packed record is a JSON object")
    return data


def json_bytes(blob: bytes) -> bytes:
    """A packed document's JSON, as bytes (what is delivered and signed)."""
    return cast(bytes, _gzip.decompress(blob))
