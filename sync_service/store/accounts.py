"""Members, their API tokens and their signed-in browsers. A token is random, shown once, stored only as a
SHA-256 and revocable; a web session's key likewise. Failed tries are counted by the caller's limiter:
a good token is always taken, a bad one is counted per address and per token prefix."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session, joinedload

from ..errors import Forbidden, Limited, Unauthenticated
from .database import writing
from .models import ApiToken, Member, WebSession, utcnow

TOKEN_PREFIX = "cpd_"
TOUCH_EVERY = timedelta(minutes=5)           # how often a token's "last used" time is written


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_member(session: Session, email: str) -> Member:
    writing(session)
    member = Member(email=email.strip().lower(), public_id="m_" + secrets.token_hex(8))
    session.add(member)
    session.flush()
    return member


def member_of(session: Session, member_id: int) -> Member:
    """The member with this id; one erased since their credential was checked is no longer known."""
    member = session.get(Member, member_id)
    if member is None:
        raise Unauthenticated("unauthorized", "the token's member is no longer known (erased)")
    return member


def issue_token(session: Session, member: Member, scopes: str = "submit read") -> str:
    """A new token for the member; the only time it is ever seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    writing(session)
    session.add(ApiToken(member_id=member.id, prefix=token[:12], token_hash=hash_token(token), scopes=scopes))
    session.flush()
    return token


def revoke(session: Session, token: str) -> bool:
    writing(session)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at:
        return False
    row.revoked_at = utcnow()
    return True


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
    stale: bool                       # its "last used" is older than TOUCH_EVERY: note this use (``touch``)


# The token and its member in one Core query (the hot path of every API request).
LIVE_TOKEN = (select(ApiToken.id, ApiToken.member_id, ApiToken.scopes, ApiToken.revoked_at, ApiToken.last_used_at,
                     Member.public_id).join(Member, Member.id == ApiToken.member_id)
              .where(ApiToken.token_hash == bindparam("token_hash")))


class Failures:
    """How a caller counts failed tries: ``over(keys)`` (seconds to wait, or None) and ``hit(keys)``."""

    def __init__(self, over: Callable[..., float | None], hit: Callable[..., object]):
        self.over, self.hit = over, hit


def live_token(session: Session, sent: str, scope: str, failures: Failures, address: str) -> LiveToken:
    """The live token ``sent`` is, with ``scope``. A good token is always taken; a bad one is counted per
    address and per token prefix (``failures``), and past the limit the bad ones are Limited instead of
    Unauthenticated: a client's bad tries never lock out good tokens from its address. The read is ended
    before this returns: nothing stays open while the caller works."""
    token = session.connection().execute(LIVE_TOKEN, {"token_hash": hash_token(sent)}).first() if sent else None
    session.commit()
    if token is None or token.revoked_at is not None:
        keys = (address, "prefix:" + sent[:12])
        wait = failures.over(*keys)
        if wait:
            raise Limited("rate_limited", f"too many failed sign-ins; try again in {int(wait) + 1} s", wait)
        failures.hit(*keys)
        raise Unauthenticated("unauthorized", "the token is not valid (unknown or revoked)")
    if scope not in token.scopes.split():
        raise Forbidden("forbidden", f"the token lacks the '{scope}' scope")
    last = token.last_used_at
    stale = last is None or _aware(last) < utcnow() - TOUCH_EVERY
    return LiveToken(token.id, token.member_id, token.scopes, MemberRef(token.member_id, token.public_id), stale)


def touch(session: Session, token_id: int) -> None:
    """Note the token as used now, inside the caller's writing transaction."""
    session.connection().execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- signed-in browsers ----------------------------------------------------------------------------
def start_session(session: Session, token: LiveToken, lifetime: timedelta) -> str:
    """A new server-side session made from ``token``: its random key (the cookie's), of which only the SHA-256
    is kept. Sessions past their expiry are cleared out at the same time. Committed."""
    key = secrets.token_urlsafe(32)
    writing(session)
    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    session.add(WebSession(key_hash=hash_token(key), member_id=token.member_id, token_id=token.id,
                           expires_at=utcnow() + lifetime))
    session.commit()
    return key


def live_session(session: Session, key: str | None) -> WebSession | None:
    """The browser's live session for its cookie's key: not signed out, its token not revoked, its member not
    erased, not expired."""
    if not key:
        return None
    row = session.scalar(select(WebSession).options(joinedload(WebSession.token), joinedload(WebSession.member))
                         .where(WebSession.key_hash == hash_token(key)))
    if row is None or row.token.revoked_at is not None:
        return None
    return row if _aware(row.expires_at) > utcnow() else None


def end_session(session: Session, key: str) -> None:
    """Sign the browser out: its session is gone at once. Committed."""
    writing(session)
    session.execute(delete(WebSession).where(WebSession.key_hash == hash_token(key)))
    session.commit()


def erase(session: Session, member: Member) -> None:
    """Delete the member and everything stored about them (records, submissions, jobs, tokens, sessions,
    grants): the database's cascades take the rest. Committed."""
    writing(session)
    session.delete(member)
    session.commit()
