"""POST /api/v1/submissions and GET /api/v1/submissions/<id>: the contract in docs/submission-api.md.

A submission is the workbook file. It is read with the same hardened reader as ``cpd check``,
scored by the core engine, and stored with a values-only copy of the workbook and its
delivery, queued in the same transaction. The Idempotency-Key (or the file's SHA-256) makes a
double click, a retry or two racing identical uploads one submission.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from addin.errors import CpdError, InvalidRecord
from addin.grid import GridRead
from addin.export import activity_values
from addin.readiness import assess
from addin.workbook.reader import read_workbook
from workbook_templates.builder import record_workbook

from . import db
from .accounts import require_token
from .models import Delivery, Submission, iso_utc, utcnow

bp = Blueprint("submissions", __name__, url_prefix="/api/v1/submissions")
KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
STATUS_FOR = {"file_too_large": 413, "invalid_record": 422}


def _error(status: int, code: str, message: str, **extra):
    return jsonify(error={"code": code, "message": message, **extra}), status


def receipt(sub: Submission) -> dict:
    delivery = sub.delivery
    return {"id": sub.id, "status": delivery.status if delivery else sub.status,
            "received_at": iso_utc(sub.received_at),
            "receipt_id": delivery.receipt_id if delivery else None, "verdict": sub.verdict, "score": sub.score,
            "profile": sub.profile_id}


def _existing(member_id: int, key: str) -> Submission | None:
    """The member's submission made with this idempotency key, if there is one."""
    return db.session().scalar(select(Submission).where(Submission.member_id == member_id,
                                                        Submission.idempotency_key == key))


def _record_json(record, profile) -> dict:
    m = record.member
    return {"member": {"name": m.name, "membership_number": m.membership_number, "grade": m.grade,
                       "status": m.status.value, "registration": m.registration},
            "period": {"start": record.period.start.isoformat(), "end": record.period.end.isoformat()},
            "profile": profile.id,
            "objectives": [{"ref": o.ref, "objective": o.objective, "status": o.status} for o in record.objectives],
            "activities": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                            for k, v in activity_values(a, profile).items()} for a in record.activities]}


class Refused(Exception):
    """A submission refused: the HTTP status and the error body."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.body = status, {"code": code, "message": message, **extra}


def accept(member, data: bytes, key: str | None) -> tuple[Submission, bool]:
    """Store a submission for the member (the API and the upload page both come here).

    Returns (submission, created); raises Refused for anything that cannot be accepted."""
    if not data:
        raise Refused(400, "empty_body", "send the workbook file (.xlsx) as the request body")
    digest = hashlib.sha256(data).hexdigest()
    key = key or digest
    if not KEY_RE.match(key):
        raise Refused(400, "bad_idempotency_key", "Idempotency-Key must be 8 to 128 letters, digits or . _ : -")
    return store(member, key, digest, lambda: read_workbook(data))


def _within_rate(member) -> None:
    """Refuse (429) a member who has submitted the most a minute allows."""
    limit = current_app.config["SUBMISSIONS_PER_MINUTE"]
    recent = db.session().scalar(select(func.count()).select_from(Submission).where(
        Submission.member_id == member.id, Submission.received_at > utcnow() - timedelta(minutes=1)))
    if recent >= limit:
        raise Refused(429, "rate_limited", f"at most {limit} submissions a minute; try again shortly")


def refusal(exc: CpdError) -> Refused:
    """A record that cannot be used, as the API refuses it: every problem, the first in the message."""
    if isinstance(exc, InvalidRecord) and exc.problems:
        first = exc.problems[0]
        return Refused(422, exc.code, f"{first}" + (f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1
                                                    else ""), sheet=first.sheet, cell=first.cell,
                       problems=[p.to_dict() for p in exc.problems])
    return Refused(STATUS_FOR.get(exc.code, 400), exc.code, exc.message, sheet=exc.sheet, cell=exc.cell)


def store(member, key: str, digest: str, reader: Callable[[], GridRead]) -> tuple[Submission, bool]:
    """The member's submission for this idempotency key: the earlier one (created False), or the record
    ``reader`` gives, read only then, scored and stored with its delivery in one transaction (created True).
    Raises Refused for a member over the rate limit and for a record that cannot be used."""
    found = _existing(member.id, key)
    if found is not None:
        return found, False
    _within_rate(member)
    try:
        read = reader()
        record = read.require()
    except CpdError as exc:
        raise refusal(exc) from None
    result = assess(record, read.profile)
    sub = Submission(id="sub_" + secrets.token_urlsafe(12), member_id=member.id, idempotency_key=key, digest=digest,
                     profile_id=read.profile.id, period_start=record.period.start, period_end=record.period.end,
                     verdict=result.verdict, score=result.score, readiness=result.to_dict(),
                     record=_record_json(record, read.profile), workbook=record_workbook(record, read.profile))
    sub.delivery = Delivery()
    session = db.session()
    session.add(sub)
    try:
        session.commit()
    except IntegrityError:            # an identical upload won the race: answer with its submission
        session.rollback()
        found = _existing(member.id, key)
        if found is None:
            raise
        return found, False
    return sub, True


@bp.post("")
@require_token("submit")
def create():
    try:
        sub, created = accept(g.member, request.get_data(cache=False), request.headers.get("Idempotency-Key"))
    except Refused as exc:
        response = jsonify(error=exc.body)
        if exc.status == 429:
            response.headers["Retry-After"] = "60"
        return response, exc.status
    return jsonify(receipt(sub)), 201 if created else 200


@bp.get("/<sub_id>")
@require_token("read")
def show(sub_id: str):
    sub = db.session().scalar(select(Submission).where(Submission.id == sub_id, Submission.member_id == g.member.id))
    if sub is None:                   # another member's submission is as unknown as a missing one
        return _error(404, "not_found", "no such submission")
    return jsonify(receipt(sub))
