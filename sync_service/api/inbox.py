"""/api/v1/records/{id}/inbox: activities added from a phone to a workbook record, waiting to be written
into the workbook (``cpd pull``, the Excel task pane). The record's owner only; to anyone else it does not
exist (404). POST adds one (as the phone page does), GET lists them, GET .../certificate gives the file
one came with, DELETE takes one once it is written."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from addin import CpdError

from .. import db
from ..context import evidence_max_bytes, evidence_store, sheets_client
from ..errors import BadRequest, from_core
from ..responses import evidence_download
from ..store import inbox, records
from ..store.mentoring import visible
from .base import json_object, require_token, sheet_ranges

bp = Blueprint("api_inbox", __name__, url_prefix="/api/v1/records/<record_id>/inbox")
TABLE_START = 9                       # the activity table's header row: the first row of the range sent


@bp.post("")
@require_token("submit")
def add(record_id: str):
    acc = visible(db.session(), g.member.id, record_id, owner_only=True)
    values = json_object('{"start_date": "2026-03-12", "title": "...", "hours": 1.5, "status": "Draft"}')
    added = inbox.add(db.session(), evidence_store(), sheets_client() if acc.record.source == "sheet" else None,
                      acc, values, None, evidence_max_bytes())
    if added.item is not None:
        return jsonify({"where": "inbox", **inbox.item_dict(added.item)}), 201
    return jsonify({"where": "sheet", "row": added.row}), 201


@bp.get("")
@require_token("read")
def index(record_id: str):
    acc = visible(db.session(), g.member.id, record_id, owner_only=True)
    return jsonify(items=[inbox.item_dict(i) for i in inbox.pending(db.session(), acc)])


@bp.get("/<item_id>/certificate")
@require_token("read")
def certificate(record_id: str, item_id: str):
    acc = visible(db.session(), g.member.id, record_id, owner_only=True)
    item, data = inbox.certificate_of(db.session(), evidence_store(), acc, item_id)
    return evidence_download(item.evidence_kind or "pdf", item.evidence_name or "certificate", data)


@bp.delete("/<item_id>")
@require_token("submit")
def take(record_id: str, item_id: str):
    """``?row=N``: the sheet row the item was written to (its certificate, kept here, becomes its evidence)."""
    acc = visible(db.session(), g.member.id, record_id, owner_only=True)
    raw = request.args.get("row", "")
    inbox.take(db.session(), evidence_store(), acc, item_id, int(raw) if raw.isdigit() else None)
    return "", 204


sheet_bp = Blueprint("api_inbox_sheet", __name__, url_prefix="/api/v1/inbox")


@sheet_bp.post("/rows")
@require_token("submit")
def rows_for_sheet():
    """For the Sheets menu's "Bring in new activities": the ranges it sends (the Record header block A3:F7 and
    the activity table from its header row 9, as the functions take them) are read by the core's reader; the
    answer is the member's record for that profile and period, the row to write at and the rows to write."""
    body = json_object('{"record": [["Name:", "..."]], "activities": [["Start date", "..."]]}')
    try:
        read = sheet_ranges(body)
    except CpdError as exc:
        raise from_core(exc) from None
    if read.record is None or read.header_row is None:
        raise BadRequest("period_missing", "the sheet does not say its period (Covering the period from / To)")
    session = db.session()
    found = records.find(session, g.member.id, read.profile.id, read.record.period.start, read.record.period.end)
    if found is None:
        return jsonify(record=None, first_row=None, rows=[], items=[])
    acc = visible(session, g.member.id, found.public_id, owner_only=True)
    written = " ".join(a.description or "" for a in read.record.every_activity)
    laid, ids = inbox.sheet_rows(inbox.pending(session, acc), read.cells.columns, written)
    last = max((TABLE_START + i for i, row in enumerate(body["activities"]) if any(v not in ("", None) for v in row)),
               default=read.header_row)
    return jsonify(record=found.public_id, first_row=last + 1, rows=laid, items=ids)
