"""Mentors: who may see which record, grants and invitations, and the member's audit trail.

A member grants a mentor one record, or all their records, by e-mail address. An address whose
account is proven (verified) is granted at once; any other gets an invitation, mailed to that
address and to no one else (a random token, only its SHA-256 kept, never in an answer or a page).
Opening it proves the address: accepting makes or signs in that account and accepts that one
invitation; others to the same address are accepted one by one by the signed-in, proven account.
A member cannot be their own mentor. A grant is live until it is revoked or its expiry passes; every
query for a mentor's access checks both, so nothing of a record is shown a moment after. What a
caller may not see is answered exactly as a record that does not exist (404), to owner and
stranger alike.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from enum import StrEnum

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..errors import BadRequest, Forbidden, NotFound, Unusable
from .accounts import hash_token
from .database import writing
from .messages import Notices, granted, queue
from .sign_in import proven_member
from .models import AuditEvent, CpdRecord, Member, MentorGrant, aware, iso_utc, utcnow

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
ACTIONS = {
    "granted": "granted access", "invited": "sent an invitation", "accepted": "accepted the invitation",
    "revoked": "revoked access", "viewed": "viewed the record", "downloaded": "downloaded the workbook",
    "commented": "commented", "verified": "verified an activity", "removed": "removed an annotation",
}


class GrantState(StrEnum):
    """Where a mentor's grant is: waiting for its invitation to be accepted, in force, revoked, expired."""
    INVITED = "invited"
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Access:
    """A record the caller may see, and as whom: ``owner``, or ``mentor`` through ``grant``."""
    record: CpdRecord
    role: str
    grant: MentorGrant | None = None

    @property
    def owner(self) -> bool:
        return self.role == "owner"


def not_ended(now: datetime | None = None):
    """The SQL condition for a grant neither revoked nor expired (accepted or still an invitation)."""
    return and_(MentorGrant.revoked_at.is_(None),
                or_(MentorGrant.expires_at.is_(None), MentorGrant.expires_at > (now or utcnow())))


def live(now: datetime | None = None):
    """The SQL condition for a grant that is in force: accepted, not revoked, not expired."""
    return and_(MentorGrant.mentor_id.is_not(None), not_ended(now))


def covers(record: CpdRecord):
    """The SQL condition for a grant that covers ``record``: that one, or all its member's records."""
    return and_(MentorGrant.member_id == record.member_id,
                or_(MentorGrant.record_id == record.id, MentorGrant.record_id.is_(None)))


def audit(session: Session, member_id: int, action: str, *, actor_id: int | None = None,
          grant_id: int | None = None, record_id: int | None = None) -> None:
    """Add a line to the member's audit trail (inside the caller's transaction)."""
    session.add(AuditEvent(member_id=member_id, action=action, actor_id=actor_id, grant_id=grant_id,
                           record_id=record_id, at=utcnow()))


def access(session: Session, actor_id: int, record_public_id: str) -> Access | None:
    """The caller's access to the record: as its owner, as a mentor with a live grant, or none."""
    record = session.scalar(select(CpdRecord).where(CpdRecord.public_id == record_public_id))
    if record is None:
        return None
    if record.member_id == actor_id:
        return Access(record, "owner")
    grant = session.scalar(select(MentorGrant).where(MentorGrant.mentor_id == actor_id, covers(record), live())
                           .order_by(MentorGrant.id).limit(1))
    return Access(record, "mentor", grant) if grant is not None else None


def visible(session: Session, actor_id: int, record_public_id: str, *, owner_only: bool = False) -> Access:
    """The record as the caller may see it: NotFound if they may not (exactly as a record that does not
    exist), Forbidden (``owner_only``) when a mentor asks for what only its owner may do."""
    acc = access(session, actor_id, record_public_id)
    if acc is None:
        raise NotFound("not_found", "no such record")
    if owner_only and not acc.owner:
        raise Forbidden("owner_only", "only the record's owner can do this")
    return acc


def parse_expiry(raw) -> datetime | None:
    """An expiry as the API and the form give it: a date (the grant ends at that day's end, UTC) or a
    date and time; None when blank."""
    if raw in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        raise BadRequest("bad_expiry", "expires must be a date such as 2027-06-30") from None
    if moment.tzinfo is None:
        moment = (datetime.combine(moment.date(), time(23, 59, 59)) if len(str(raw)) <= 10 else moment)
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def normal_email(email) -> str:
    if not isinstance(email, str) or not EMAIL_RE.match(email.strip()) or len(email.strip()) > 320:
        raise BadRequest("bad_email", "give the mentor's e-mail address, such as mentor@example.org")
    return email.strip().lower()


