"""Members, their API tokens and their signed-in browsers. A token is random, shown once, stored only as a
SHA-256, named, scoped, optionally expiring and revocable; a web session's key likewise. Failed tries are
counted by the caller's limiter: a good token is always taken, a bad one is counted per address and per
token prefix. A deactivated member's tokens and sessions stop at once."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import cast

from sqlalchemy import CursorResult, bindparam, delete, select, update
from sqlalchemy.orm import Session, joinedload

from ..errors import Forbidden, Limited, Unauthenticated
from .database import writing
from .driver import direct
from .models import ApiToken, Member, WebSession, aware, iso_utc, utcnow

TOKEN_PREFIX = "cpd_"
TOUCH_EVERY = timedelta(minutes=5)           # how often a token's "last used" time is written


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


SCOPES = ("read", "submit")
RECENT_SIGN_IN = timedelta(minutes=10)      # what erasure, passkeys and new tokens ask of a session


def new_member(email: str, name: str | None = None) -> Member:
    """A member not yet added to any session, with a new public id."""
    return Member(email=email.strip().lower(), public_id="m_" + secrets.token_hex(8),
                  name=(name or "").strip()[:120] or None)


def create_member(session: Session, email: str, name: str | None = None) -> Member:
    writing(session)
    member = new_member(email, name)
    session.add(member)
    session.flush()
    return member


def member_of(session: Session, member_id: int) -> Member:
    """The member with this id; one erased since their credential was checked is no longer known."""
    member = session.get(Member, member_id)
    if member is None:
        raise Unauthenticated("unauthorized", "the token's member is no longer known (erased)")
    return member


def issue_token(session: Session, member: Member, scopes: str = "submit read", name: str | None = None,
                expires_at: datetime | None = None) -> str:
    """A new token for the member; the only time it is ever seen."""
    return make_token(session, member.id, scopes, name, expires_at)[1]


def make_token(session: Session, member_id: int, scopes: str = "submit read", name: str | None = None,
               expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for the member: (its row, the secret, the only time it is ever seen)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    writing(session)
    row = ApiToken(member_id=member_id, public_id="tok_" + secrets.token_hex(6), prefix=token[:12],
                   token_hash=hash_token(token), scopes=scopes, name=(name or "").strip()[:100] or None,
                   expires_at=expires_at)
    session.add(row)
    session.flush()
    return row, token


def tokens_of(session: Session, member_id: int) -> list[ApiToken]:
    """The member's tokens that still work, newest first."""
    now = utcnow()
    rows = session.scalars(select(ApiToken).where(ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None))
                           .order_by(ApiToken.id.desc())).all()
    return [r for r in rows if r.expires_at is None or aware(r.expires_at) > now]


