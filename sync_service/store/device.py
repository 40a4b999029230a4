"""Giving a program a token without copying anything: the device authorization grant (RFC 8628).

The program (``cpd login``, the Office task pane, the Google Sheets menu) asks for a code pair
(``start``); the member opens the service's page where they are signed in, types the short user code
and approves or denies (``decide``); the program polls with its device code (``poll``) and, once
approved, receives a new personal access token, named for the program. A code pair works once and for
``LIFETIME``; only the device code's SHA-256 is kept."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import SCOPES, hash_token, make_token
from .database import writing
from .models import DeviceCode, Member, aware, utcnow

LIFETIME = timedelta(minutes=10)
INTERVAL = 5                                   # seconds between polls (slow_down adds 5)
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"            # no vowels (no words), no look-alikes (RFC 8628 6.1)
CLIENTS = {"cpd-cli": "cpd on the command line", "cpd-excel": "the CPD add-in for Excel",
           "cpd-sheets": "the CPD menu in Google Sheets"}


class DeviceError(Exception):
    """An OAuth error of the token endpoint (RFC 8628 3.5): ``code`` is what the program reads."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code, self.description = code, description



def normal_user_code(typed: str) -> str:
    """A user code as typed (any case, with or without the dash or spaces) as stored: WDJB-MJHT."""
    letters = "".join(c for c in typed.upper() if c.isalpha())
    return f"{letters[:4]}-{letters[4:8]}" if len(letters) == 8 else ""


@dataclass(frozen=True)
class Started:
    device_code: str
    user_code: str
    expires_in: int
    interval: int


def start(session: Session, client_id: str, scope: str | None, now: datetime | None = None) -> Started:
    """A new code pair for the program ``client_id``. Committed. DeviceError invalid_client / invalid_scope."""
    if client_id not in CLIENTS:
        raise DeviceError("invalid_client", f"unknown client_id; one of {', '.join(CLIENTS)}")
    asked = (scope or " ".join(SCOPES)).split()
    if not asked or any(s not in SCOPES for s in asked):
        raise DeviceError("invalid_scope", "scope must be 'read', 'submit' or both")
    now = now or utcnow()
    writing(session)
    device_code = "dc_" + secrets.token_urlsafe(32)
    letters = "".join(secrets.choice(ALPHABET) for _ in range(8))
    user_code = f"{letters[:4]}-{letters[4:]}"
    session.add(DeviceCode(code_hash=hash_token(device_code), user_code=user_code, client_id=client_id,
                           scopes=" ".join(s for s in SCOPES if s in asked), created_at=now,
                           expires_at=now + LIFETIME))
    session.commit()
    return Started(device_code, user_code, int(LIFETIME.total_seconds()), INTERVAL)


def pending(session: Session, typed: str, now: datetime | None = None) -> DeviceCode | None:
    """The undecided, unexpired request with this user code, or None."""
    code = normal_user_code(typed)
    if not code:
        return None
    row = session.scalar(select(DeviceCode).where(DeviceCode.user_code == code, DeviceCode.decided_at.is_(None))
                         .order_by(DeviceCode.id.desc()).limit(1))
    return row if row is not None and aware(row.expires_at) > (now or utcnow()) else None


def decide(session: Session, member: Member, row: DeviceCode, approve: bool, now: datetime | None = None) -> None:
    """The signed-in member approves (or denies) the program's request. In the caller's transaction."""
    writing(session)
    row.member_id, row.decided_at, row.approved = member.id, now or utcnow(), approve


def poll(session: Session, device_code: str, client_id: str, now: datetime | None = None) -> tuple[str, str]:
    """The program's poll: (its new token, its scopes) once approved; else DeviceError authorization_pending,
    slow_down, access_denied, expired_token or invalid_grant. Committed."""
    now = now or utcnow()
    writing(session)
    row = session.scalar(select(DeviceCode).where(DeviceCode.code_hash == hash_token(device_code or "")))
    if row is None or row.client_id != client_id or row.used_at is not None:
        session.rollback()
        raise DeviceError("invalid_grant", "unknown or used device code")
    if aware(row.expires_at) <= now:
        session.rollback()
        raise DeviceError("expired_token", "the code has expired: start again")
    too_soon = row.polled_at is not None and aware(row.polled_at) > now - timedelta(seconds=INTERVAL - 0.5)
    row.polled_at = now
    if row.decided_at is None:
        session.commit()
        if too_soon:
            raise DeviceError("slow_down", f"poll at most every {INTERVAL} seconds")
        raise DeviceError("authorization_pending", "waiting for the member to approve")
    if not row.approved or row.member_id is None:
        row.used_at = now
        session.commit()
        raise DeviceError("access_denied", "the member denied the request")
    member = session.get(Member, row.member_id)
    if member is None or member.deactivated_at is not None:
        row.used_at = now
        session.commit()
        raise DeviceError("access_denied", "the account can no longer sign in")
    row.used_at = now
    _, token = make_token(session, member.id, row.scopes, f"{CLIENTS[row.client_id]} ({now.day} {now:%b %Y})")
    scopes = row.scopes
    session.commit()
    return token, scopes