def grant(session: Session, member: Member, email: str, record: CpdRecord | None = None,
          expires_at: datetime | None = None) -> tuple[MentorGrant, str | None, bool]:
    """Grant the mentor at ``email`` one record (or all the member's): (grant, invitation token or None,
    created). At once to a proven account; to any other address, an invitation. A live grant to the same
    address for the same records is returned as it is."""
    email = normal_email(email)
    if email == member.email:
        raise Unusable("cannot_mentor_self", "that is your own address: a mentor is someone else")
    if expires_at is not None and expires_at <= utcnow():
        raise BadRequest("bad_expiry", "the expiry date must be in the future")
    same = session.scalar(select(MentorGrant).where(
        MentorGrant.member_id == member.id, MentorGrant.email == email,
        MentorGrant.record_id.is_(None) if record is None else MentorGrant.record_id == record.id, not_ended()))
    if same is not None:
        same.expires_at = expires_at
        return same, None, False
    found = session.scalar(select(Member).where(Member.email == email))
    mentor = found if found is not None and found.verified and found.deactivated_at is None else None
    token = None if mentor else "inv_" + secrets.token_urlsafe(24)
    row = MentorGrant(public_id="gr_" + secrets.token_urlsafe(9), member_id=member.id,
                      record_id=record.id if record else None, mentor_id=mentor.id if mentor else None, email=email,
                      invite_hash=hash_token(token) if token else None, expires_at=expires_at,
                      accepted_at=None if token else utcnow())
    session.add(row)
    session.flush()
    audit(session, member.id, "invited" if token else "granted", actor_id=member.id, grant_id=row.id,
          record_id=record.id if record else None)
    return row, token, True


@dataclass(frozen=True)
class Shared:
    """What sharing a record with a mentor did: the grant, whether it is new, and whether the mentor was
    e-mailed (the invitation, if any, goes only there)."""
    grant: MentorGrant
    created: bool
    notified: bool


def share(session: Session, member: Member, email, record: CpdRecord | None, expires, notices: Notices) -> Shared:
    """Grant the mentor at ``email`` one record (or all the member's), and queue their e-mail (when mail is
    set up) in the same transaction: the API and the page both come here. Committed. Raises BadRequest,
    Unusable (``cannot_mentor_self``)."""
    expires_at = parse_expiry(expires)
    writing(session)
    row, token, created = grant(session, member, email, record, expires_at)
    notified = False
    if created:
        subject, text = granted(notices, member.shown_name, "one CPD record" if record else "all their CPD records",
                                f"/invitations/{token}" if token else None)
        notified = queue(session, notices, None, row.email, subject, text, "granted")
    session.commit()
    return Shared(row, created, notified)


def revoke(session: Session, member: Member, grant_public_id: str,
           record: CpdRecord | None = None) -> MentorGrant | None:
    """End the member's grant now (None if the member has no such grant)."""
    row = session.scalar(select(MentorGrant).where(MentorGrant.public_id == grant_public_id,
                                                   MentorGrant.member_id == member.id))
    if row is None or (record is not None and row.record_id != record.id):
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.invite_hash = None
        audit(session, member.id, "revoked", actor_id=member.id, grant_id=row.id, record_id=row.record_id)
    return row


def invitation(session: Session, token: str) -> MentorGrant | None:
    """The grant an invitation token is for, while it can still be accepted."""
    if not token or not token.startswith("inv_"):
        return None
    row = session.scalar(select(MentorGrant).options(joinedload(MentorGrant.member))
                         .where(MentorGrant.invite_hash == hash_token(token)))
    return row if row is not None and grant_state(row) == GrantState.INVITED else None


def accept(session: Session, row: MentorGrant, name: str | None) -> tuple[Member | None, bool]:
    """Accept an invitation opened from its mail: that proves the address, so the account for it is made
    (created True) or found, and proven. Only this invitation is accepted; it cannot be used again.
    (None, False) for a deactivated account."""
    mentor, created = proven_member(session, row.email, name)
    if mentor is None:
        return None, False
    if not mentor.name and name:
        mentor.name = name.strip()[:120] or None
    _accept_one(session, row, mentor)
    return mentor, created


def _accept_one(session: Session, row: MentorGrant, mentor: Member) -> None:
    row.mentor_id, row.accepted_at, row.invite_hash = mentor.id, utcnow(), None
    audit(session, row.member_id, "accepted", actor_id=mentor.id, grant_id=row.id, record_id=row.record_id)


def waiting_for(session: Session, mentor: Member) -> list[MentorGrant]:
    """Invitations to the member's address that wait for their yes (only a proven address is offered any)."""
    if not mentor.verified:
        return []
    rows = session.scalars(select(MentorGrant).options(joinedload(MentorGrant.member))
                           .where(MentorGrant.email == mentor.email, MentorGrant.mentor_id.is_(None), not_ended(),
                                  MentorGrant.member_id != mentor.id).order_by(MentorGrant.id)).all()
    return list(rows)


