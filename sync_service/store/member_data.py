"""Everything stored about a member, for their data export: their account and tokens (never a token
itself), their submissions as delivered, their linked sheets, their records with every version and
the annotations on them, their mentors, their audit trail, and what they wrote as a mentor."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from addin import rows_as_dicts

from .annotations import annotation_dict
from .mentoring import grant_dict, grants_of, trail
from .models import Annotation, ApiToken, CpdRecord, Member, RecordVersion, Submission, iso_utc
from .records import contents
from .submissions import document


def export(session: Session, member: Member) -> dict:
    subs = session.scalars(select(Submission).options(joinedload(Submission.delivery))
                           .where(Submission.member_id == member.id)).all()
    tokens = session.scalars(select(ApiToken).where(ApiToken.member_id == member.id)).all()
    return {"member": {"id": member.public_id, "email": member.email, "created_at": iso_utc(member.created_at)},
            "tokens": [{"prefix": t.prefix, "created_at": iso_utc(t.created_at),
                        "last_used_at": t.last_used_at and iso_utc(t.last_used_at),
                        "revoked_at": t.revoked_at and iso_utc(t.revoked_at)} for t in tokens],
            "submissions": [{"id": x.id, "received_at": iso_utc(x.received_at), "profile": x.profile_id,
                             "status": x.delivery.status, "receipt_id": x.delivery.receipt_id,
                             **_record_of(document(x))} for x in subs],
            "linked_sheets": [{"key": x.sheet_key, "title": x.title, "linked_at": iso_utc(x.created_at)}
                              for x in member.sheets],
            **_records_and_mentoring(session, member.id)}


def _record_of(doc: dict) -> dict:
    """A stored document's record and readiness, with the tables as one object per row (for people)."""
    return {"record": {"member": doc["member"], "period": doc["period"],
                       "objectives": rows_as_dicts(doc["objectives"]), "activities": rows_as_dicts(doc["activities"])},
            "readiness": doc["readiness"]}


def _records_and_mentoring(session: Session, member_id: int) -> dict:
    records = session.scalars(select(CpdRecord).where(CpdRecord.member_id == member_id).order_by(CpdRecord.id)).all()
    out_records = []
    for r in records:
        versions = session.scalars(select(RecordVersion).where(RecordVersion.record_id == r.id)
                                   .order_by(RecordVersion.number)).all()
        notes = session.scalars(select(Annotation).options(joinedload(Annotation.author))
                                .where(Annotation.record_id == r.id).order_by(Annotation.id)).all()
        out_records.append({"id": r.public_id, "profile": r.profile_id, "source": r.source,
                            "period": {"start": r.period_start.isoformat(), "end": r.period_end.isoformat()},
                            "versions": [{"number": v.number, "created_at": iso_utc(v.created_at), **contents(v)}
                                         for v in versions],
                            "annotations": [annotation_dict(a) for a in notes]})
    written = session.scalars(select(Annotation).options(joinedload(Annotation.author))
                              .where(Annotation.author_id == member_id).order_by(Annotation.id)).all()
    return {"records": out_records, "mentors": [grant_dict(g) for g in grants_of(session, member_id)],
            "audit": trail(session, member_id, limit=100_000),
            "annotations_written": [annotation_dict(a) for a in written]}
