"""/api/v1/tokens: the member's personal access tokens for programs (``cpd``, the Excel and Google Sheets
add-ins). Named, with scopes (``read``, ``submit``) no wider than the caller's own, an optional expiry,
listed with their last use; the secret is in the answer that makes it, and only its hash is kept."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from .. import db
from ..errors import NotFound
from ..store.accounts import make_token, revoke_token, token_dict, tokens_of
from ..store.token_fields import token_fields
from .base import json_object, require_token

bp = Blueprint("api_tokens", __name__, url_prefix="/api/v1")


@bp.post("/tokens")
@require_token("submit")
def create():
    body = json_object('{"name": "Laptop cpd", "scopes": ["read", "submit"], "expires": "2027-12-31"}')
    name, scopes, expires_at = token_fields(body, g.token_scopes)
    session = db.write_session()
    row, secret = make_token(session, g.member.id, scopes, name, expires_at)
    out = {**token_dict(row), "token": secret}
    session.commit()
    return jsonify(out), 201


@bp.get("/tokens")
@require_token("read")
def listed():
    return jsonify(tokens=[token_dict(t) for t in tokens_of(db.session(), g.member.id)])


@bp.delete("/tokens/<token_id>")
@require_token("submit")
def revoke(token_id: str):
    session = db.write_session()
    if not revoke_token(session, g.member.id, token_id):
        raise NotFound("not_found", "no such token")
    session.commit()
    return "", 204
