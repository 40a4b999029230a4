"""/api/v1/records, /api/v1/mentors, /api/v1/mentees, /api/v1/audit: records, their mentors and
annotations (described in the OpenAPI document and docs/mentors.md).

Anything the caller may not see (another member's record, a record whose grant was revoked or
has expired, an annotation by someone else) answers 404, exactly as something that does not
exist. What a mentor can see but only its owner may do (submit, grant) answers 403.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, make_response, request
from sqlalchemy import select

from addin import CpdError, read_workbook, rows_as_dicts

from . import annotation_store as notes_store
from . import db, mentoring
from .accounts import require_token
from .models import CpdRecord, Member
from .records import (annotation_dict, check_now, latest, prepare, save_version, snapshot, summary,
                      upload_wait)
from .submissions import Refused, from_record, read_body, receipt, refusal
from .throttle import too_many

bp = Blueprint("records_api", __name__, url_prefix="/api/v1")


def fail(status: int, code: str, message: str):
    abort(make_response(jsonify(error={"code": code, "message": message}), status))


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return exc.response()


@bp.errorhandler(mentoring.GrantRefused)
@bp.errorhandler(notes_store.AnnotationRefused)
def _refused_other(exc):
    return jsonify(error={"code": exc.code, "message": exc.message}), exc.status


def visible(record_id: str, *, owner_only: bool = False) -> mentoring.Access:
    """The record as the caller may see it; 404 if they may not (a mentor asking an owner's action: 403)."""
    acc = mentoring.access(db.session(), g.member.id, record_id)
    if acc is None:
        fail(404, "not_found", "no such record")
    if owner_only and not acc.owner:
        fail(403, "owner_only", "only the record's owner can do this")
    return acc


def detail(acc: mentoring.Access) -> dict:
    """The record's newest version as data, its readiness then, and its annotations."""
    session = db.session()
    rec = acc.record
    snap = snapshot(session, rec)
    owner = session.get(Member, rec.member_id)
    out = summary(rec, snap.version)
    out.update(role=acc.role, owner=owner.shown_name if not acc.owner else None,
               member=snap.data.get("member") if snap.version else None,
               objectives=rows_as_dicts(snap.data["objectives"]), activities=rows_as_dicts(snap.data["activities"]),
               readiness=snap.readiness, annotations=[annotation_dict(a) for a in notes_store.of(session, rec)],
               sheet_error=rec.sheet_error if acc.owner else None)
    return out


def _grant(record: CpdRecord | None):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        fail(400, "bad_request", 'send JSON like {"email": "mentor@example.org", "expires": "2027-06-30"}')
    session = db.session()
    shared = mentoring.share(session, session.get(Member, g.member.id), body.get("email"), record,
                             body.get("expires"))
    out = mentoring.grant_dict(shared.grant)
    if shared.invitation_url:
        out["invitation_url"] = shared.invitation_url
    if shared.created:
        out["notified"] = shared.notified
    return jsonify(out), 201 if shared.created else 200


def _revoke(grant_id: str, record: CpdRecord | None):
    session = db.write_session()
    row = mentoring.revoke(session, session.get(Member, g.member.id), grant_id, record)
    if row is None:
        fail(404, "not_found", "no such grant")
    session.commit()
    return "", 204


# -- records ---------------------------------------------------------------------------------------
@bp.post("/records")
@require_token("submit")
def create():
    """A new record, or a new version of the member's record for the same period and profile: the
    workbook as the body, or JSON {"sheet": address} to link a Google Sheet."""
    wait = upload_wait(g.member.id)
    if wait:
        abort(too_many(wait, f"at most {current_app.config['SUBMISSIONS_PER_MINUTE']} record uploads a minute; "
                             "try again shortly"))
    session = db.session()
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        address = body.get("sheet") if isinstance(body, dict) else None
        if not isinstance(address, str) or not address.strip():
            fail(400, "bad_request", 'send the workbook as the body, or JSON like {"sheet": "https://docs.google.com/'
                                     'spreadsheets/d/.../edit"}')
        from .sheets import linked as sheets
        linking = sheets.link(g.member, address)
        if linking.code:                  # the sheet's link is proven first (POST /api/v1/sheets/{id}/confirm)
            return jsonify(sheets.waiting(linking)), 202
        read = sheets.check(linking.linked)
        try:
            rec, version, created, prep = sheets.keep(linking.linked, read)
        except CpdError as exc:
            raise refusal(exc) from None
        return jsonify({**summary(rec, version), "readiness": prep.readiness}), 201 if created else 200
    else:
        data = read_body()
        if not data:
            fail(400, "empty_body", "send the workbook file (.xlsx) as the request body")
        try:
            read = read_workbook(data)
        except CpdError as exc:
            raise refusal(exc) from None
    try:
        prep = prepare(read)
    except CpdError as exc:
        raise refusal(exc) from None
    rec, version, created = save_version(session, g.member.id, prep)
    session.commit()
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
    acc = visible(record_id)
    out = detail(acc)
    notes_store.seen(db.session(), acc, g.member.id)
    return jsonify(out)


@bp.post("/records/<record_id>/check")
@require_token("read")
def check(record_id: str):
    """The record's readiness now: a linked sheet is pulled again (a new version if it changed); an
    uploaded record is scored again with the current rules. Nothing is sent."""
    acc = visible(record_id)
    try:
        rec, version, prep, _ = check_now(acc.record, pull=acc.owner)
    except CpdError as exc:
        raise refusal(exc) from None
    if prep is None:
        fail(409, "no_version", "the record has no version yet")
    return jsonify({**summary(rec, version), "readiness": prep.readiness})


@bp.post("/records/<record_id>/submit")
@require_token("submit")
def submit(record_id: str):
    """A submission from the record's newest version, with its mentors' verifications and comments."""
    sub, created = from_record(g.member, visible(record_id, owner_only=True).record)
    return jsonify(receipt(sub)), 201 if created else 200


@bp.get("/records/<record_id>/workbook")
@require_token("read")
def workbook(record_id: str):
    """The record's newest version as a workbook, with its mentors' comments and verifications."""
    acc = visible(record_id)
    data = notes_store.workbook(db.session(), acc, g.member.id)
    if data is None:
        fail(409, "no_version", "the record has no version yet")
    return notes_store.download(acc.record, data)


# -- mentors ---------------------------------------------------------------------------------------
@bp.post("/records/<record_id>/mentors")
@require_token("submit")
def grant_record(record_id: str):
    return _grant(visible(record_id, owner_only=True).record)


@bp.get("/records/<record_id>/mentors")
@require_token("read")
def record_mentors(record_id: str):
    rec = visible(record_id, owner_only=True).record
    grants = [x for x in mentoring.grants_of(db.session(), g.member.id) if x.record_id in (None, rec.id)]
    return jsonify(mentors=[mentoring.grant_dict(x) for x in grants])


@bp.delete("/records/<record_id>/mentors/<grant_id>")
@require_token("submit")
def revoke_record(record_id: str, grant_id: str):
    return _revoke(grant_id, visible(record_id, owner_only=True).record)


@bp.post("/mentors")
@require_token("submit")
def grant_all():
    return _grant(None)


@bp.get("/mentors")
@require_token("read")
def mentors():
    return jsonify(mentors=[mentoring.grant_dict(x) for x in mentoring.grants_of(db.session(), g.member.id)])


@bp.delete("/mentors/<grant_id>")
@require_token("submit")
def revoke_any(grant_id: str):
    return _revoke(grant_id, None)


@bp.get("/mentees")
@require_token("read")
def mentees():
    session = db.session()
    out = [{"name": m.shown_name, "records": [summary(r, latest(session, r.id)) for r in recs]}
           for m, recs in mentoring.mentees(session, g.member.id)]
    return jsonify(mentees=out)


@bp.get("/me")
@require_token("read")
def me():
    """Who the token is for and what it may do (``cpd login`` checks a token with it)."""
    member = db.session().get(Member, g.member.id)
    return jsonify(member=member.public_id, name=member.shown_name, scopes=g.token_scopes)


@bp.get("/audit")
@require_token("read")
def audit_trail():
    return jsonify(events=mentoring.trail(db.session(), g.member.id))


# -- annotations -----------------------------------------------------------------------------------
@bp.get("/records/<record_id>/annotations")
@require_token("read")
def annotations(record_id: str):
    acc = visible(record_id)
    return jsonify(annotations=[annotation_dict(a) for a in notes_store.of(db.session(), acc.record)])


@bp.post("/records/<record_id>/annotations")
@require_token("submit")
def annotate(record_id: str):
    session = db.write_session()          # the access check and the annotation in one transaction
    acc = visible(record_id)
    ann = notes_store.add(session, acc, g.member.id, request.get_json(silent=True))
    session.commit()
    out = annotation_dict(ann)
    out.update(notes_store.announce(session, acc, session.get(Member, g.member.id), ann.verified, bool(ann.comment)))
    return jsonify(out), 201


@bp.delete("/records/<record_id>/annotations/<annotation_id>")
@require_token("submit")
def unannotate(record_id: str, annotation_id: str):
    session = db.write_session()
    acc = visible(record_id)
    if not notes_store.remove(session, acc, g.member.id, annotation_id):
        fail(404, "not_found", "no such annotation of yours")
    session.commit()
    notes_store.announce(session, acc, session.get(Member, g.member.id), False, False)
    return "", 204
