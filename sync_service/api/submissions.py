"""POST /api/v1/submissions and GET /api/v1/submissions/<id>: the contract in docs/submission-api.md.

A submission is a workbook file (.xlsx) or, from the Google Sheets menu, the sheet's ranges as JSON
(``{"record": [...], "activities": [...], "plan": [...]}``, as the functions take them): the menu then
needs no access to the member's Drive to export the file."""
from __future__ import annotations

import json
from typing import Any, TypeGuard

from flask import Blueprint, g, jsonify, request

from addin import GridRead, ranges_source, read_record, read_workbook

from .. import db
from ..context import submission_limits
from ..errors import BadRequest, NotFound
from ..store.submissions import accept, find, receipt
from .base import caller, read_body, require_token

bp = Blueprint("api_submissions", __name__, url_prefix="/api/v1/submissions")


@bp.post("")
@require_token("submit")
def create():
    ranges = request.mimetype == "application/json"
    sub, created = accept(db.session(), caller(), read_body(), request.headers.get("Idempotency-Key"),
                          submission_limits(g.member.id), read=read_ranges if ranges else read_workbook)
    return jsonify(receipt(sub)), 201 if created else 200


@bp.get("/<sub_id>")
@require_token("read")
def show(sub_id: str):
    sub = find(db.session(), g.member.id, sub_id)
    if sub is None:                   # another member's submission is as unknown as a missing one
        raise NotFound("not_found", "no such submission")
    return jsonify(receipt(sub))


def read_ranges(data: bytes) -> GridRead:
    """The sheet's ranges sent as JSON, read by the core's reader as the sheet's own cells."""
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    parts = body if isinstance(body, dict) else {}
    record, activities, plan = parts.get("record"), parts.get("activities"), parts.get("plan") or []
    if _rows(record) and _rows(activities) and _rows(plan):
        return read_record(ranges_source("the sheet", record, activities, plan))
    raise BadRequest("bad_arguments", 'send {"record": [[...]], "activities": [[...]], "plan": [[...]]}: the Record '
                                      "header range (A3:F7), the activity table from its header row (row 9) and the "
                                      "Plan from its header row (row 4)")


def _rows(value: object) -> TypeGuard[list[list[Any]]]:
    return isinstance(value, list) and all(isinstance(r, list) for r in value)
