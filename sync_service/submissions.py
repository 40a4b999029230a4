"""POST /api/v1/submissions and GET /api/v1/submissions/<id>: the contract in docs/submission-api.md.

A submission is the workbook file. It is read with the same hardened reader as ``cpd check`` and
scored by the core engine before any write transaction opens; then it is kept as the newest version
of the member's record for its period and profile, and stored as the compact delivery document the
institution will receive (docs/delivery-protocol.md), with its delivery queued, in the same short
transaction. The Idempotency-Key (or the file's SHA-256) makes a double
click, a retry or two racing identical uploads one submission; the same key with another file is
refused (409).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.exc import IntegrityError

from addin import CpdError, InvalidRecord, pack, read_workbook, unpack

from . import db, stats
from .accounts import require_token, touch
from .throttle import database_throttle, stored_key
from .models import Annotation, Delivery, RateEvent, Submission, iso_utc, utcnow
from .records import Prepared, add_version, annotations_of, delivery_annotations, latest, lock, prepare, reassess

bp = Blueprint("submissions", __name__, url_prefix="/api/v1/submissions")
KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
STATUS_FOR = {"file_too_large": 413, "invalid_record": 422}
INSERT_SUBMISSION = Submission.__table__.insert()          # Core statements, compiled once: the hot path
INSERT_DELIVERY = Delivery.__table__.insert()


def _error(status: int, code: str, message: str, **extra):
    return jsonify(error={"code": code, "message": message, **extra}), status


def receipt(sub: Submission) -> dict:
    delivery = sub.delivery
    return {"id": sub.id, "status": delivery.status if delivery else "queued",
            "received_at": iso_utc(sub.received_at),
            "receipt_id": delivery.receipt_id if delivery else None, "verdict": sub.verdict, "score": sub.score,
            "profile": sub.profile_id}


def document(sub: Submission) -> dict:
    """The stored delivery document: the record (member, period, plan and activities as tables) and
    its readiness, as the institution receives it."""
    return unpack(sub.body)


def read_body() -> bytes:
    """The request body, whole. Over ``MAX_CONTENT_LENGTH`` it is refused (413) however it is sent: with a
    Content-Length, or chunked (where Werkzeug's own reading would stop at the limit and return the cut body)."""
    chunks = []
    while chunk := request.stream.read(64 * 1024):          # raises RequestEntityTooLarge past the limit
        chunks.append(chunk)
    return b"".join(chunks)


def _existing(member_id: int, key: str) -> Submission | None:
    """The member's submission made with this idempotency key, if there is one (with its delivery)."""
    return db.session().scalar(select(Submission).options(joinedload(Submission.delivery))
                               .where(Submission.member_id == member_id, Submission.idempotency_key == key))


def _lookup_statement():
    mine = Submission.member_id == bindparam("member_id")
    found = select(Submission.id).where(mine, Submission.idempotency_key == bindparam("key"))
    recent = select(func.count()).where(mine, Submission.received_at > bindparam("since"))
    refused = select(func.count()).where(RateEvent.key == bindparam("refused_key"), RateEvent.at > bindparam("epoch"))
    return select(found.scalar_subquery(), recent.scalar_subquery(), refused.scalar_subquery())


LOOKUP = _lookup_statement()          # built once: every upload runs it


def _lookup(member_id: int, key: str, refused_key: str) -> tuple[str | None, int, int]:
    """In one query: the id of the member's submission with this key, if any, how many they made in the last
    minute, and how many of their uploads were refused in it."""
    now = utcnow()
    found, recent, refused = db.session().connection().execute(LOOKUP, {
        "member_id": member_id, "key": key, "since": now - timedelta(minutes=1), "refused_key": refused_key,
        "epoch": now.timestamp() - 60}).one()
    return found, recent, refused


class Refused(Exception):
    """A submission refused: the HTTP status and the error body."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.body = status, {"code": code, "message": message, **extra}

    def response(self):
        """As the API answers it (with Retry-After when it is worth trying again later)."""
        response = jsonify(error=self.body)
        if self.status in (429, 503):
            response.headers["Retry-After"] = "60"
        return response, self.status


def accept(member, data: bytes, key: str | None, prepared: Prepared | None = None) -> tuple[Submission, bool]:
    """Store a submission for the member (the API and the upload page both come here); ``prepared``: the
    workbook already read and scored by the caller.

    Returns (submission, created); raises Refused for anything that cannot be accepted."""
    if not data:
        raise Refused(400, "empty_body", "send the workbook file (.xlsx) as the request body")
    digest = hashlib.sha256(data).hexdigest()
    key = key or digest
    if not KEY_RE.match(key):
        raise Refused(400, "bad_idempotency_key", "Idempotency-Key must be 8 to 128 letters, digits or . _ : -")
    return store(member, key, digest, lambda: prepared or prepare(read_workbook(data)))


def refusal(exc: CpdError) -> Refused:
    """A record that cannot be used, as the API refuses it: every problem, the first in the message."""
    if isinstance(exc, InvalidRecord) and exc.problems:
        first = exc.problems[0]
        return Refused(422, exc.code, f"{first}" + (f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1
                                                    else ""), sheet=first.sheet, cell=first.cell,
                       problems=[p.to_dict() for p in exc.problems])
    return Refused(STATUS_FOR.get(exc.code, 400), exc.code, exc.message, sheet=exc.sheet, cell=exc.cell)


def store(member, key: str, digest: str, prepare: Callable[[], Prepared], sheet_id: int | None = None
          ) -> tuple[Submission, bool]:
    """The member's submission for this idempotency key: the earlier one (created False), or the record
    ``prepare`` gives (read and scored), kept as the newest version of the member's record for its period
    and profile and stored as a submission with its delivery (created True). The document delivered
    carries the record's mentor verifications and comments.

    The database is only held for two short moments: one query for an earlier submission and the rate, and
    the writes. Reading and scoring happen between them with no transaction open (SQLite's write lock is
    not held while a large workbook is read). Raises Refused for a member over the rate limit, a key
    reused for another file, and a record that cannot be used."""
    session = db.session()
    limit = current_app.config["SUBMISSIONS_PER_MINUTE"]
    per_minute, refused_key = f"{limit}/minute", f"refused-uploads:{member.id}"   # refused ones count too
    found_id, recent, refused = _lookup(member.id, key, stored_key(per_minute, refused_key))
    session.commit()                  # ends the read transaction before the work
    if found_id is not None:
        return _earlier(member, key, digest)
    if recent + refused >= limit:
        raise Refused(429, "rate_limited", f"at most {limit} submissions a minute; try again shortly")
    try:
        prep = prepare()
    except CpdError as exc:
        database_throttle().hit(per_minute, refused_key)
        raise refusal(exc) from None
    sub_id, received = "sub_" + secrets.token_urlsafe(12), utcnow()
    for attempt in range(2):          # one retry: a racing request made the member's record first
        try:                          # one short write: the record, the submission, its delivery, the version
            conn = db.writing(session).connection()
            rec = lock(conn, member.id, prep, sheet_id=sheet_id, now=received)
            notes = annotations_of(session, rec.id) if rec.latest_version else []
            body = pack({"type": "cpd.submission", "id": sub_id, "received_at": iso_utc(received), **prep.data,
                         "readiness": prep.readiness, **delivery_annotations(prep.record, notes)})
            row = {"id": sub_id, "member_id": member.id, "idempotency_key": key, "digest": digest,
                   "record_id": rec.id, "profile_id": prep.profile.id, "period_start": prep.record.period.start,
                   "period_end": prep.record.period.end, "verdict": prep.verdict, "score": prep.score,
                   "body": body, "received_at": received, "latest": True,
                   **stats.submission_columns(prep.record.member.grade, prep.record.period.end, prep.readiness)}
            conn.execute(INSERT_SUBMISSION, row)
            stats.keep(conn, row, prep.readiness, earlier=bool(rec.latest_version))   # the group view's figures
            conn.execute(INSERT_DELIVERY, {"submission_id": sub_id, "status": "queued", "attempts": 0,
                                           "next_attempt_at": received, "queued_at": received})
            add_version(conn, rec, prep, submission_id=sub_id, now=received)
            touch(session)
            session.commit()
            break
        except IntegrityError:        # an identical upload won the race: answer with its submission
            session.rollback()
            if _existing(member.id, key) is not None or attempt:
                return _earlier(member, key, digest)
    sub = Submission(**row)
    sub.delivery = Delivery(status="queued", attempts=0, receipt_id=None)
    return sub, True


def from_record(member, record) -> tuple[Submission, bool]:
    """A submission made from the record's newest version, scored with the rules as they are now, with its
    mentors' verifications and comments. The same version with the same annotations is the same submission."""
    session = db.session()
    version = latest(session, record.id)
    if version is None:
        raise Refused(409, "no_version", "the record has no version yet")
    marks = ",".join(f"{a}:{int(v)}" for a, v in session.execute(
        select(Annotation.public_id, Annotation.verified).where(Annotation.record_id == record.id)
        .order_by(Annotation.id)).all())
    digest = hashlib.sha256(f"{version.digest}|{marks}".encode()).hexdigest()
    return store(member, f"record:{digest[:48]}", digest, lambda: reassess(version))


def _earlier(member, key: str, digest: str) -> tuple[Submission, bool]:
    """The member's earlier submission with this key, when it was made from the same file (409 otherwise)."""
    found = _existing(member.id, key)
    db.session().commit()
    if found is None:
        raise RuntimeError("a submission's idempotency key clashed but none was found")
    if found.digest != digest:
        raise Refused(409, "idempotency_key_reused", "this Idempotency-Key was used for another file; use a new key "
                      "for a new submission", submission=found.id)
    return found, False


@bp.post("")
@require_token("submit")
def create():
    try:
        sub, created = accept(g.member, read_body(), request.headers.get("Idempotency-Key"))
    except Refused as exc:
        return exc.response()
    return jsonify(receipt(sub)), 201 if created else 200


@bp.get("/<sub_id>")
@require_token("read")
def show(sub_id: str):
    sub = db.session().scalar(select(Submission).where(Submission.id == sub_id, Submission.member_id == g.member.id))
    if sub is None:                   # another member's submission is as unknown as a missing one
        return _error(404, "not_found", "no such submission")
    return jsonify(receipt(sub))
