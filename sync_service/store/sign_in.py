"""Signing in by a link mailed to the member's address, and proving that address.

``request_link`` answers nothing about whether the address has an account: the caller shows the same
page either way. A link is random (only its SHA-256 is kept), works once, for ``LINK_LIFETIME``, and a
newer link for the same member ends the older ones. Using one proves the address (``verify``)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from .accounts import create_member, hash_token
from .database import writing
from ..errors import BadRequest, Conflict
from .messages import Notices, change_message, change_notice, invited_member, queue, queue_all, sign_in_message
from .models import Member, SignInLink, aware, utcnow

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



def verify(member: Member, now: datetime | None = None) -> None:
    """The member's address is proven now (a link mailed to it was used)."""
    if member.email_verified_at is None:
        member.email_verified_at = now or utcnow()


def proven_member(session: Session, email: str, name: str | None = None,
                  now: datetime | None = None) -> tuple[Member | None, bool]:
    """The account for an address just proven (by an invitation's link or the institution's verified claim):
    (found or made now, made), proven; (None, False) for a deactivated account. In the caller's writing
    transaction."""
    writing(session)
    member = session.scalar(select(Member).where(Member.email == email.strip().lower()))
    if member is not None and member.deactivated_at is not None:
        return None, False
    created = member is None
    if member is None:
        member = create_member(session, email, name)
    verify(member, now)
    return member, created


def new_link(session: Session, member: Member, now: datetime | None = None, new_email: str | None = None) -> str:
    """A new sign-in link's token for the member (with ``new_email``: one that moves them to that address),
    ending their older links; inside the caller's transaction."""
    now = now or utcnow()
    writing(session)
    session.execute(update(SignInLink).where(SignInLink.member_id == member.id, SignInLink.ended.is_(None))
                    .values(ended=LinkState.SUPERSEDED, ended_at=now))
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    session.add(SignInLink(member_id=member.id, token_hash=hash_token(token), created_at=now,
                           expires_at=now + LINK_LIFETIME, new_email=new_email))
    session.flush()
    return token


def request_link(session: Session, email: str, notices: Notices, now: datetime | None = None) -> bool:
    """Mail a sign-in link to ``email`` if it is a member's who may sign in; whether one was queued (the
    caller must not tell anyone). Committed."""
    member = session.scalar(select(Member).where(Member.email == email.strip().lower()))
    if member is None or member.deactivated_at is not None or not notices.mail:
        session.rollback()
        return False
    mail_link(session, member, notices, now)
    session.commit()
    return True


def mail_link(session: Session, member: Member, notices: Notices, now: datetime | None = None) -> bool:
    """Queue a new sign-in link to the member; False when mail is off. In the caller's transaction."""
    path = f"/login/email/{new_link(session, member, now)}"
    return queue(session, notices, member.id, member.email, *sign_in_message(notices, path, LINK_LIFETIME), "sign_in")


def mail_first_links(session: Session, members: list[Member], notices: Notices, now: datetime | None = None) -> bool:
    """Queue an admin's invitation to each member just made (flushed, with no older link to end), with their
    first sign-in link, in a few statements whatever the count; False (and no links) when mail is off. In
    the caller's transaction."""
    if not notices.mail or not members:
        return notices.mail
    now = now or utcnow()
    tokens = [LINK_PREFIX + secrets.token_urlsafe(32) for _ in members]
    session.add_all([SignInLink(member_id=m.id, token_hash=hash_token(t), created_at=now,
                                expires_at=now + LINK_LIFETIME) for m, t in zip(members, tokens)])
    return queue_all(session, notices, [(m.id, m.email, *invited_member(notices, f"/login/email/{t}"))
                                        for m, t in zip(members, tokens)], "invited")


def open_link(session: Session, token: str, now: datetime | None = None) -> Opened:
    """What the link is now (nothing is changed)."""
    if not token.startswith(LINK_PREFIX):
        return Opened(LinkState.UNKNOWN)
    link = session.scalar(select(SignInLink).where(SignInLink.token_hash == hash_token(token)))
    if link is None:
        return Opened(LinkState.UNKNOWN)
    if link.ended:
        return Opened(LinkState(link.ended), link)
    if aware(link.expires_at) <= (now or utcnow()):
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
    if opened.link.new_email:
        taken = session.scalar(select(Member.id).where(Member.email == opened.link.new_email, Member.id != member.id))
        if taken is not None:
            session.rollback()
            raise Conflict("email_taken", "another account has that address now")
        member.email, member.email_verified_at = opened.link.new_email, now
    verify(member, now)
    session.commit()
    return opened, member


def change_email(session: Session, member: Member, email: str, notices: Notices, now: datetime | None = None) -> bool:
    """Mail a link to ``email`` that moves the member to it once used (the address is proven by that);
    the old address is told. Nothing changes until then. Committed. BadRequest, Conflict."""
    email = email.strip().lower()
    if email == member.email:
        raise BadRequest("same_email", "that is your address already")
    if session.scalar(select(Member.id).where(Member.email == email)) is not None:
        raise Conflict("email_taken", "another account has that address")
    if not notices.mail:
        raise Conflict("mail_off", "this service cannot send e-mail, so an address cannot be proven: ask your "
                                   "CPD service administrator")
    token = new_link(session, member, now, new_email=email)
    subject, text = change_message(notices, f"/login/email/{token}", LINK_LIFETIME, email)
    queue(session, notices, member.id, email, subject, text, "change_email")
    subject, text = change_notice(email)
    queue(session, notices, member.id, member.email, subject, text, "change_email_notice")
    session.commit()
    return True
