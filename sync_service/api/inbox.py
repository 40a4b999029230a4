"""/api/v1/records/{id}/inbox: activities added from a phone to a workbook record, waiting to be written
into the workbook (``cpd pull``, the Excel task pane). The record's owner only; to anyone else it does not
exist (404). POST adds one (as the phone page does), GET lists them, GET .../certificate gives the file
one came with, DELETE takes one once it is written."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from .. import db
from ..context import evidence_max_bytes, evidence_store, sheets_client
from ..responses import evidence_download
from ..store import inbox
from ..store.mentoring import visible
from .base import json_object, require_token

bp = Blueprint("api_inbox", __name__, url_prefix="/api/v1/records/<record_id>/inbox")


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
    acc = visible(db.session(), g.member.id, record_id, owner_only=True)
    inbox.take(db.session(), evidence_store(), acc, item_id)
    return "", 204
