"""Submissions: a member's record, read and scored, kept as the newest version of their record for its
period and profile, and stored as the compact delivery document the institution will receive
(docs/delivery-protocol.md), with its delivery queued in the outbox, in one short transaction. The
contract the API offers is in docs/submission-api.md.

The workbook is read and scored by the core before any write transaction opens. The
Idempotency-Key (or the file's SHA-256) makes a double click, a retry or two racing identical uploads
one submission; the same key with another file is refused (Conflict).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from addin import CpdError, GridRead, dumps, merged, pack, read_workbook, unpack

from ..errors import BadRequest, Conflict, Limited, from_core
from . import stats
from .accounts import touch
from .annotations import annotations_of, delivery_annotations
from .database import writing
from .driver import direct, pipelined
from .models import Annotation, Delivery, JobStatus, RateEvent, Submission, iso_utc, table, utcnow
from .outbox import enqueue
from .records import Prepared, add_version, latest, lock, prepare, reassess

KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
INSERT_SUBMISSION = table(Submission).insert().inline()   # Core, compiled once: the hot path (inline: no RETURNING)


@dataclass(frozen=True)
class Limits:
    """How many submissions a member may make a minute (refused ones count too), and the key and window
    under which their refused uploads are counted (``throttle``: a database limiter)."""
    per_minute: int
    refused_key: str                  # as the database limiter stores it (``throttle.stored_key``)
    count_refusal: Callable[[], object]          # count one refused upload


@dataclass(frozen=True)
class Caller:
    """Who submits, and the token to note as used with the submission's own write (None: nothing to note)."""
    id: int
    public_id: str
    touch_token: int | None = None


def receipt(sub: Submission) -> dict:
    delivery = sub.delivery
    return {"id": sub.id, "status": delivery.status if delivery else JobStatus.QUEUED,
            "received_at": iso_utc(sub.received_at),
            "receipt_id": delivery.receipt_id if delivery else None, "verdict": sub.verdict, "score": sub.score,
            "profile": sub.profile_id}


def document(sub: Submission) -> dict:
    """The stored delivery document: the record (member, period, plan and activities as tables) and
    its readiness, as the institution receives it."""
    return unpack(sub.body)


def find(session: Session, member_id: int, sub_id: str) -> Submission | None:
    """The member's submission; another member's is as unknown as a missing one."""
    return session.scalar(select(Submission).options(joinedload(Submission.delivery))
                          .where(Submission.id == sub_id, Submission.member_id == member_id))


def _existing(session: Session, member_id: int, key: str) -> Submission | None:
    """The member's submission made with this idempotency key, if there is one (with its delivery)."""
    return session.scalar(select(Submission).options(joinedload(Submission.delivery))
                          .where(Submission.member_id == member_id, Submission.idempotency_key == key))


def _lookup_statement():
    mine = Submission.member_id == bindparam("member_id")
    found = select(Submission.id).where(mine, Submission.idempotency_key == bindparam("key"))
    recent = select(func.count()).where(mine, Submission.received_at > bindparam("since"))
    refused = select(func.count()).where(RateEvent.key == bindparam("refused_key"), RateEvent.at > bindparam("epoch"))
    return select(found.scalar_subquery(), recent.scalar_subquery(), refused.scalar_subquery())


LOOKUP = _lookup_statement()          # built once: every upload runs it


def _lookup(session: Session, member_id: int, key: str, refused_key: str) -> tuple[str | None, int, int]:
    """In one query: the id of the member's submission with this key, if any, how many they made in the last
    minute, and how many of their uploads were refused in it."""
    now = utcnow()
    (found, recent, refused), = direct(session.connection(), LOOKUP, {
        "member_id": member_id, "key": key, "since": now - timedelta(minutes=1), "refused_key": refused_key,
        "epoch": now.timestamp() - 60})
    return found, recent, refused


def accept(session: Session, member: Caller, data: bytes, key: str | None, limits: Limits,
           prepared: Prepared | None = None, read: Callable[[bytes], GridRead] = read_workbook
           ) -> tuple[Submission, bool]:
    """Store a submission for the member (the API and the upload page both come here): ``data`` read by
    ``read`` (a workbook file; or the ranges a Google Sheet sends); ``prepared``: already read and scored
    by the caller.

    Returns (submission, created); raises a ServiceError for anything that cannot be accepted."""
    if not data:
        raise BadRequest("empty_body", "send the workbook file (.xlsx) as the request body")
    digest = hashlib.sha256(data).hexdigest()
    key = key or digest
    if not KEY_RE.match(key):
        raise BadRequest("bad_idempotency_key", "Idempotency-Key must be 8 to 128 letters, digits or . _ : -")
    return store(session, member, key, digest, lambda: prepared or prepare(read(data)), limits)


