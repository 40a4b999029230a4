"""POST /api/v1/submissions and GET /api/v1/submissions/<id>: the contract in docs/submission-api.md."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from .. import db
from ..context import submission_limits
from ..errors import NotFound
from ..store.submissions import accept, find, receipt
from .base import caller, read_body, require_token

bp = Blueprint("api_submissions", __name__, url_prefix="/api/v1/submissions")


@bp.post("")
@require_token("submit")
def create():
    sub, created = accept(db.session(), caller(), read_body(), request.headers.get("Idempotency-Key"),
                          submission_limits(g.member.id))
    return jsonify(receipt(sub)), 201 if created else 200


@bp.get("/<sub_id>")
@require_token("read")
def show(sub_id: str):
    sub = find(db.session(), g.member.id, sub_id)
    if sub is None:                   # another member's submission is as unknown as a missing one
        raise NotFound("not_found", "no such submission")
    return jsonify(receipt(sub))
