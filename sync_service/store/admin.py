"""What admins do to members: find them, invite one or many (a mail with a sign-in link), deactivate and
reactivate (their sessions and tokens stop at once), send a new sign-in link, revoke all their tokens,
make or unmake an admin. Every action is a line of the admins' audit trail (``AdminEvent``), which holds
no record contents. ``actor`` None is the command line."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..errors import BadRequest, Conflict, NotFound
from .accounts import end_all_sessions, new_member, revoke_all_tokens
from .database import writing
from .mentoring import normal_email
from .messages import Notices
from .models import AdminEvent, Member, utcnow
from .sign_in import mail_first_links, mail_link

ACTIONS = {"invited": "invited", "deactivated": "deactivated", "reactivated": "reactivated",
           "sent_link": "sent a sign-in link to", "revoked_tokens": "revoked all tokens of",
           "made_admin": "made an admin:", "unmade_admin": "took admin rights from", "added": "added"}
CSV_COLUMNS = ("email", "name", "membership number", "grade")
LOOKUP_BATCH = 500                    # addresses looked up in one statement


def log(session: Session, actor: Member | None, subject: Member, action: str) -> None:
    session.add(AdminEvent(actor_id=actor.id if actor else None, subject_id=subject.id,
                           subject=subject.public_id, action=action, at=utcnow()))


def find(session: Session, ref: str) -> Member:
    """A member by e-mail address or public id; NotFound otherwise."""
    ref = ref.strip()
    member = session.scalar(select(Member).where(or_(Member.email == ref.lower(), Member.public_id == ref)))
    if member is None:
        raise NotFound("no_member", f"no member {ref}")
    return member


def search(session: Session, text: str = "", limit: int = 200) -> list[Member]:
    """Members whose address, name or membership number holds ``text``, by address."""
    query = select(Member).order_by(Member.email).limit(limit)
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(Member.email.like(like), func.lower(Member.name).like(like),
                                func.lower(Member.membership_number).like(like)))
    return list(session.scalars(query))


@dataclass(frozen=True)
class Invited:
    member: Member
    created: bool
    mailed: bool


@dataclass(frozen=True)
class Invitee:
    """Someone to invite: their address (as ``normal_email`` gives it) and what the admin gave about them."""
    email: str
    name: str | None = None
    number: str | None = None
    grade: str | None = None


def invite(session: Session, actor: Member | None, email: str, notices: Notices, name: str | None = None,
           number: str | None = None, grade: str | None = None) -> Invited:
    """Make the member (if new) and mail them a sign-in link; an address already there is left as it is
    (created False, nothing mailed). In the caller's transaction."""
    return invite_all(session, actor, [Invitee(normal_email(email), name, number, grade)], notices)[0]


def invite_all(session: Session, actor: Member | None, invitees: list[Invitee], notices: Notices) -> list[Invited]:
    """``invite`` for each invitee, in order (an address listed before in ``invitees`` is left as it is too),
    in a few statements whatever the count. In the caller's transaction."""
    writing(session)
    emails = list(dict.fromkeys(i.email for i in invitees))
    known = {m.email: m for start in range(0, len(emails), LOOKUP_BATCH)
             for m in session.scalars(select(Member).where(Member.email.in_(emails[start:start + LOOKUP_BATCH])))}
    made: dict[str, Member] = {}
    for i in invitees:
        if i.email not in known and i.email not in made:
            made[i.email] = member = new_member(i.email, i.name)
            member.membership_number = (i.number or "").strip()[:40] or None
            member.grade = (i.grade or "").strip()[:60] or None
    session.add_all(made.values())
    session.flush()
    for member in made.values():
        log(session, actor, member, "invited")
    mailed = mail_first_links(session, list(made.values()), notices)
    done, told = [], set()
    for i in invitees:
        created = i.email in made and i.email not in told
        told.add(i.email)
        done.append(Invited(made[i.email] if i.email in made else known[i.email], created, created and mailed))
    return done


