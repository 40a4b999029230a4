"""Members and their API tokens: random, shown once, stored only as a SHA-256, revocable."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import wraps

from flask import current_app, g, jsonify, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import db
from .models import ApiToken, Member, utcnow
from .throttle import address, throttle, too_many

TOKEN_PREFIX = "cpd_"
TOUCH_EVERY = timedelta(minutes=5)           # how often a token's "last used" time is written


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_member(session: Session, email: str) -> Member:
    db.writing(session)
    member = Member(email=email.strip().lower(), public_id="m_" + secrets.token_hex(8))
    session.add(member)
    session.flush()
    return member


def issue_token(session: Session, member: Member, scopes: str = "submit read") -> str:
    """A new token for the member; the only time it is ever seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.writing(session)
    session.add(ApiToken(member_id=member.id, prefix=token[:12], token_hash=hash_token(token), scopes=scopes))
    session.flush()
    return token


def revoke(session: Session, token: str) -> bool:
    db.writing(session)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at:
        return False
    row.revoked_at = utcnow()
    return True


class AuthFailure(Exception):
    """A token that cannot be used: 401 (unknown or revoked), 403 (lacks a scope) or 429 (too many failures)."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    def response(self):
        if self.status == 429:
            return too_many(self.retry_after or 60, self.message)
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else {}
        return jsonify(error={"code": self.code, "message": self.message}), self.status, headers


@dataclass(frozen=True)
class MemberRef:
    """The member a request acts for: all an API view needs (every query is scoped by ``id``)."""
    id: int
    public_id: str


@dataclass(frozen=True)
class LiveToken:
    id: int
    member_id: int
    scopes: str
    member: MemberRef


# The token and its member in one Core query (the hot path of every API request).
LIVE_TOKEN = (select(ApiToken.id, ApiToken.member_id, ApiToken.scopes, ApiToken.revoked_at, ApiToken.last_used_at,
                     Member.public_id).join(Member, Member.id == ApiToken.member_id)
              .where(ApiToken.token_hash == bindparam("token_hash")))


def live_token(sent: str, scope: str) -> LiveToken:
    """The live token ``sent`` is, with ``scope``. A good token is always taken; a bad one is counted per
    address and per token prefix (across every worker), and past ``SIGN_IN_FAILURES`` of them the bad
    ones get 429 instead of 401: a client's bad tries never lock out good tokens from its address."""
    session = db.session()
    token = session.connection().execute(LIVE_TOKEN, {"token_hash": hash_token(sent)}).first() if sent else None
    if token is None or token.revoked_at is not None:
        session.commit()
        limit = current_app.config["SIGN_IN_FAILURES"]
        keys = (address(), "prefix:" + sent[:12])
        wait = throttle().over(limit, *keys)
        if wait:
            raise AuthFailure(429, "rate_limited", f"too many failed sign-ins; try again in {int(wait) + 1} s", wait)
        throttle().hit(limit, *keys)
        raise AuthFailure(401, "unauthorized", "the token is not valid (unknown or revoked)")
    if scope not in token.scopes.split():
        raise AuthFailure(403, "forbidden", f"the token lacks the '{scope}' scope")
    last = token.last_used_at
    if last is None or (last if last.tzinfo else last.replace(tzinfo=timezone.utc)) < utcnow() - TOUCH_EVERY:
        g.touch_token = token.id  # noted with the request's own write (``touch``), or just after the view
    session.commit()              # ends the read: nothing stays open while the view works
    return LiveToken(token.id, token.member_id, token.scopes, MemberRef(token.member_id, token.public_id))


def touch(session: Session) -> None:
    """Note the request's token as used, inside the caller's transaction (at most every TOUCH_EVERY)."""
    token_id = g.pop("touch_token", None)
    if token_id is not None:
        session.connection().execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def init_app(app) -> None:
    @app.after_request
    def _touch_after(response):
        """A request that wrote nothing of its own notes its token's use in a short transaction of its own."""
        if "touch_token" in g and response.status_code < 500:
            session = db.session()
            try:
                db.writing(session)
                touch(session)
                session.commit()
            except SQLAlchemyError:
                session.rollback()       # a missed 'last used' never fails the request
        return response


def require_token(scope: str):
    """The request's member, from its Bearer token (the scheme in any case); 401 for a missing, unknown or
    revoked one, 403 for one without the scope, 429 after too many failures."""
    def decorate(view):
        @wraps(view)
        def run(*args, **kwargs):
            scheme, _, sent = request.headers.get("Authorization", "").strip().partition(" ")
            if scheme.lower() != "bearer" or not sent.strip():      # the scheme is case-insensitive (RFC 9110)
                return AuthFailure(401, "unauthorized", "send your token as 'Authorization: Bearer <token>'").response()
            try:
                token = live_token(sent.strip(), scope)
            except AuthFailure as exc:
                return exc.response()
            g.member = token.member
            g.token_scopes = token.scopes.split()
            g.member_ref = token.member.public_id            # what the request log names
            return view(*args, **kwargs)
        return run
    return decorate
