"""/api/v1/sheets: link a Google Sheet, check it, submit it (described in the OpenAPI document)."""
from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, make_response, request

from addin import CpdError, assess, report_dict

from ..accounts import require_token
from ..submissions import Refused, receipt, refusal
from . import linked as sheets

bp = Blueprint("sheets_api", __name__, url_prefix="/api/v1/sheets")


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return exc.response()


@bp.errorhandler(CpdError)
def _unreadable(exc: CpdError):
    """Values the member has to fix: each one with its cell."""
    return _refused(refusal(exc))


def _mine(sheet_id: str):
    """The member's linked sheet; another member's is as unknown as a missing one."""
    linked = sheets.find(g.member, sheet_id)
    if linked is None:
        abort(make_response(jsonify(error={"code": "not_found", "message": "no such linked sheet"}), 404))
    return linked


@bp.post("")
@require_token("submit")
def create():
    body = request.get_json(silent=True)
    address = body.get("sheet") if isinstance(body, dict) else None
    if not isinstance(address, str) or not address.strip():
        return jsonify(error={"code": "bad_request", "message": 'send JSON like {"sheet": "https://docs.google.com/'
                                                                 'spreadsheets/d/.../edit"}'}), 400
    linking = sheets.link(g.member, address)
    if linking.code:                      # not yet proven: the code to type into the sheet, then confirm
        return jsonify(sheets.waiting(linking)), 202
    return jsonify(sheets.as_dict(linking.linked)), 200


@bp.post("/<sheet_id>/confirm")
@require_token("submit")
def confirm(sheet_id: str):
    """Prove the link: the service reads the sheet and finds the code the member typed into it."""
    linked = _mine(sheet_id)
    read = sheets.confirm(g.member, linked)
    readiness = None                      # a record with values to fix is linked all the same (the sheet's error)
    if read.record is not None and not read.problems:
        readiness = report_dict(assess(read.record, read.profile), read.record, read.profile)
    return jsonify(sheet=sheets.as_dict(linked), readiness=readiness), 201


@bp.get("")
@require_token("read")
def index():
    return jsonify(sheets=[sheets.as_dict(s) for s in sheets.of(g.member)])


@bp.get("/<sheet_id>")
@require_token("read")
def show(sheet_id: str):
    """The linked sheet's readiness, read now."""
    linked = _mine(sheet_id)
    read = sheets.check(linked)
    record = read.require()
    return jsonify(sheet=sheets.as_dict(linked), readiness=report_dict(assess(record, read.profile), record,
                                                                       read.profile))


@bp.post("/<sheet_id>/submissions")
@require_token("submit")
def submit(sheet_id: str):
    sub, created = sheets.submit(g.member, _mine(sheet_id))
    return jsonify(receipt(sub)), 201 if created else 200


@bp.delete("/<sheet_id>")
@require_token("submit")
def unlink(sheet_id: str):
    sheets.unlink(_mine(sheet_id))
    return "", 204
