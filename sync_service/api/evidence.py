"""/api/v1/records/{id}/evidence: each activity's evidence files (docs/submission-api.md). The owner adds and
removes them; the owner and live mentors list and download them; to everyone else the record, and so its
evidence, does not exist (404)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from .. import db
from ..context import evidence_max_bytes, evidence_store
from ..errors import BadRequest
from ..responses import evidence_download
from ..store import evidence as store
from ..store.mentoring import visible
from ..store.models import Evidence, iso_utc
from .base import read_body, require_token

bp = Blueprint("api_evidence", __name__, url_prefix="/api/v1/records/<record_id>/evidence")


def shown(e: Evidence) -> dict:
    return {"id": e.public_id, "activity_row": e.activity_row, "filename": e.filename, "kind": e.kind,
            "size": e.size, "sha256": e.digest, "added_at": iso_utc(e.created_at)}


@bp.post("")
@require_token("submit")
def add(record_id: str):
    """The request body is the file; ``row`` (the activity's sheet row) and ``filename`` are query values."""
    acc = visible(db.session(), g.member.id, record_id, owner_only=True)
    raw = request.args.get("row", "")
    if not raw.isdigit():
        raise BadRequest("bad_row", "say which activity with ?row=N, its row on the Record sheet")
    found, created = store.add(db.session(), evidence_store(), acc, int(raw), request.args.get("filename"),
                               read_body(), evidence_max_bytes())
    return jsonify(shown(found)), 201 if created else 200


@bp.get("")
@require_token("read")
def index(record_id: str):
    acc = visible(db.session(), g.member.id, record_id)
    return jsonify(evidence=[shown(e) for e in store.of(db.session(), acc)])


@bp.get("/<evidence_id>")
@require_token("read")
def download(record_id: str, evidence_id: str):
    acc = visible(db.session(), g.member.id, record_id)
    found = store.fetch(db.session(), evidence_store(), acc, g.member.id, evidence_id)
    return evidence_download(found.evidence.kind, found.evidence.filename, found.data)


@bp.delete("/<evidence_id>")
@require_token("submit")
def remove(record_id: str, evidence_id: str):
    acc = visible(db.session(), g.member.id, record_id, owner_only=True)
    store.remove(db.session(), evidence_store(), acc, evidence_id)
    return "", 204
