"""Members' records: one per period and profile, each upload or sheet pull that changed it a new version.

A version keeps the record as data (``addin.record_data``) with its readiness then; checking a
record again reads that data back through the core's intake (``addin.record_from_data``) and
scores it with the current rules. Nothing here is sent anywhere: a submission is made from a
record's current version by ``submissions.store``.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, object_session

from addin import GridRead, Profile, Record, assess, dumps, merged, pack, record_data, record_from_data, unpack

from .database import writing
from .driver import direct
from .models import Annotation, CpdRecord, RecordVersion, Submission, iso_utc, table, utcnow



@dataclass
class Prepared:
    """A record read and scored, ready to store: what a version and a submission are made of."""
    record: Record
    profile: Profile
    data: dict                        # addin.record_data
    readiness: dict                   # the engine's result, as ``cpd check --json`` gives it
    digest: str                       # of ``data``: the same record, the same digest
    json: bytes = b""                 # ``data`` serialised (addin.dumps), once: digest, version and document

    def __post_init__(self) -> None:
        if not self.json:
            self.json = dumps(self.data)

    @property
    def verdict(self) -> str:
        return self.readiness["verdict"]

    @property
    def score(self) -> int:
        return self.readiness["score"]


def data_digest(data: dict | bytes) -> str:
    """The record data's SHA-256, of its ``dumps`` (given, or made here; ``record_data`` builds it in a fixed
    order: the same record, the same digest)."""
    return hashlib.sha256(data if isinstance(data, bytes) else dumps(data)).hexdigest()


def prepare(read: GridRead) -> Prepared:
    """The read record, scored (raises the reader's CpdError/InvalidRecord for a record that cannot be used)."""
    record = read.require()
    data = record_data(record, read.profile)
    raw = dumps(data)
    return Prepared(record, read.profile, data, assess(record, read.profile).to_dict(), data_digest(raw), raw)


@dataclass(frozen=True)
class Kept:
    """Where ``keep`` put a record: its row id, and whether a version was added."""
    record_id: int
    created: bool


def _upsert(dialect: str):
    """INSERT the member's record for a period and profile, or touch it if it exists; either way the row
    is locked until the transaction ends and its id and newest version come back (one statement, the
    hot path of every upload)."""
    records = table(CpdRecord)
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(records)
    stmt = insert.values({c: bindparam(c) for c in ("public_id", "member_id", "profile_id", "period_start",
                                                     "period_end", "source", "latest_version", "created_at",
                                                     "updated_at")})
    stmt = stmt.on_conflict_do_update(index_elements=["member_id", "profile_id", "period_start", "period_end"],
                                      set_={"updated_at": stmt.excluded.updated_at})
    return stmt.returning(records.c.id, records.c.public_id, records.c.latest_version, records.c.digest)


UPSERT = {d: _upsert(d) for d in ("postgresql", "sqlite")}
INSERT_VERSION = table(RecordVersion).insert().inline()      # no RETURNING of the id: nothing reads it
BUMP = (update(table(CpdRecord)).where(table(CpdRecord).c.id == bindparam("rid"))
        .values(latest_version=bindparam("number"), digest=bindparam("new_digest")))


def lock(conn: Connection, member_id: int, prep: Prepared, *, sheet_id: int | None = None,
         now: datetime | None = None):
    """The member's record for the prepared record's period and profile (made if new), locked until the
    caller's transaction ends: a row of (id, public_id, latest_version, digest)."""
    now = now or utcnow()
    row, = direct(conn, UPSERT[conn.dialect.name], {
        "public_id": "rec_" + secrets.token_urlsafe(9), "member_id": member_id, "profile_id": prep.profile.id,
        "period_start": prep.record.period.start, "period_end": prep.record.period.end, "source": "upload",
        "latest_version": 0, "created_at": now, "updated_at": now})
    if sheet_id is not None:
        conn.execute(update(table(CpdRecord)).where(table(CpdRecord).c.id == row.id)
                     .values(source="sheet", sheet_id=sheet_id))
    return row


def add_version(conn: Connection, row, prep: Prepared, *, submission_id: str | None = None,
                now: datetime | None = None) -> Kept:
    """Add ``prep`` as the newest version of the locked record ``row`` unless the newest holds the same data.
    A version made by a submission (``submission_id``) is read from its document; any other keeps its data."""
    if row.digest == prep.digest:
        return Kept(row.id, False)
    number = row.latest_version + 1
    if row.latest_version:
        follow_activities(conn, row.id, prep.record)
    direct(conn, INSERT_VERSION, {"record_id": row.id, "number": number, "digest": prep.digest,
                                  "verdict": prep.verdict, "score": prep.score, "created_at": now or utcnow(),
                                  "submission_id": submission_id,
                                  "body": None if submission_id else pack(
                                      merged(b'{"record":' + prep.json + b"}", dumps({"readiness": prep.readiness})))})
    direct(conn, BUMP, {"rid": row.id, "number": number, "new_digest": prep.digest})
    return Kept(row.id, True)


def keep(conn: Connection, member_id: int, prep: Prepared, *, sheet_id: int | None = None) -> Kept:
    """Keep ``prep`` as the newest version of the member's record, inside the caller's transaction (two
    uploads at once number their versions one after the other)."""
    return add_version(conn, lock(conn, member_id, prep, sheet_id=sheet_id), prep)


def save_version(session: Session, member_id: int, prep: Prepared, sheet_id: int | None = None
                 ) -> tuple[CpdRecord, RecordVersion, bool]:
    """``keep`` for a request that shows the record afterwards: the record and its newest version as objects,
    and whether a version was added. Committed."""
    kept = keep(writing(session).connection(), member_id, prep, sheet_id=sheet_id)
    session.commit()
    rec = session.get_one(CpdRecord, kept.record_id, populate_existing=True)
    version = latest(session, rec.id)
    assert version is not None                 # keep() has just added or found one
    return rec, version, kept.created


def find(session: Session, member_id: int, profile_id: str, start: date, end: date) -> CpdRecord | None:
    """The member's record for this profile and period, if the service has one."""
    return session.scalar(select(CpdRecord).where(CpdRecord.member_id == member_id, CpdRecord.profile_id == profile_id,
                                                  CpdRecord.period_start == start, CpdRecord.period_end == end))


def latest(session: Session, record_id: int) -> RecordVersion | None:
    return session.scalar(select(RecordVersion).where(RecordVersion.record_id == record_id)
                          .order_by(RecordVersion.number.desc()).limit(1))


DELIVERY_ONLY = ("type", "id", "received_at", "readiness", "verifications", "mentor_comments")


def contents(version: RecordVersion) -> dict:
    """{"record": record data, "readiness": readiness} of a stored version (from its submission's document
    when a submission made it)."""
    if version.body is not None:
        return unpack(version.body)
    session = object_session(version)
    assert session is not None
    body = session.scalar(select(Submission.body).where(Submission.id == version.submission_id))
    if body is None:
        raise ValueError(f"version {version.id} has no stored contents")
    doc = unpack(body)
    return {"record": {k: v for k, v in doc.items() if k not in DELIVERY_ONLY}, "readiness": doc["readiness"]}


def record_of(version: RecordVersion) -> tuple[Record, Profile]:
    """The version's record and its profile, read back through the intake (raises InvalidRecord)."""
    return record_from_data(contents(version)["record"])


def reassess(version: RecordVersion) -> Prepared:
    """The version's record scored again with the rules as they are now."""
    data = contents(version)["record"]
    record, profile = record_from_data(data)
    return Prepared(record, profile, data, assess(record, profile).to_dict(), version.digest)


EMPTY_DATA: dict = {"member": {}, "objectives": {"columns": [], "rows": []}, "activities": {"columns": [], "rows": []}}


@dataclass(frozen=True)
class Snapshot:
    """A record's newest version as the pages and the API show it (empty tables before any version)."""
    version: RecordVersion | None
    data: dict
    readiness: dict | None


def snapshot(session: Session, rec: CpdRecord) -> Snapshot:
    version = latest(session, rec.id)
    if version is None:
        return Snapshot(None, EMPTY_DATA, None)
    body = contents(version)
    return Snapshot(version, body["record"], body["readiness"])


def activity_key(start_date, title) -> str:
    """Which activity an annotation is on, whatever row it moves to: its start date and title."""
    text = f"{start_date}|{' '.join(str(title or '').lower().split())}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def rows_by_key(record: Record) -> dict[str, int]:
    """Each activity's key -> its row (an activity that appears twice keeps its first row)."""
    keys: dict[str, int] = {}
    for a in sorted(record.activities, key=lambda a: a.row):
        keys.setdefault(activity_key(a.start_date.isoformat(), a.title), a.row)
    return keys


def keys_by_row(data: dict, table_name: str = "activities") -> dict[int, str]:
    """Each activity's row -> its key, in stored record data (none for data stored before rows were);
    ``table_name`` "drafts" for the drafts' (none when the data has no drafts)."""
    table = data.get(table_name) or {"columns": [], "rows": []}
    cols = table["columns"]
    if "row" not in cols:
        return {}
    at, start, title = cols.index("row"), cols.index("start_date"), cols.index("title")
    return {r[at]: activity_key(r[start], r[title]) for r in table["rows"]}


ANCHORED = (select(Annotation.id, Annotation.activity_key, Annotation.activity_row)
            .where(Annotation.record_id == bindparam("rid"), Annotation.activity_key.is_not(None)))
MOVE = (update(table(Annotation)).where(table(Annotation).c.id == bindparam("aid"))
        .values(activity_row=bindparam("new_row")))


def follow_activities(conn: Connection, record_id: int, record: Record) -> int:
    """Move the record's annotations to the rows their activities are on in ``record`` (a new version);
    how many moved. An activity no longer found leaves its annotation where it was."""
    anchored = conn.execute(ANCHORED, {"rid": record_id}).all()
    if not anchored:
        return 0
    keys = rows_by_key(record)
    moves = [{"aid": a.id, "new_row": keys[a.activity_key]} for a in anchored
             if a.activity_key in keys and keys[a.activity_key] != a.activity_row]
    if moves:
        conn.execute(MOVE, moves)
    return len(moves)


def summary(rec: CpdRecord, version: RecordVersion | None) -> dict:
    """A record as the API lists it."""
    return {"id": rec.public_id, "profile": rec.profile_id, "period": {"start": rec.period_start.isoformat(),
                                                                       "end": rec.period_end.isoformat()},
            "source": rec.source, "version": version.number if version else None,
            "verdict": version.verdict if version else None, "score": version.score if version else None,
            "updated_at": iso_utc(rec.updated_at)}
