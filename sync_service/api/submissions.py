"""POST /api/v1/submissions and GET /api/v1/submissions/<id>: the contract in docs/submission-api.md.

A submission is a workbook file (.xlsx) or, from the Google Sheets menu, the sheet's ranges as JSON
(``{"record": [...], "activities": [...], "plan": [...]}``, as the functions take them): the menu then
needs no access to the member's Drive to export the file."""
from __future__ import annotations

import json

from flask import Blueprint, g, jsonify, request

from addin import GridRead, read_workbook

from .. import db
from ..context import submission_limits
from ..errors import NotFound
from ..store.submissions import accept, find, receipt
from .base import caller, read_body, require_token, sheet_ranges

bp = Blueprint("api_submissions", __name__, url_prefix="/api/v1/submissions")


@bp.post("")
@require_token("submit", end_read=False)          # accept's first step reads, then ends the read
def create():
    sub, created = accept(db.session(), caller(), read_body(), request.headers.get("Idempotency-Key"),
                          submission_limits(g.member.id), read=read_ranges if request.is_json else read_workbook)
    return jsonify(receipt(sub)), 201 if created else 200


@bp.get("/<sub_id>")
@require_token("read")
def show(sub_id: str):
    sub = find(db.session(), g.member.id, sub_id)
    if sub is None:                   # another member's submission is as unknown as a missing one
        raise NotFound("not_found", "no such submission")
    return jsonify(receipt(sub))


def read_ranges(data: bytes) -> GridRead:
    """The sheet's ranges sent as JSON (``base.sheet_ranges``)."""
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    return sheet_ranges(body)
