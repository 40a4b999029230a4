"""Signing in by a link mailed to the member's address, and proving that address.

``request_link`` answers nothing about whether the address has an account: the caller shows the same
page either way. A link is random (only its SHA-256 is kept), works once, for ``LINK_LIFETIME``, and a
newer link for the same member ends the older ones. Using one proves the address (``verify``)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from .accounts import hash_token
from .database import writing
from .messages import Notices, queue, sign_in_message
from .models import Member, SignInLink, utcnow

LINK_PREFIX = "sil_"
LINK_LIFETIME = timedelta(minutes=15)


class LinkState(StrEnum):
    """What a sign-in link is when opened."""
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Opened:
    state: LinkState
    link: SignInLink | None = None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def verify(member: Member, now: datetime | None = None) -> None:
    """The member's address is proven now (a link mailed to it was used)."""
    if member.email_verified_at is None:
        member.email_verified_at = now or utcnow()


def new_link(session: Session, member: Member, now: datetime | None = None) -> str:
    """A new sign-in link's token for the member, ending their older links; inside the caller's transaction."""
    now = now or utcnow()
    writing(session)
    session.execute(update(SignInLink).where(SignInLink.member_id == member.id, SignInLink.ended.is_(None))
                    .values(ended=LinkState.SUPERSEDED, ended_at=now))
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    session.add(SignInLink(member_id=member.id, token_hash=hash_token(token), created_at=now,
                           expires_at=now + LINK_LIFETIME))
    session.flush()
    return token


def request_link(session: Session, email: str, notices: Notices, now: datetime | None = None) -> bool:
    """Mail a sign-in link to ``email`` if it is a member's who may sign in; whether one was queued (the
    caller must not tell anyone). Committed."""
    member = session.scalar(select(Member).where(Member.email == email.strip().lower()))
    if member is None or member.deactivated_at is not None or not notices.mail:
        session.rollback()
        return False
    token = new_link(session, member, now)
    subject, text = sign_in_message(notices, f"/login/email/{token}", LINK_LIFETIME)
    queue(session, notices, member.id, member.email, subject, text, "sign_in")
    session.commit()
    return True


def open_link(session: Session, token: str, now: datetime | None = None) -> Opened:
    """What the link is now (nothing is changed)."""
    if not token.startswith(LINK_PREFIX):
        return Opened(LinkState.UNKNOWN)
    link = session.scalar(select(SignInLink).where(SignInLink.token_hash == hash_token(token)))
    if link is None:
        return Opened(LinkState.UNKNOWN)
    if link.ended:
        return Opened(LinkState(link.ended), link)
    if _aware(link.expires_at) <= (now or utcnow()):
        return Opened(LinkState.EXPIRED, link)
    return Opened(LinkState.VALID, link)


def use_link(session: Session, token: str, now: datetime | None = None) -> tuple[Opened, Member | None]:
    """Use the link: (what it was, its member if it was valid and the member may sign in). A valid link is
    used up here, whatever follows, and proves the address. Committed."""
    now = now or utcnow()
    writing(session)
    opened = open_link(session, token, now)
    if opened.state != LinkState.VALID or opened.link is None:
        session.rollback()
        return opened, None
    claimed = session.execute(update(SignInLink).where(SignInLink.id == opened.link.id, SignInLink.ended.is_(None))
                              .values(ended=LinkState.USED, ended_at=now))
    member = session.get(Member, opened.link.member_id)
    if cast(CursorResult, claimed).rowcount != 1 or member is None:            # another request used it a moment before
        session.rollback()
        return Opened(LinkState.USED, opened.link), None
    if member.deactivated_at is not None:
        session.commit()
        return opened, None
    verify(member, now)
    session.commit()
    return opened, member
