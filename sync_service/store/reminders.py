"""Deadline reminders, opted into per member: an e-mail 60, 30 and 7 days before the end of each of their
records' periods while the record's newest version is not ready, saying what is still needed (the
planner's actions). Each deadline and threshold is sent once (``ReminderSent``, unique), whichever worker
finds it; a record whose worker was away past a threshold gets only the nearest one. Stopped by the
member on their settings page or by the link in any reminder."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from addin import CpdError, Verdict, plan_for, record_from_data

from .database import writing
from .messages import Notices, queue, reminder_message
from .models import CpdRecord, Member, ReminderSent, utcnow
from .records import contents, latest

THRESHOLDS = (60, 30, 7)              # days before a deadline


def stop_token(secret: str, member: Member) -> str:
    """The stop link's token: the member's public id and an HMAC of it (nothing to store, nothing to guess)."""
    mac = hmac.new(secret.encode(), f"reminders:{member.public_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{member.public_id}.{mac}"


def stop(session: Session, secret: str, token: str) -> Member | None:
    """Stop the reminders the token is for (None: not a good token). In the caller's transaction."""
    public_id, _, mac = token.partition(".")
    member = session.scalar(select(Member).where(Member.public_id == public_id))
    if member is None or not hmac.compare_digest(stop_token(secret, member), token):
        return None
    writing(session)
    member.reminders = False
    return member


def due(days_left: int) -> int | None:
    """The nearest threshold a record ``days_left`` days from its deadline has reached (None: none yet)."""
    reached = [t for t in THRESHOLDS if 0 <= days_left <= t]
    return min(reached) if reached else None


def send_due(session: Session, notices: Notices, secret: str, now: datetime | None = None) -> int:
    """Queue every reminder due now (each in the transaction that marks it sent); how many were queued."""
    today = (now or utcnow()).date()
    horizon = today + timedelta(days=max(THRESHOLDS))
    rows = session.execute(select(CpdRecord, Member).join(Member, Member.id == CpdRecord.member_id)
                           .where(Member.reminders.is_(True), Member.deactivated_at.is_(None),
                                  CpdRecord.period_end >= today, CpdRecord.period_end <= horizon)).all()
    session.commit()
    queued = 0
    for record, member in rows:
        threshold = due((record.period_end - today).days)
        if threshold is None or not notices.mail:
            continue
        version = latest(session, record.id)
        if version is None or version.verdict != Verdict.NOT_READY:
            continue
        sent = set(session.scalars(select(ReminderSent.threshold).where(
            ReminderSent.record_id == record.id, ReminderSent.deadline == record.period_end)))
        if threshold in sent:
            session.commit()
            continue
        text = _what_to_do(version, today)
        writing(session)
        for t in THRESHOLDS:                          # the ones passed over are marked too: never sent late
            if t >= threshold and t not in sent:
                session.add(ReminderSent(record_id=record.id, deadline=record.period_end, threshold=t))
        try:
            session.flush()
        except IntegrityError:                        # sent already (by this worker or another)
            session.rollback()
            continue
        subject, body = reminder_message(notices, record.period_end, (record.period_end - today).days, text,
                                         f"/records/{record.public_id}",
                                         f"/reminders/stop/{stop_token(secret, member)}")
        queue(session, notices, member.id, member.email, subject, body, "reminder")
        session.commit()
        queued += 1
    return queued


def _what_to_do(version, today: date) -> list[str]:
    try:
        record, profile = record_from_data(contents(version)["record"])
    except CpdError:
        return []
    plan = plan_for(record, profile, today)
    return [a.describe(profile.unit) for a in plan.actions]
