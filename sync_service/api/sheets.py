"""/api/v1/sheets: link a Google Sheet (proven by a code typed into it), check it, submit it, unlink it
(described in the OpenAPI document and docs/google-sheets.md)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from addin import CpdError, assess, report_dict

from .. import db
from ..context import sheets_client, submission_limits
from ..errors import BadRequest, NotFound, from_core
from ..store import sheets
from ..store.models import LinkedSheet
from ..store.submissions import receipt
from .base import caller, json_object, require_token

bp = Blueprint("api_sheets", __name__, url_prefix="/api/v1/sheets")


def _mine(sheet_id: str) -> LinkedSheet:
    """The member's linked sheet; another member's is as unknown as a missing one."""
    linked = sheets.find(db.session(), g.member.id, sheet_id)
    if linked is None:
        raise NotFound("not_found", "no such linked sheet")
    return linked


@bp.post("")
@require_token("submit")
def create():
    address = json_object('{"sheet": "https://docs.google.com/spreadsheets/d/.../edit"}').get("sheet")
    if not isinstance(address, str) or not address.strip():
        raise BadRequest("bad_request", 'send JSON like {"sheet": "https://docs.google.com/spreadsheets/d/.../edit"}')
    linking = sheets.link(db.session(), sheets_client(), g.member.id, address)
    if linking.code:                      # not yet proven: the code to type into the sheet, then confirm
        return jsonify(sheets.waiting(linking)), 202
    return jsonify(sheets.as_dict(linking.linked)), 200


@bp.post("/<sheet_id>/confirm")
@require_token("submit")
def confirm(sheet_id: str):
    """Prove the link: the service reads the sheet and finds the code the member typed into it."""
    linked = _mine(sheet_id)
    read = sheets.confirm(db.session(), sheets_client(), g.member.id, linked)
    readiness = None                      # a record with values to fix is linked all the same (the sheet's error)
    if read.record is not None and not read.problems:
        readiness = report_dict(assess(read.record, read.profile), read.record, read.profile)
    return jsonify(sheet=sheets.as_dict(linked), readiness=readiness), 201


@bp.get("")
@require_token("read")
def index():
    return jsonify(sheets=[sheets.as_dict(s) for s in sheets.of(db.session(), g.member.id)])


@bp.get("/<sheet_id>")
@require_token("read")
def show(sheet_id: str):
    """The linked sheet's readiness, read now."""
    linked = _mine(sheet_id)
    read = sheets.check(db.session(), sheets_client(), linked)
    try:
        record = read.require()
    except CpdError as exc:
        raise from_core(exc, sheet=True) from None
    return jsonify(sheet=sheets.as_dict(linked), readiness=report_dict(assess(record, read.profile), record,
                                                                       read.profile))


@bp.post("/<sheet_id>/submissions")
@require_token("submit")
def submit(sheet_id: str):
    sub, created = sheets.submit(db.session(), sheets_client(), caller(), _mine(sheet_id),
                                 submission_limits(g.member.id))
    return jsonify(receipt(sub)), 201 if created else 200


@bp.delete("/<sheet_id>")
@require_token("submit")
def unlink(sheet_id: str):
    sheets.unlink(db.session(), _mine(sheet_id))
    return "", 204
