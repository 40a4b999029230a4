"""The e-mails the service sends, as text, and how one is queued: a job of the outbox (kind ``mail``)
written in the same transaction as the change that causes it, sent later by a worker (``jobs.mail``).
Mail is off unless the service has an SMTP server (``Notices.mail``). A message names the member's
record by a link, never by its contents."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from .outbox import enqueue_all


@dataclass(frozen=True)
class Notices:
    """Whether mail is set up, and the service's public address for the links in it."""
    mail: bool = False
    public_url: str | None = None

    def link(self, path: str) -> str:
        base = (self.public_url or "").rstrip("/")
        return f"{base}{path}" if base else path


def queue(session: Session, notices: Notices, member_id: int | None, to: str, subject: str, text: str,
          kind: str) -> bool:
    """Queue one message inside the caller's writing transaction; False when mail is off."""
    return queue_all(session, notices, [(member_id, to, subject, text)], kind)


def queue_all(session: Session, notices: Notices, messages: list[tuple[int | None, str, str, str]],
              kind: str) -> bool:
    """Queue each message (member id, to, subject, text) in one statement inside the caller's writing
    transaction; False when mail is off."""
    if not notices.mail:
        return False
    enqueue_all(session.connection(), "mail", [
        {"member_id": member_id, "payload": {"to": to, "subject": subject, "text": text, "kind": kind}}
        for member_id, to, subject, text in messages])
    return True


def granted(notices: Notices, owner: str, scope: str, invitation_path: str | None) -> tuple[str, str]:
    """To a mentor: a member has shared a record (or all their records) with them. (subject, text)"""
    if invitation_path:
        how = (f"Accept the invitation here (it signs you in, and makes your account if you have none):\n\n  "
               f"{notices.link(invitation_path)}\n\nThe link works once. If you did not expect this, ignore it: "
               "nothing is shared with anyone until the link is used.")
    else:
        how = f"Sign in to see it:\n\n  {notices.link('/mentees')}"
    return (f"{owner} shared their CPD record with you",
            f"{owner} has asked you to mentor their CPD: they shared {scope} with you on the CPD tracker.\n\n"
            f"{how}\n\nYou can comment on their activities and plan, and verify activities. You cannot change "
            "their entries.\n")


def annotated(notices: Notices, mentor: str, record_path: str, verified: bool, commented: bool) -> tuple[str, str]:
    """To a member: their mentor commented on, or verified, their record. (subject, text)"""
    did = " and ".join(x for x in ("verified an activity" if verified else "", "left a comment" if commented else "")
                       if x) or "annotated your record"
    return (f"{mentor} {did} on your CPD record",
            f"{mentor} {did} on your CPD record.\n\nSee it beside your activities:\n\n  {notices.link(record_path)}\n")


def sign_in_message(notices: Notices, path: str, lifetime: timedelta) -> tuple[str, str]:
    """To a member: their sign-in link. (subject, text)"""
    minutes = int(lifetime.total_seconds() // 60)
    return ("Your sign-in link for the CPD tracker",
            f"Use this link to sign in to the CPD tracker:\n\n  {notices.link(path)}\n\n"
            f"It works once, for {minutes} minutes. If you did not ask for it, ignore this message: "
            "no one can sign in without the link.\n")


def invited_member(notices: Notices, path: str) -> tuple[str, str]:
    """To someone an admin invited: their first sign-in link. (subject, text)"""
    return ("You are invited to the CPD tracker",
            "Your institution has given you an account on the CPD tracker, where you keep your CPD record and "
            f"submit it.\n\nSign in here:\n\n  {notices.link(path)}\n\nThe link works once. After that, "
            f"sign in at {notices.link('/login')} with this address.\n")


def change_message(notices: Notices, path: str, lifetime: timedelta, email: str) -> tuple[str, str]:
    """To the address a member is moving to: the link that proves it. (subject, text)"""
    minutes = int(lifetime.total_seconds() // 60)
    return ("Confirm your new address for the CPD tracker",
            f"Use this link to make {email} your CPD tracker address (and sign in):\n\n  {notices.link(path)}\n\n"
            f"It works once, for {minutes} minutes. If you did not ask for this, ignore this message.\n")


def change_notice(email: str) -> tuple[str, str]:
    """To a member's old address: a move to ``email`` was asked for. (subject, text)"""
    return ("Your CPD tracker address is being changed",
            f"Someone signed in as you asked to move your CPD tracker account to {email}. It moves only when the "
            "link sent there is used. If this was not you, ask for a sign-in link at the sign-in page: that "
            "stops it, and tell your CPD service administrator.\n")


def reminder_message(notices: Notices, deadline: date, days_left: int, actions: list[str], record_path: str,
                     stop_path: str) -> tuple[str, str]:
    """To a member: a record's deadline is near and it is not ready yet. (subject, text)"""
    when = f"{deadline.day} {deadline:%b %Y}"
    todo = "".join(f"\n  - {a}" for a in actions) or "\n  - see the record's page"
    return (f"{days_left} days to your CPD deadline ({when})",
            f"Your CPD record for the period ending {when} is not ready yet. Still needed:\n{todo}\n\n"
            f"See it:\n\n  {notices.link(record_path)}\n\nTo stop these reminders:\n\n  {notices.link(stop_path)}\n")
