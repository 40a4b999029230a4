"""E-mail: a kind of job of the outbox (queued by ``store.messages``), sent by a worker.

Off unless ``SMTP_URL`` (``CPD_SMTP_URL``) is set: ``smtp://host:port`` (plain, or STARTTLS with
``?starttls=true``), ``smtps://host:port`` (TLS from the start), with ``user:password@`` before
the host if the server wants a login, and ``from=`` for the sender (``SMTP_FROM``, default
``cpd-tracker@localhost``). A message that cannot be sent now is tried again on the schedule, then
dead-lettered; each try is logged naming only its kind, never its address or text.
"""
from __future__ import annotations

import html
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from ..logs import line
from ..store import outbox
from ..store.outbox import Claimed, Outcome, Schedule

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


LINK = re.compile(r"(https?://[^\s<>\"]+|/[A-Za-z0-9_/.-]+)")


def as_html(text: str) -> str:
    """The message's HTML part: its paragraphs, escaped, with its links made links."""
    out = []
    for para in text.strip().split("\n\n"):
        body = html.escape(para.strip())
        if para.startswith("  "):            # a link on a line of its own
            body = LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', body)
        out.append(f"<p>{body.replace(chr(10), '<br>')}</p>")
    return ('<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">'
            + "".join(out) + "</body></html>")


SCHEDULE = Schedule((30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600), lease=60.0)


def send(smtp: SmtpSettings, to: str, subject: str, text: str, kind: str) -> str | None:
    """Send one plain-text message; why it could not be sent (logged naming only ``kind``), or None."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, to, subject
    msg.set_content(text)
    msg.add_alternative(as_html(text), subtype="html")
    try:
        client: smtplib.SMTP
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
        return type(exc).__name__
    log.info(line(event="mail_sent", kind=kind))
    return None


class Mail:
    """The mail kind for the worker (``jobs.worker``)."""

    kind = "mail"

    def __init__(self, smtp: SmtpSettings, batch: int = 8):
        self.smtp, self.batch = smtp, batch

    def work(self, sessions) -> int:
        with sessions() as session:
            claimed = outbox.claim(session, (self.kind,), timedelta(seconds=SCHEDULE.lease), limit=self.batch)
            if not claimed:
                return 0
            tried = [(job, self._send(job)) for job in claimed]
            outbox.record(session, tried, SCHEDULE)
        return len(tried)

    def _send(self, job: Claimed) -> Outcome:
        message = job.payload or {}
        failed = send(self.smtp, message.get("to", ""), message.get("subject", ""), message.get("text", ""),
                      message.get("kind", "mail"))
        return Outcome("retry", failed) if failed else Outcome("done", "sent")

    def close(self) -> None:
        pass