def revoke_token(session: Session, member_id: int, public_id: str) -> bool:
    """Revoke one of the member's tokens by its id; False if they have no such token. In the caller's
    transaction."""
    writing(session)
    done = session.execute(update(ApiToken).where(ApiToken.member_id == member_id, ApiToken.public_id == public_id,
                                                  ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return cast(CursorResult, done).rowcount == 1


def revoke_all_tokens(session: Session, member_id: int) -> int:
    """Revoke every token of the member (their sessions made from them end too). In the caller's transaction."""
    writing(session)
    done = session.execute(update(ApiToken).where(ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    return cast(CursorResult, done).rowcount


def token_dict(row: ApiToken) -> dict:
    return {"id": row.public_id, "name": row.name, "prefix": row.prefix, "scopes": row.scopes.split(),
            "created_at": iso_utc(row.created_at), "expires_at": row.expires_at and iso_utc(row.expires_at),
            "last_used_at": row.last_used_at and iso_utc(row.last_used_at)}


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
                     ApiToken.expires_at, Member.public_id, Member.deactivated_at)
              .join(Member, Member.id == ApiToken.member_id)
              .where(ApiToken.token_hash == bindparam("token_hash")))


class Failures:
    """How a caller counts failed tries: ``over(keys)`` (seconds to wait, or None) and ``hit(keys)``."""

    def __init__(self, over: Callable[..., float | None], hit: Callable[..., object]):
        self.over, self.hit = over, hit


def live_token(session: Session, sent: str, scope: str, failures: Failures, address: str,
               end_read: bool = True) -> LiveToken:
    """The live token ``sent`` is, with ``scope``. A good token is always taken; a bad one is counted per
    address and per token prefix (``failures``), and past the limit the bad ones are Limited instead of
    Unauthenticated: a client's bad tries never lock out good tokens from its address. The read is ended
    before this returns, so nothing stays open while the caller works, unless ``end_read`` is False: for a
    caller whose next step is a read that ends it (an upload's check for an earlier submission)."""
    found = direct(session.connection(), LIVE_TOKEN, {"token_hash": hash_token(sent)}) if sent else None
    token = found[0] if found else None
    if end_read:
        session.commit()
    if token is not None and token.deactivated_at is not None:
        raise Unauthenticated("deactivated", "this account has been deactivated by an administrator")
    if token is None or token.revoked_at is not None or (token.expires_at is not None
                                                          and aware(token.expires_at) <= utcnow()):
        keys = (address, "prefix:" + sent[:12])
        wait = failures.over(*keys)
        if wait:
            raise Limited("rate_limited", f"too many failed sign-ins; try again in {int(wait) + 1} s", wait)
        failures.hit(*keys)
        raise Unauthenticated("unauthorized", "the token is not valid (unknown, expired or revoked)")
    if scope not in token.scopes.split():
        raise Forbidden("forbidden", f"the token lacks the '{scope}' scope")
    last = token.last_used_at
    stale = last is None or aware(last) < utcnow() - TOUCH_EVERY
    return LiveToken(token.id, token.member_id, token.scopes, MemberRef(token.member_id, token.public_id), stale)


TOUCH = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


def touch(session: Session, token_id: int) -> None:
    """Note the token as used now, inside the caller's writing transaction."""
    direct(session.connection(), TOUCH, {"token_id": token_id, "now": utcnow()})



# -- signed-in browsers ----------------------------------------------------------------------------
def start_session(session: Session, member_id: int, lifetime: timedelta, *, method: str,
                  token: LiveToken | None = None, now: datetime | None = None) -> str:
    """A new server-side session for the member, made by ``method`` (token | email | invitation; from
    ``token`` it may do what the token may, else everything): its random key (the cookie's), of which only
    the SHA-256 is kept. Sessions past their expiry are cleared out at the same time. Committed."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    writing(session)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(key_hash=hash_token(key), member_id=member_id, token_id=token.id if token else None,
                           method=method, scopes=token.scopes if token else " ".join(SCOPES),
                           created_at=now, authenticated_at=now, expires_at=now + lifetime))
    session.commit()
    return key


def live_session(session: Session, key: str | None, now: datetime | None = None) -> WebSession | None:
    """The browser's live session for its cookie's key: not signed out, the token it was made from (if
    any) not revoked, its member neither erased nor deactivated, not expired."""
    if not key:
        return None
    row = session.scalar(select(WebSession).options(joinedload(WebSession.token), joinedload(WebSession.member))
                         .where(WebSession.key_hash == hash_token(key)))
    if row is None or (row.token is not None and row.token.revoked_at is not None):
        return None
    if row.member.deactivated_at is not None:
        return None
    return row if aware(row.expires_at) > (now or utcnow()) else None


def recent(row: WebSession, now: datetime | None = None) -> bool:
    """Whether the session's sign-in was within ``RECENT_SIGN_IN``."""
    at = row.authenticated_at or row.created_at
    return aware(at) > (now or utcnow()) - RECENT_SIGN_IN


def sessions_of(session: Session, member_id: int) -> list[WebSession]:
    """The member's signed-in browsers, newest first."""
    return list(session.scalars(select(WebSession).where(WebSession.member_id == member_id,
                                                         WebSession.expires_at > utcnow())
                                .order_by(WebSession.id.desc())))


def end_all_sessions(session: Session, member_id: int) -> int:
    """Sign the member out everywhere (in the caller's transaction)."""
    writing(session)
    done = session.execute(delete(WebSession).where(WebSession.member_id == member_id))
    return cast(CursorResult, done).rowcount


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
