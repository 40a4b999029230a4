"""/api/v1/records: records, their versions, checks, submissions, workbooks and annotations (described in
the OpenAPI document and docs/mentors.md).

Anything the caller may not see (another member's record, a record whose grant was revoked or has
expired, an annotation by someone else) answers 404, exactly as something that does not exist. What a
mentor can see but only its owner may do answers 403.
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from addin import CpdError, read_workbook, rows_as_dicts, NO_ROWS

from .. import db
from ..checking import check_now
from ..context import notices, sheets_client, submission_limits
from ..errors import BadRequest, Conflict, NotFound, from_core
from ..responses import workbook_download
from ..store import annotations as notes_store
from ..store import sheets
from ..store.accounts import member_of
from ..store.mentoring import Access, seen, visible
from ..store.models import CpdRecord
from ..store.records import latest, prepare, save_version, snapshot, summary
from ..store.submissions import from_record, receipt
from ..throttle import upload_wait
from .base import caller, json_object, read_body, require_token

bp = Blueprint("api_records", __name__, url_prefix="/api/v1")


def detail(acc: Access) -> dict:
    """The record's newest version as data, its readiness then, and its annotations."""
    session = db.session()
    rec = acc.record
    snap = snapshot(session, rec)
    owner = member_of(session, rec.member_id)
    out = summary(rec, snap.version)
    out.update(role=acc.role, owner=owner.shown_name if not acc.owner else None,
               member=snap.data.get("member") if snap.version else None,
               objectives=rows_as_dicts(snap.data["objectives"]), activities=rows_as_dicts(snap.data["activities"]),
               drafts=rows_as_dicts(snap.data.get("drafts") or NO_ROWS),
               readiness=snap.readiness,
               annotations=[notes_store.annotation_dict(a) for a in notes_store.of(session, rec)],
               sheet_error=rec.sheet_error if acc.owner else None)
    return out


@bp.post("/records")
@require_token("submit")
def create():
    """A new record, or a new version of the member's record for the same period and profile: the
    workbook as the body, or JSON {"sheet": address} to link a Google Sheet."""
    upload_wait(g.member.id)
    session = db.session()
    if request.mimetype == "application/json":
        address = json_object('{"sheet": "https://docs.google.com/spreadsheets/d/.../edit"}').get("sheet")
        if not isinstance(address, str) or not address.strip():
            raise BadRequest("bad_request", 'send the workbook as the body, or JSON like {"sheet": '
                             '"https://docs.google.com/spreadsheets/d/.../edit"}')
        linking = sheets.link(session, sheets_client(), g.member.id, address)
        if linking.code:                  # the sheet's link is proven first (POST /api/v1/sheets/{id}/confirm)
            return jsonify(sheets.waiting(linking)), 202
        read = sheets.check(session, sheets_client(), linking.linked)
        try:
            rec, version, created, prep = sheets.keep(session, linking.linked, read)
        except CpdError as exc:
            raise from_core(exc, sheet=True) from None
        return jsonify({**summary(rec, version), "readiness": prep.readiness}), 201 if created else 200
    data = read_body()
    if not data:
        raise BadRequest("empty_body", "send the workbook file (.xlsx) as the request body")
    try:
        prep = prepare(read_workbook(data))
    except CpdError as exc:
        raise from_core(exc) from None
    rec, version, created = save_version(session, g.member.id, prep)
    return jsonify({**summary(rec, version), "readiness": prep.readiness}), 201 if created else 200


@bp.get("/records")
@require_token("read")
def index():
    session = db.session()
    recs = session.scalars(select(CpdRecord).where(CpdRecord.member_id == g.member.id)
                           .order_by(CpdRecord.period_start.desc())).all()
    return jsonify(records=[summary(r, latest(session, r.id)) for r in recs])


@bp.get("/records/<record_id>")
@require_token("read")
def show(record_id: str):
    acc = visible(db.session(), g.member.id, record_id)
    out = detail(acc)
    seen(db.session(), acc, g.member.id)
    return jsonify(out)


@bp.post("/records/<record_id>/check")
@require_token("read")
def check(record_id: str):
    """The record's readiness now: a linked sheet is pulled again (a new version if it changed); an
    uploaded record is scored again with the current rules. Nothing is sent."""
    session = db.session()
    acc = visible(session, g.member.id, record_id)
    try:
        rec, version, prep, _ = check_now(session, acc.record, acc.owner, sheets_client)
    except CpdError as exc:
        raise from_core(exc, sheet=acc.record.source == "sheet") from None
    if prep is None:
        raise Conflict("no_version", "the record has no version yet")
    return jsonify({**summary(rec, version), "readiness": prep.readiness})


@bp.post("/records/<record_id>/submit")
@require_token("submit")
def submit(record_id: str):
    """A submission from the record's newest version, with its mentors' verifications and comments."""
    session = db.session()
    rec = visible(session, g.member.id, record_id, owner_only=True).record
    sub, created = from_record(session, caller(), rec, submission_limits(g.member.id))
    return jsonify(receipt(sub)), 201 if created else 200


@bp.get("/records/<record_id>/workbook")
@require_token("read")
def workbook(record_id: str):
    """The record's newest version as a workbook, with its mentors' comments and verifications."""
    acc = visible(db.session(), g.member.id, record_id)
    data = notes_store.workbook(db.session(), acc, g.member.id)
    if data is None:
        raise Conflict("no_version", "the record has no version yet")
    return workbook_download(acc, data)


@bp.get("/records/<record_id>/annotations")
@require_token("read")
def annotations_of(record_id: str):
    acc = visible(db.session(), g.member.id, record_id)
    return jsonify(annotations=[notes_store.annotation_dict(a) for a in notes_store.of(db.session(), acc.record)])


@bp.post("/records/<record_id>/annotations")
@require_token("submit")
def annotate(record_id: str):
    session = db.write_session()          # the access check, the annotation and what follows in one transaction
    acc = visible(session, g.member.id, record_id)
    ann = notes_store.add(session, acc, g.member.id, request.get_json(silent=True))
    followed = notes_store.follow_up(session, acc, member_of(session, g.member.id), ann.verified,
                                     bool(ann.comment), notices())
    session.commit()
    return jsonify({**notes_store.annotation_dict(ann), **followed}), 201


@bp.delete("/records/<record_id>/annotations/<annotation_id>")
@require_token("submit")
def unannotate(record_id: str, annotation_id: str):
    session = db.write_session()
    acc = visible(session, g.member.id, record_id)
    if not notes_store.remove(session, acc, g.member.id, annotation_id):
        raise NotFound("not_found", "no such annotation of yours")
    notes_store.follow_up(session, acc, member_of(session, g.member.id), False, False, notices())
    session.commit()
    return "", 204
