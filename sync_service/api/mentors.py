"""/api/v1 mentors, mentees, the member's audit trail and who the token is for (docs/mentors.md): a member
grants a mentor one record or all their records, by e-mail, and revokes them; a mentor lists their
mentees."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from .. import db
from ..context import notices
from ..errors import NotFound
from ..store import mentoring
from ..store.accounts import member_of
from ..store.models import CpdRecord
from ..store.records import latest, summary
from .base import json_object, require_token

bp = Blueprint("api_mentors", __name__, url_prefix="/api/v1")


def _grant(record: CpdRecord | None):
    body = json_object('{"email": "mentor@example.org", "expires": "2027-06-30"}')
    session = db.session()
    shared = mentoring.share(session, member_of(session, g.member.id), body.get("email"), record,
                             body.get("expires"), notices())
    out = mentoring.grant_dict(shared.grant)            # an invitation's link goes to its address only
    if shared.created:
        out["notified"] = shared.notified
    return jsonify(out), 201 if shared.created else 200


def _revoke(grant_id: str, record: CpdRecord | None):
    session = db.write_session()
    row = mentoring.revoke(session, member_of(session, g.member.id), grant_id, record)
    if row is None:
        raise NotFound("not_found", "no such grant")
    session.commit()
    return "", 204


def _owned(record_id: str) -> CpdRecord:
    return mentoring.visible(db.session(), g.member.id, record_id, owner_only=True).record


@bp.post("/records/<record_id>/mentors")
@require_token("submit")
def grant_record(record_id: str):
    return _grant(_owned(record_id))


@bp.get("/records/<record_id>/mentors")
@require_token("read")
def record_mentors(record_id: str):
    rec = _owned(record_id)
    grants = [x for x in mentoring.grants_of(db.session(), g.member.id) if x.record_id in (None, rec.id)]
    return jsonify(mentors=[mentoring.grant_dict(x) for x in grants])


@bp.delete("/records/<record_id>/mentors/<grant_id>")
@require_token("submit")
def revoke_record(record_id: str, grant_id: str):
    return _revoke(grant_id, _owned(record_id))


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
    member = member_of(db.session(), g.member.id)
    return jsonify(member=member.public_id, name=member.shown_name, scopes=g.token_scopes)


@bp.get("/audit")
@require_token("read")
def audit_trail():
    return jsonify(events=mentoring.trail(db.session(), g.member.id))
