"""Members' records: one per period and profile, each upload or sheet pull that changed it a new version.

A version keeps the record as data (``addin.record_data``) with its readiness then; checking a
record again reads that data back through the core's intake (``addin.record_from_data``) and
scores it with the current rules. Nothing here is sent anywhere: a submission is made from a
record's current version by ``submissions.store``.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from addin import Annotation as Note
from addin import GridRead, Profile, Record, assess, pack, record_data, record_from_data, unpack

from .models import Annotation, CpdRecord, RecordVersion, iso_utc, utcnow

FORMER_MENTOR = "a former mentor"


@dataclass
class Prepared:
    """A record read and scored, ready to store: what a version and a submission are made of."""
    record: Record
    profile: Profile
    data: dict                        # addin.record_data
    readiness: dict                   # the engine's result, as ``cpd check --json`` gives it
    digest: str                       # of ``data``: the same record, the same digest

    @property
    def verdict(self) -> str:
        return self.readiness["verdict"]

    @property
    def score(self) -> int:
        return self.readiness["score"]


def data_digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, separators=(",", ":"), ensure_ascii=False,
                                     sort_keys=True).encode("utf-8")).hexdigest()


def prepare(read: GridRead) -> Prepared:
    """The read record, scored (raises the reader's CpdError/InvalidRecord for a record that cannot be used)."""
    record = read.require()
    data = record_data(record, read.profile)
    return Prepared(record, read.profile, data, assess(record, read.profile).to_dict(), data_digest(data))


def find_or_create(session: Session, member_id: int, profile_id: str, start: date, end: date) -> CpdRecord:
    """The member's record for the period and profile, made if new, and locked until the caller's
    transaction ends (so that two uploads at once number their versions one after the other). Two
    requests making the same record at once are settled by its unique constraint."""
    query = (select(CpdRecord).where(CpdRecord.member_id == member_id, CpdRecord.profile_id == profile_id,
                                     CpdRecord.period_start == start, CpdRecord.period_end == end)
             .with_for_update())
    rec = session.scalar(query)
    if rec is None:
        try:
            with session.begin_nested():
                rec = CpdRecord(public_id="rec_" + secrets.token_urlsafe(9), member_id=member_id,
                                profile_id=profile_id, period_start=start, period_end=end, source="upload")
                session.add(rec)
        except IntegrityError:           # another request made it first: wait for its lock
            rec = session.scalar(query)
    return rec


def latest(session: Session, record_id: int) -> RecordVersion | None:
    return session.scalar(select(RecordVersion).where(RecordVersion.record_id == record_id)
                          .order_by(RecordVersion.number.desc()).limit(1))


def save_version(session: Session, member_id: int, prep: Prepared, sheet_id: int | None = None
                 ) -> tuple[CpdRecord, RecordVersion, bool]:
    """Keep ``prep`` as the newest version of the member's record (inside the caller's transaction).
    The same data as the newest version adds nothing (created False)."""
    rec = find_or_create(session, member_id, prep.profile.id, prep.record.period.start, prep.record.period.end)
    if sheet_id is not None:
        rec.source, rec.sheet_id = "sheet", sheet_id
    last = latest(session, rec.id)
    if last is not None and last.digest == prep.digest:
        return rec, last, False
    version = RecordVersion(record_id=rec.id, number=(last.number if last else 0) + 1, digest=prep.digest,
                            verdict=prep.verdict, score=prep.score, created_at=utcnow(),
                            body=pack({"record": prep.data, "readiness": prep.readiness}))
    session.add(version)
    rec.updated_at = version.created_at
    session.flush()
    return rec, version, True


def contents(version: RecordVersion) -> dict:
    """{"record": record data, "readiness": readiness} of a stored version."""
    return unpack(version.body)


def reassess(version: RecordVersion) -> Prepared:
    """The version's record scored again with the rules as they are now."""
    data = contents(version)["record"]
    record, profile = record_from_data(data)
    return Prepared(record, profile, data, assess(record, profile).to_dict(), version.digest)


def author_name(a: Annotation) -> str:
    return a.author.shown_name if a.author is not None else FORMER_MENTOR


def notes(annotations) -> list[Note]:
    """The record's annotations as the core's notes (what the workbook and the sheet are written from)."""
    return [Note(author_name(a), a.created_at, a.comment, a.verified, a.activity_row, a.objective)
            for a in annotations]


def annotation_dict(a: Annotation) -> dict:
    return {"id": a.public_id, "activity_row": a.activity_row, "objective": a.objective, "comment": a.comment,
            "verified": a.verified, "author": author_name(a), "created_at": iso_utc(a.created_at)}


def delivery_annotations(record: Record, annotations) -> dict:
    """The mentors' verifications and comments for the delivery document (docs/delivery-protocol.md):
    only those on activities and objectives the record still has."""
    rows = {a.row for a in record.activities}
    refs = {o.ref for o in record.objectives}
    kept = [a for a in annotations if (a.activity_row in rows if a.activity_row is not None
                                       else a.objective in refs if a.objective else True)]
    return {"verifications": {"columns": ["activity_row", "verified_by", "verified_at"],
                              "rows": [[a.activity_row, author_name(a), iso_utc(a.created_at)]
                                       for a in kept if a.verified]},
            "mentor_comments": {"columns": ["activity_row", "objective", "author", "written_at", "comment"],
                                "rows": [[a.activity_row, a.objective, author_name(a), iso_utc(a.created_at),
                                          a.comment] for a in kept if a.comment]}}


def summary(rec: CpdRecord, version: RecordVersion | None) -> dict:
    """A record as the API lists it."""
    return {"id": rec.public_id, "profile": rec.profile_id, "period": {"start": rec.period_start.isoformat(),
                                                                       "end": rec.period_end.isoformat()},
            "source": rec.source, "version": version.number if version else None,
            "verdict": version.verdict if version else None, "score": version.score if version else None,
            "updated_at": iso_utc(rec.updated_at)}
