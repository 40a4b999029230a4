"""E-mail notifications: a member when a mentor comments or verifies, a mentor when granted access.

Off unless ``SMTP_URL`` (``CPD_SMTP_URL``) is set: ``smtp://host:port`` (plain, or STARTTLS with
``?starttls=true``), ``smtps://host:port`` (TLS from the start), with ``user:password@`` before
the host if the server wants a login, and ``from=`` for the sender (``SMTP_FROM``, default
``cpd-tracker@localhost``). A message that cannot be sent is logged without its address or text
and never fails the request that caused it.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from .logs import line

log = logging.getLogger("cpd.mail")
TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str                      # "" | "starttls" | "ssl"
    user: str | None
    password: str | None
    sender: str
    timeout: float = 10.0

    @classmethod
    def parse(cls, url: str, sender: str | None = None) -> "SmtpSettings":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("CPD_SMTP_URL must look like smtp://host:587?starttls=true or smtps://host:465")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        tls = "ssl" if parts.scheme == "smtps" else "starttls" if query.get("starttls", "").lower() in TRUE else ""
        return cls(parts.hostname, parts.port or (465 if tls == "ssl" else 25), tls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None,
                   query.get("from") or sender or "cpd-tracker@localhost",
                   float(query.get("timeout", 10)))


def settings() -> SmtpSettings | None:
    url = current_app.config.get("SMTP_URL")
    return SmtpSettings.parse(url, current_app.config.get("SMTP_FROM")) if url else None


def send(to: str, subject: str, text: str, kind: str) -> bool:
    """Send one plain-text message; False (and a log line naming only ``kind``) if mail is off or fails."""
    smtp = settings()
    if smtp is None:
        return False
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, to, subject
    msg.set_content(text)
    try:
        if smtp.tls == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning(line(event="mail_failed", kind=kind, error=type(exc).__name__))
        return False
    log.info(line(event="mail_sent", kind=kind))
    return True


def _link(path: str) -> str:
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}{path}" if base else path


def granted(to: str, owner: str, scope: str, invitation_path: str | None) -> bool:
    """To a mentor: a member has shared a record (or all their records) with them."""
    if invitation_path:
        how = (f"You do not have an account yet. Accept the invitation to make one:\n\n  {_link(invitation_path)}\n\n"
               "The link works once.")
    else:
        how = f"Sign in to see it:\n\n  {_link('/mentees')}"
    return send(to, f"{owner} shared their CPD record with you",
                f"{owner} has asked you to mentor their CPD: they shared {scope} with you on the CPD tracker.\n\n"
                f"{how}\n\nYou can comment on their activities and plan, and verify activities. You cannot change "
                "their entries.\n", "granted")


def annotated(to: str, mentor: str, record_path: str, verified: bool, commented: bool) -> bool:
    """To a member: their mentor commented on, or verified, their record."""
    did = " and ".join(x for x in ("verified an activity" if verified else "", "left a comment" if commented else "")
                       if x) or "annotated your record"
    return send(to, f"{mentor} {did} on your CPD record",
                f"{mentor} {did} on your CPD record.\n\nSee it beside your activities:\n\n  {_link(record_path)}\n",
                "annotated")