def say_yes(session: Session, mentor: Member, grant_public_id: str) -> MentorGrant | None:
    """The signed-in, proven account accepts one invitation to its address (None: no such invitation for
    them). In the caller's transaction."""
    row = next((r for r in waiting_for(session, mentor) if r.public_id == grant_public_id), None)
    if row is not None:
        writing(session)
        _accept_one(session, row, mentor)
    return row


def grants_of(session: Session, member_id: int) -> list[MentorGrant]:
    """The member's grants, newest first."""
    return list(session.scalars(select(MentorGrant).options(joinedload(MentorGrant.mentor),
                                                            joinedload(MentorGrant.record))
                                .where(MentorGrant.member_id == member_id).order_by(MentorGrant.id.desc())))


def mentee_count(session: Session, mentor_id: int) -> int:
    """How many members have a live grant to the mentor."""
    return session.scalar(select(func.count(func.distinct(MentorGrant.member_id)))
                          .where(MentorGrant.mentor_id == mentor_id, live())) or 0


def mentees(session: Session, mentor_id: int) -> list[tuple[Member, list[CpdRecord]]]:
    """The mentor's mentees, each with the records their live grants cover."""
    grants = session.scalars(select(MentorGrant).options(joinedload(MentorGrant.member))
                             .where(MentorGrant.mentor_id == mentor_id, live()).order_by(MentorGrant.id)).all()
    out: dict[int, tuple[Member, dict[int, CpdRecord]]] = {}
    for g in grants:
        member, records = out.setdefault(g.member_id, (g.member, {}))
        found = (session.scalars(select(CpdRecord).where(CpdRecord.member_id == g.member_id)
                                 .order_by(CpdRecord.period_start.desc())).all()
                 if g.record_id is None else [g.record] if g.record else [])
        for r in found:
            records[r.id] = r
    return [(m, sorted(recs.values(), key=lambda r: r.period_start, reverse=True)) for m, recs in out.values()]



def grant_state(row: MentorGrant) -> GrantState:
    if row.revoked_at is not None:
        return GrantState.REVOKED
    if row.expires_at is not None and aware(row.expires_at) <= utcnow():
        return GrantState.EXPIRED
    return GrantState.ACTIVE if row.mentor_id is not None else GrantState.INVITED


def grant_dict(row: MentorGrant) -> dict:
    return {"id": row.public_id, "email": row.email, "record": row.record.public_id if row.record else None,
            "scope": "record" if row.record_id else "all_records", "state": grant_state(row),
            "created_at": iso_utc(row.created_at), "expires_at": row.expires_at and iso_utc(row.expires_at),
            "revoked_at": row.revoked_at and iso_utc(row.revoked_at)}


def trail(session: Session, member_id: int, limit: int = 500) -> list[dict]:
    """The member's audit trail, newest first: when, who (themselves, a mentor, or a former mentor), what."""
    events = session.scalars(select(AuditEvent).options(joinedload(AuditEvent.actor), joinedload(AuditEvent.grant),
                                                        joinedload(AuditEvent.record))
                             .where(AuditEvent.member_id == member_id)
                             .order_by(AuditEvent.id.desc()).limit(limit)).all()
    out = []
    for e in events:
        if e.actor_id == member_id:
            who = "you"
        elif e.actor is not None:
            who = e.actor.shown_name
        else:
            who = "a former mentor"
        out.append({"at": iso_utc(e.at), "who": who, "action": e.action, "what": ACTIONS.get(e.action, e.action),
                    "mentor": e.grant.email if e.grant else None, "grant": e.grant.public_id if e.grant else None,
                    "record": e.record.public_id if e.record else None,
                    "record_profile": e.record.profile_id if e.record else None,
                    "record_start": e.record.period_start.isoformat() if e.record else None,
                    "record_end": e.record.period_end.isoformat() if e.record else None})
    return out


VISIT = timedelta(minutes=30)          # a mentor's view within this of their last line on the record: one visit
ON_THE_PAGE = ("viewed", "commented", "verified", "removed")     # what a mentor does on the record's page


def seen(session: Session, acc: Access, actor_id: int, action: str = "viewed") -> None:
    """A mentor's access, in the member's audit trail (the owner's own is not). A view is one line per visit:
    the page shown again after the mentor's own comment or verification (or a reload) within ``VISIT`` of
    their last line on this record adds none; a download always does."""
    if not acc.owner and acc.grant is not None:
        if action == "viewed":
            last = session.scalar(select(func.max(AuditEvent.at)).where(
                AuditEvent.member_id == acc.record.member_id, AuditEvent.actor_id == actor_id,
                AuditEvent.record_id == acc.record.id, AuditEvent.action.in_(ON_THE_PAGE)))
            if last is not None and aware(last) > utcnow() - VISIT:
                return
        writing(session)
        audit(session, acc.record.member_id, action, actor_id=actor_id, grant_id=acc.grant.id,
              record_id=acc.record.id)
        session.commit()