def invite_csv(session: Session, actor: Member | None, text: str, notices: Notices) -> list[dict]:
    """Invite everyone in a CSV (``email,name,membership number,grade``; a header row is optional): a line
    of the report for each row (row, email, outcome: invited | already_there | refused, why). Committed."""
    report: list[dict] = []
    rows = list(csv.reader(io.StringIO(text)))
    if rows and rows[0] and rows[0][0].strip().lower() in ("email", "e-mail", "email address"):
        rows = rows[1:]
        start = 2
    else:
        start = 1
    invitees: list[tuple[int, Invitee]] = []
    for n, row in enumerate(rows, start=start):
        if not any(cell.strip() for cell in row):
            continue
        cells = [c.strip() for c in row] + [""] * (4 - len(row))
        if len(row) > 4:
            report.append({"row": n, "email": cells[0], "outcome": "refused",
                           "why": f"{len(row)} columns; expected {', '.join(CSV_COLUMNS)}"})
            continue
        try:
            invitees.append((n, Invitee(normal_email(cells[0]), cells[1] or None, cells[2] or None, cells[3] or None)))
        except BadRequest:
            report.append({"row": n, "email": cells[0], "outcome": "refused", "why": "not an e-mail address"})
    seen: set[str] = set()
    for (n, invitee), done in zip(invitees, invite_all(session, actor, [i for _, i in invitees], notices)):
        if not done.created:
            why = "listed twice in this file" if invitee.email in seen else "a member already has this address"
            report.append({"row": n, "email": invitee.email, "outcome": "already_there", "why": why})
        else:
            report.append({"row": n, "email": invitee.email, "outcome": "invited",
                           "why": "" if done.mailed else "mail is not set up: no link was sent"})
        seen.add(invitee.email)
    session.commit()
    return sorted(report, key=lambda line: line["row"])


def deactivate(session: Session, actor: Member | None, member: Member, now: datetime | None = None) -> None:
    """The member can no longer sign in; their sessions end and their tokens stop at once. In the caller's
    transaction."""
    if actor is not None and actor.id == member.id:
        raise Conflict("own_account", "an admin cannot deactivate their own account")
    writing(session)
    if member.deactivated_at is None:
        member.deactivated_at = now or utcnow()
        end_all_sessions(session, member.id)
        log(session, actor, member, "deactivated")


def reactivate(session: Session, actor: Member | None, member: Member) -> None:
    writing(session)
    if member.deactivated_at is not None:
        member.deactivated_at = None
        log(session, actor, member, "reactivated")


def send_link(session: Session, actor: Member | None, member: Member, notices: Notices) -> bool:
    """Mail the member a new sign-in link (their older ones end); False when mail is off."""
    if member.deactivated_at is not None:
        raise Conflict("deactivated", "the member is deactivated: reactivate them first")
    writing(session)
    log(session, actor, member, "sent_link")
    return mail_link(session, member, notices)


def revoke_tokens(session: Session, actor: Member | None, member: Member) -> int:
    n = revoke_all_tokens(session, member.id)
    log(session, actor, member, "revoked_tokens")
    return n


def set_admin(session: Session, actor: Member | None, member: Member, on: bool) -> None:
    if actor is not None and actor.id == member.id and not on:
        raise Conflict("own_account", "an admin cannot take their own admin rights")
    writing(session)
    if member.is_admin != on:
        member.is_admin = on
        log(session, actor, member, "made_admin" if on else "unmade_admin")


def trail(session: Session, limit: int = 500) -> list[dict]:
    """The admins' audit trail, newest first: when, who, what, to whom (by public id and address)."""
    events = session.scalars(select(AdminEvent).options(joinedload(AdminEvent.actor), joinedload(AdminEvent.member))
                             .order_by(AdminEvent.id.desc()).limit(limit)).all()
    return [{"at": e.at, "who": e.actor.email if e.actor else "the command line",
             "what": ACTIONS.get(e.action, e.action), "action": e.action, "subject": e.subject,
             "email": e.member.email if e.member else None} for e in events]