def store(session: Session, member: Caller, key: str, digest: str, prepare: Callable[[], Prepared], limits: Limits,
          sheet_id: int | None = None) -> tuple[Submission, bool]:
    """The member's submission for this idempotency key: the earlier one (created False), or the record
    ``prepare`` gives (read and scored), kept as the newest version of the member's record for its period
    and profile and stored as a submission with its delivery queued (created True). The document delivered
    carries the record's mentor verifications and comments.

    The database is only asked twice: one query for an earlier submission and the rate, and the writes, sent
    together (``pipelined``: on PostgreSQL one round trip after the record's lock). Reading and scoring happen
    between them. On SQLite the read transaction ends before them (its write lock is not held, nor waited
    for, while a large workbook is read); on PostgreSQL it goes on into the writes, holding no lock a writer
    waits for and no snapshot between statements (READ COMMITTED): a BEGIN and a COMMIT fewer. Raises Limited for a
    member over the rate limit, Conflict for a key reused for another file, and the reader's error for a
    record that cannot be used."""
    found_id, recent, refused = _lookup(session, member.id, key, limits.refused_key)
    if session.connection().dialect.name == "sqlite":
        session.commit()              # ends the read transaction before the work (see above)
    if found_id is not None:
        return _earlier(session, member, key, digest)
    if recent + refused >= limits.per_minute:
        raise Limited("rate_limited", f"at most {limits.per_minute} submissions a minute; try again shortly", 60)
    try:
        prep = prepare()
    except CpdError as exc:
        limits.count_refusal()
        raise from_core(exc) from None
    sub_id, received = "sub_" + secrets.token_urlsafe(12), utcnow()
    head = dumps({"type": "cpd.submission", "id": sub_id, "received_at": iso_utc(received)})
    made = delivery_annotations(prep.record, [])
    body = _document(head, prep, made)     # packed before the write begins: no writer queues behind it
    for attempt in range(2):          # one retry: a racing request made the member's record first
        try:                          # one short write: the record, the submission, its delivery, the version
            conn = writing(session).connection()
            rec = lock(conn, member.id, prep, sheet_id=sheet_id, now=received)
            if rec.latest_version:    # the record's mentors may have verified or commented: the document says so
                annotated = delivery_annotations(prep.record, annotations_of(session, rec.id))
                if annotated != made:
                    made, body = annotated, _document(head, prep, annotated)
            row = {"id": sub_id, "member_id": member.id, "idempotency_key": key, "digest": digest,
                   "record_id": rec.id, "profile_id": prep.profile.id, "period_start": prep.record.period.start,
                   "period_end": prep.record.period.end, "verdict": prep.verdict, "score": prep.score,
                   "body": body, "received_at": received, "latest": True,
                   **stats.submission_columns(prep.record.member.grade, prep.record.period.end, prep.readiness)}
            with pipelined(conn):     # the writes sent at once
                direct(conn, INSERT_SUBMISSION, row)
                stats.keep(conn, row, prep.readiness, earlier=bool(rec.latest_version))   # the group view's figures
                enqueue(conn, "delivery", submission_id=sub_id, now=received)
                add_version(conn, rec, prep, submission_id=sub_id, now=received)
                if member.touch_token is not None:
                    touch(session, member.touch_token)
            session.commit()
            break
        except IntegrityError:        # an identical upload won the race: answer with its submission
            session.rollback()
            if _existing(session, member.id, key) is not None or attempt:
                return _earlier(session, member, key, digest)
    sub = Submission(**row)
    sub.delivery = Delivery(status=JobStatus.QUEUED, attempts=0, receipt_id=None)
    return sub, True


def _document(head: bytes, prep: Prepared, annotations: dict) -> bytes:
    """The stored delivery document: the submission's head, the record's data, its readiness and the mentors'
    verifications and comments, packed."""
    return pack(merged(head, prep.json, dumps({"readiness": prep.readiness, **annotations})))


def from_record(session: Session, member: Caller, record, limits: Limits) -> tuple[Submission, bool]:
    """A submission made from the record's newest version, scored with the rules as they are now, with its
    mentors' verifications and comments. The same version with the same annotations is the same submission."""
    version = latest(session, record.id)
    if version is None:
        raise Conflict("no_version", "the record has no version yet")
    marks = ",".join(f"{a}:{int(v)}" for a, v in session.execute(
        select(Annotation.public_id, Annotation.verified).where(Annotation.record_id == record.id)
        .order_by(Annotation.id)).all())
    digest = hashlib.sha256(f"{version.digest}|{marks}".encode()).hexdigest()
    return store(session, member, f"record:{digest[:48]}", digest, lambda: reassess(version), limits)


def _earlier(session: Session, member: Caller, key: str, digest: str) -> tuple[Submission, bool]:
    """The member's earlier submission with this key, when it was made from the same file (Conflict otherwise)."""
    found = _existing(session, member.id, key)
    session.commit()
    if found is None:
        raise RuntimeError("a submission's idempotency key clashed but none was found")
    if found.digest != digest:
        raise Conflict("idempotency_key_reused", "this Idempotency-Key was used for another file; use a new key "
                       "for a new submission", submission=found.id)
    return found, False
