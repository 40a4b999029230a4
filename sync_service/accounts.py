"""Members and their API tokens: random, shown once, stored only as a SHA-256, revocable."""
from __future__ import annotations

import hashlib
import secrets
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import db
from .models import ApiToken, Member, utcnow

TOKEN_PREFIX = "cpd_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_member(session: Session, email: str) -> Member:
    member = Member(email=email.strip().lower(), public_id="m_" + secrets.token_hex(8))
    session.add(member)
    session.flush()
    return member


def issue_token(session: Session, member: Member, scopes: str = "submit read") -> str:
    """A new token for the member; the only time it is ever seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(member_id=member.id, prefix=token[:12], token_hash=hash_token(token), scopes=scopes))
    session.flush()
    return token


def revoke(session: Session, token: str) -> bool:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at:
        return False
    row.revoked_at = utcnow()
    return True


def _unauthorized(message: str):
    return jsonify(error={"code": "unauthorized", "message": message}), 401, {"WWW-Authenticate": "Bearer"}


def require_token(scope: str):
    """The request's member, from its Bearer token; 401 for a missing, unknown or revoked one."""
    def decorate(view):
        @wraps(view)
        def run(*args, **kwargs):
            scheme, _, sent = request.headers.get("Authorization", "").strip().partition(" ")
            if scheme.lower() != "bearer" or not sent.strip():      # the scheme is case-insensitive (RFC 9110)
                return _unauthorized("send your token as 'Authorization: Bearer <token>'")
            session = db.session()
            token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(sent.strip())))
            if token is None or token.revoked_at is not None:
                return _unauthorized("the token is not valid (unknown or revoked)")
            if scope not in token.scopes.split():
                return jsonify(error={"code": "forbidden", "message": f"the token lacks the '{scope}' scope"}), 403
            token.last_used_at = utcnow()
            g.member = token.member
            return view(*args, **kwargs)
        return run
    return decorate
