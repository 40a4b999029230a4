"""What the service stores: members, their tokens (hashed), their sessions and sign-in links, their
records (each upload or pull a version), submissions and the jobs of the outbox, linked sheets, mentors'
grants, annotations and the audit trails.

Long because every table is declared here, one beside the other, so that the schema reads as one piece
(and Alembic's migrations are checked against it in one place)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum

from typing import cast

from sqlalchemy import (Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Table, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime) -> datetime:
    """A stored time with its zone (SQLite gives back naive times: they are UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def iso_utc(moment: datetime) -> str:
    """A stored time as ISO 8601 UTC with a Z."""
    return aware(moment).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class Base(DeclarativeBase):
    pass


def table(model: type[Base]) -> Table:
    """A model's table, for the Core statements the hot paths compile once."""
    return cast(Table, model.__table__)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)     # pseudonymous: what logs and URLs show
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))                # how annotations name a mentor
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # a link mailed to it was used
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))      # by an admin: no sign-in
    reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # e-mails before deadlines
    time_zone: Mapped[str | None] = mapped_column(String(64))            # an IANA zone; empty: the browser's
    membership_number: Mapped[str | None] = mapped_column(String(40))    # the institution's, as an admin gave it
    grade: Mapped[str | None] = mapped_column(String(60))

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="member", cascade="all, delete-orphan")
    web_sessions: Mapped[list["WebSession"]] = relationship(cascade="all, delete-orphan")
    sheets: Mapped[list["LinkedSheet"]] = relationship(cascade="all, delete-orphan")
    records: Mapped[list["CpdRecord"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    grants_given: Mapped[list["MentorGrant"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                             foreign_keys="MentorGrant.member_id")
    grants_held: Mapped[list["MentorGrant"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                            foreign_keys="MentorGrant.mentor_id")
    audit: Mapped[list["AuditEvent"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                     foreign_keys="AuditEvent.member_id")

    @property
    def shown_name(self) -> str:
        return self.name or self.email

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None


class ApiToken(Base):
    """A personal API token. Only its SHA-256 is stored; the token is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    public_id: Mapped[str | None] = mapped_column(String(32), unique=True)   # tok_...: what lists and the API show
    prefix: Mapped[str] = mapped_column(String(16))                     # shown in lists: cpd_abcd1234...
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200), default="submit read")
    name: Mapped[str | None] = mapped_column(String(100))                # what the member called it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    member: Mapped[Member] = relationship(back_populates="tokens")


class WebSession(Base):
    """A signed-in browser. The cookie holds a random key; only its SHA-256 is stored. A session ends
    when the member signs out (here or everywhere), when the token it was made from (if any) is revoked,
    when the member is erased or deactivated, or when it expires; every page request checks them all.
    What it may do follows how it was made (``method``, ``scopes``) and how recently (``authenticated_at``)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20), default="token", server_default="token")  # token|email|invitation
    scopes: Mapped[str] = mapped_column(String(200), default="read submit", server_default="read submit")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    authenticated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # the sign-in itself
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    member: Mapped[Member] = relationship(overlaps="web_sessions")
    token: Mapped[ApiToken | None] = relationship()


class SignInLink(Base):
    """A sign-in link mailed to a member's address (or, with ``new_email``, to the address they are changing
    to): only the token's SHA-256 is kept. Single use, valid until ``expires_at``; a newer link for the same
    member ends it (``ended``: used | superseded). Using it proves the address it was mailed to."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended: Mapped[str | None] = mapped_column(String(12))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new_email: Mapped[str | None] = mapped_column(String(320))           # a change of address, proven by this link


class Passkey(Base):
    """A member's passkey (a WebAuthn credential): its id and public key (never a secret), the authenticator's
    signature counter, and the name the member gave it."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)      # pk_...
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(400), unique=True)  # base64url, as browsers send it
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeviceCode(Base):
    """A program's request to be given a token (RFC 8628, the device authorization grant): the program keeps
    the device code (only its SHA-256 is kept here) and polls; the member types the short user code on the
    service's page, signed in, and approves or denies. Used once; ends at ``expires_at``."""

    __tablename__ = "device_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(9), index=True)          # WDJB-MJHT
    client_id: Mapped[str] = mapped_column(String(40))
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved: Mapped[bool | None] = mapped_column(Boolean)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReminderSent(Base):
    """A deadline reminder sent (or passed over) for a record: one for each deadline and threshold (60, 30
    and 7 days before), never two."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("record_id", "deadline", "threshold", name="uq_reminder_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    deadline: Mapped[date] = mapped_column(Date)
    threshold: Mapped[int] = mapped_column(Integer)                    # days before the deadline
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AdminEvent(Base):
    """One line of the admins' audit trail: who did what to which member. Never a record's contents."""

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    subject: Mapped[str | None] = mapped_column(String(32))              # the member's public id, kept after erasure
    action: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    member: Mapped[Member | None] = relationship(foreign_keys=[subject_id])


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("member_id", "idempotency_key", name="uq_submission_member_key"),
                      # the group view: each record's latest submission, by period and profile
                      Index("ix_submissions_group", "period_year", "profile_id", "grade",
                            postgresql_where=text("latest"), sqlite_where=text("latest")))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"), index=True)
    profile_id: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(Integer)
    # The delivery document, gzipped JSON (docs/delivery-protocol.md): the record as tables and its
    # readiness, exactly the body the institution receives. Nothing per cell, no workbook copy.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # What the institution's group view counts, kept when the submission is made (stats.py): no member
    # identity in any of it. `latest` marks each record's newest submission, the one the view counts.
    period_year: Mapped[int | None] = mapped_column(Integer)           # the year the period ends in
    grade: Mapped[str | None] = mapped_column(String(60))
    counted_hours: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    hours_bucket: Mapped[int | None] = mapped_column(Integer)           # counted hours // 10
    latest: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    delivery: Mapped["Delivery"] = relationship(back_populates="submission", cascade="all, delete-orphan",
                                                uselist=False)


class SubmissionFigure(Base):
    """One figure of a record's latest submission, for the group view: a criterion's result (1 pass, 0.5
    warn, 0 fail), or hours by category, skill group or competence. Only the latest submission of each
    record has figures (a newer one replaces them), and they carry the filters' columns, so the view is
    one scan of this table with no join: of its index alone, in the order the view groups by (no sort).
    They go with their record (erasing a member erases their records)."""

    __tablename__ = "submission_figures"
    __table_args__ = (Index("ix_figures_group", "kind", "period_year", "profile_id", "key", "grade", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[str] = mapped_column(String(40))    # the submission they are from (never looked up: no index)
    period_year: Mapped[int] = mapped_column(Integer)
    profile_id: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(12))             # criterion | category | skill | competence
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)


class JobStatus(StrEnum):
    """Where a job of the outbox is: waiting (queued, or retrying after a failed try), leased by a worker
    (sending), done (delivered), or stopped (failed: refused for good; dead: out of tries, to resend)."""
    QUEUED = "queued"
    RETRYING = "retrying"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


ACTIVE = (JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.SENDING)          # still to do
PROBLEMS = (JobStatus.DEAD, JobStatus.FAILED)                               # what the admin page shows


class Job(Base):
    """One thing the service does later or elsewhere, written in the same transaction as the change that
    causes it (the durable outbox): a delivery to the institution, an e-mail, a write into a linked sheet.
    Its ``kind`` says which; a worker leases it (``lease_until``), tries it, and records what happened:
    done, a retry at ``next_attempt_at`` on the kind's schedule, failed, or dead-lettered to resend."""

    __tablename__ = "jobs"
    # Two small indexes instead of two over every job (each job is written three times, and every index
    # on it three times over): the workers' queue, only jobs still to do, in the order they take them;
    # and the admin page's problems.
    __table_args__ = (Index("ix_jobs_due", "next_attempt_at",
                            postgresql_where=text("status IN ('queued', 'retrying', 'sending')"),
                            sqlite_where=text("status IN ('queued', 'retrying', 'sending')")),
                      Index("ix_jobs_problems", "next_attempt_at",
                            postgresql_where=text("status IN ('dead', 'failed')"),
                            sqlite_where=text("status IN ('dead', 'failed')")),
                      Index("ix_jobs_member_id", "member_id", postgresql_where=text("member_id IS NOT NULL"),
                            sqlite_where=text("member_id IS NOT NULL")),
                      Index("ix_jobs_record_id", "record_id", postgresql_where=text("record_id IS NOT NULL"),
                            sqlite_where=text("record_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))                      # delivery | mail | sheet_write | ...
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)   # the schedule's start
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # a worker is on it
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the job is about: a submission (a delivery: the submission's cascade takes it), a member (their
    # mail goes when they are erased), a record (a sheet write); and what it carries (a mail, as JSON).
    submission_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"),
                                                      unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    payload: Mapped[str | None] = mapped_column(Text)
    receipt_id: Mapped[str | None] = mapped_column(String(200))        # a delivery's: the institution's receipt

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "job"}


class Delivery(Job):
    """The submission's delivery to the institution: a job of the outbox, queued in the same transaction
    as the submission (docs/delivery-protocol.md)."""

    __mapper_args__ = {"polymorphic_identity": "delivery"}

    submission: Mapped[Submission] = relationship(back_populates="delivery")


class MailJob(Job):
    """An e-mail, its message in ``payload`` (jobs.mail)."""

    __mapper_args__ = {"polymorphic_identity": "mail"}


class SheetWrite(Job):
    """A write of a record's annotations into its linked sheet (jobs.sheet_writes)."""

    __mapper_args__ = {"polymorphic_identity": "sheet_write"}

    @property
    def delivered_at(self) -> datetime | None:
        return self.done_at


class EndpointState(Base):
    """The institution endpoint's state: disabled when it answered 410 Gone, until an admin re-enables it."""

    __tablename__ = "endpoint_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class LinkedSheet(Base):
    """A Google Sheet a member keeps their record in, shared with the service account. A link is only
    made once the member has shown they can edit the sheet: they type a one-time code (only its
    SHA-256 kept here) into it, and the service reads it back (``verified_at``). One member's link
    to a sheet at most."""

    __tablename__ = "linked_sheets"
    __table_args__ = (UniqueConstraint("member_id", "sheet_key", name="uq_linked_sheet_member_key"),
                      Index("uq_linked_sheet_verified_key", "sheet_key", unique=True,
                            postgresql_where=text("verified_at IS NOT NULL"),
                            sqlite_where=text("verified_at IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)      # what URLs and the API show
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    sheet_key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(60))          # why the last look failed, if it did
    error_message: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # the code was read back
    code_hash: Mapped[str | None] = mapped_column(String(64))           # the one-time code, until read back
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CpdRecord(Base):
    """A member's CPD record for one period and profile. Its source is uploaded workbooks (each upload a
    new version) or a linked Google Sheet (each pull that changed it a new version)."""

    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("member_id", "profile_id", "period_start", "period_end",
                                       name="uq_record_member_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)      # rec_...: what URLs and the API show
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), default="upload")    # upload | sheet
    latest_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")   # the newest version's number
    digest: Mapped[str | None] = mapped_column(String(64))               # the newest version's data digest
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("linked_sheets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sheet_error: Mapped[str | None] = mapped_column(Text)               # why annotations could not reach the sheet

    member: Mapped[Member] = relationship(back_populates="records")
    sheet: Mapped["LinkedSheet | None"] = relationship()
    versions: Mapped[list["RecordVersion"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                           order_by="RecordVersion.number")
    annotations: Mapped[list["Annotation"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                           order_by="Annotation.id")


class RecordVersion(Base):
    """One version of a record: its data (``addin.record_data``) and its readiness then. A version made by
    an upload or a sheet pull keeps them in ``body`` (gzipped JSON); one made by a submission is read
    from the submission's document, which holds the same tables (nothing is stored twice)."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("record_id", "number", name="uq_record_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))                      # of the data: the same data, no new version
    verdict: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)              # {"record": ..., "readiness": ...}
    submission_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MentorGrant(Base):
    """A member's grant to a mentor: one record, or all their records (``record_id`` empty). Made for an
    e-mail address; an address with no account gets an invitation (only the token's SHA-256 is kept)
    whose acceptance makes the account. Live while not revoked and not past ``expires_at``."""

    __tablename__ = "mentor_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)      # gr_...
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    member: Mapped[Member] = relationship(foreign_keys=[member_id], overlaps="grants_given")
    mentor: Mapped[Member | None] = relationship(foreign_keys=[mentor_id], overlaps="grants_held")
    record: Mapped["CpdRecord | None"] = relationship()


class Annotation(Base):
    """A mentor's comment and/or verification on a record: against an activity (its sheet row), a plan
    objective (its ref) or the record as a whole. A mentor's erasure keeps it, unattributed."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)      # an_...
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    activity_row: Mapped[int | None] = mapped_column(Integer)
    activity_key: Mapped[str | None] = mapped_column(String(32))        # the activity's start date and title, hashed
    objective: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the record's owner answering a mentor's comment: shown under it, to both, and in the workbook
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), index=True)

    author: Mapped[Member | None] = relationship()
    reply_to: Mapped["Annotation | None"] = relationship(remote_side=[id])


class Evidence(Base):
    """An evidence file of an activity of a record (a certificate, a photo): its bytes are in the evidence
    store, named by their SHA-256 (the same bytes kept once, whoever adds them); this row says whose
    record and which activity it belongs to. It goes with its record (and its member)."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("record_id", "activity_key", "digest", name="uq_evidence_activity_file"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)      # ev_...
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    activity_row: Mapped[int] = mapped_column(Integer)
    activity_key: Mapped[str] = mapped_column(String(32))               # the activity's start date and title, hashed
    digest: Mapped[str] = mapped_column(String(64), index=True)         # SHA-256 of the bytes: the store's name
    kind: Mapped[str] = mapped_column(String(10))                       # pdf, png, jpeg, heic: from the bytes
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))                  # as the member named it, made safe
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    record: Mapped["CpdRecord"] = relationship()


class InboxItem(Base):
    """An activity added from a phone to a workbook record, waiting for ``cpd pull`` (or the Excel task pane)
    to write it into the workbook: its cells as the template holds them (JSON), whether it is a draft, and
    the certificate it came with (its bytes in the evidence store). Taken when written; gone with its record."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)      # in_...: written into the row's Notes
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    cells: Mapped[str] = mapped_column(Text)                              # {field: value}, as JSON
    evidence_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    evidence_kind: Mapped[str | None] = mapped_column(String(10))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """One line of a member's audit trail: a grant made, accepted or revoked, a mentor's access, a
    comment or verification. Names no one by value: the grant and actor are references."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("mentor_grants.id", ondelete="SET NULL"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    grant: Mapped["MentorGrant | None"] = relationship()
    record: Mapped["CpdRecord | None"] = relationship()


class RateEvent(Base):
    """One counted event of a rate limit kept in the database (``throttle.DatabaseStorage``): a failed
    sign-in, a bad token, a refused upload. The key is a hash (of an address, a token's prefix or a
    member), so nothing here names anyone; events older than their window are deleted as keys are hit."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)                  # seconds since the epoch
