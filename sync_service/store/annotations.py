"""Mentors' annotations: a comment and/or a verification against an activity, a plan objective or the
record as a whole. Mentors write them; nobody changes the member's entries with them.

Each change queues what follows it in its own transaction: an e-mail to the member (when mail is set
up) and, where the record is kept in a Google Sheet its member has proven, a write of the record's
annotations into the sheet (``jobs.sheet_writes``). Where a sheet cannot be written, the annotation
is kept all the same and the record says why (``sheet_error``).
"""
from __future__ import annotations

import secrets
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from addin import Annotation as Note
from addin import Record, note_field, note_text, values_workbook, verification

from ..errors import BadRequest, Forbidden, Unusable
from .accounts import member_of
from .mentoring import Access, audit, seen
from .messages import Notices, annotated, queue
from .models import Annotation, CpdRecord, Member, iso_utc
from .outbox import enqueue
from .records import keys_by_row, latest, reassess, snapshot

FORMER_MENTOR = "a former mentor"
MAX_COMMENT = 4000               # characters in one comment


def of(session: Session, record: CpdRecord) -> list[Annotation]:
    return annotations_of(session, record.id)


def _target(session: Session, record: CpdRecord, body: dict) -> tuple[int | None, str | None, str | None]:
    """(activity row, objective ref, activity key) the annotation is against, checked against the record's
    newest version."""
    row, ref = body.get("activity_row"), body.get("objective")
    if row is not None and ref is not None:
        raise BadRequest("bad_target", "annotate an activity_row or an objective, not both")
    data = snapshot(session, record).data
    if row is not None:
        if not isinstance(row, int) or isinstance(row, bool):
            raise BadRequest("bad_target", "activity_row must be the activity's row number")
        keys = keys_by_row(data)
        if row not in keys:
            raise Unusable("no_such_activity", f"the record has no activity on row {row}")
        return row, None, keys[row]
    if ref is not None:
        refs = {r[0] for r in data["objectives"]["rows"]}
        if not isinstance(ref, str) or ref not in refs:
            raise Unusable("no_such_objective", f"the record's plan has no objective {str(ref)[:40]!r}")
        return None, ref, None
    return None, None, None


def add(session: Session, acc: Access, author_id: int, body) -> Annotation:
    """A mentor's annotation on the record they were granted (inside the caller's transaction)."""
    if acc.owner:
        raise Forbidden("owner_cannot_annotate", "annotations are your mentors'; your own notes go in "
                                "your record")
    if not isinstance(body, dict):
        raise BadRequest("bad_request", 'send JSON like {"activity_row": 12, "comment": "...", '
                                '"verified": true}')
    comment, verified = _text(body.get("comment")), body.get("verified", False)
    if not isinstance(verified, bool):
        raise BadRequest("bad_verified", "verified must be true or false")
    row, ref, key = _target(session, acc.record, body)
    if verified and row is None:
        raise Unusable("verify_activity_only", "only an activity can be verified: give its activity_row")
    if not comment and not verified:
        raise BadRequest("empty_annotation", "write a comment, or verify the activity, or both")
    ann = Annotation(public_id="an_" + secrets.token_urlsafe(9), record_id=acc.record.id, author_id=author_id,
                     activity_row=row, activity_key=key, objective=ref, comment=comment, verified=verified)
    session.add(ann)
    session.flush()
    audit(session, acc.record.member_id, "verified" if verified else "commented", actor_id=author_id,
          grant_id=acc.grant.id if acc.grant else None, record_id=acc.record.id)
    return ann


def _text(comment: object) -> str | None:
    """A comment or a reply as kept: text, without NULs, a line break as one character (a browser counts
    it so, and sends CR LF), at most MAX_COMMENT characters."""
    if comment is not None and not isinstance(comment, str):
        raise BadRequest("bad_comment", "comment must be text")
    text = (comment or "").replace("\0", "").replace("\r\n", "\n").replace("\r", "\n").strip() or None
    if text and len(text) > MAX_COMMENT:
        raise Unusable("comment_too_long", f"a comment may be at most {MAX_COMMENT:,} characters; "
                                           f"this one has {len(text):,}")
    return text


def reply(session: Session, acc: Access, author_id: int, public_id: str, comment: object) -> Annotation:
    """The record's owner answering a mentor's comment (inside the caller's transaction): kept under it, on
    the same activity or objective, shown to both and written into the workbook's comment."""
    if not acc.owner:
        raise Forbidden("owner_replies_only", "only the record's owner replies to its mentors' comments")
    parent = session.scalar(select(Annotation).where(Annotation.public_id == public_id,
                                                     Annotation.record_id == acc.record.id,
                                                     Annotation.reply_to_id.is_(None)))
    if parent is None or parent.comment is None or parent.author_id == author_id:
        raise Unusable("no_such_comment", "the record has no such mentor's comment to reply to")
    text = _text(comment)
    if not text:
        raise BadRequest("empty_reply", "write your reply")
    ann = Annotation(public_id="an_" + secrets.token_urlsafe(9), record_id=acc.record.id, author_id=author_id,
                     activity_row=parent.activity_row, activity_key=parent.activity_key, objective=parent.objective,
                     comment=text, verified=False, reply_to_id=parent.id)
    session.add(ann)
    session.flush()
    return ann


def remove(session: Session, acc: Access, author_id: int, public_id: str) -> bool:
    """Delete the author's own annotation (False if the record has no such annotation by them)."""
    ann = session.scalar(select(Annotation).where(Annotation.public_id == public_id,
                                                  Annotation.record_id == acc.record.id,
                                                  Annotation.author_id == author_id))
    if ann is None:
        return False
    session.delete(ann)
    audit(session, acc.record.member_id, "removed", actor_id=author_id,
          grant_id=acc.grant.id if acc.grant else None, record_id=acc.record.id)
    return True


def sheet_changes(read, all_notes, written_by: set[str]) -> tuple[dict[str, str], dict[str, object]]:
    """The cell notes and verification values that put ``all_notes`` into a sheet read as ``read`` (a
    GridRead). Rows whose verification was removed are cleared only where the sheet still shows the
    name the service wrote (``written_by``): a member's own entry is never touched."""
    cells = read.cells
    rows = {a.row: a for a in read.record.activities} if read.record else {}
    field = note_field(cells.columns)
    by_row = defaultdict(list)
    for n in all_notes:
        if n.activity_row is not None:
            by_row[n.activity_row].append(n)
    note_cells: dict[str, str] = {}
    values: dict[str, object] = {}
    for r, activity in rows.items():
        ref = cells.cell(r, field)
        if ref is None:
            continue
        here = by_row.get(r, [])
        if here:
            note_cells[ref] = note_text(here)
        elif field == "mentor_comment":
            note_cells[ref] = ""                  # the column is the mentors': clear what was there
        checked = verification(here)
        by_cell, on_cell = cells.cell(r, "verified_by"), cells.cell(r, "verified_on")
        if checked is not None and by_cell:
            values[by_cell] = checked.author
            if on_cell:
                values[on_cell] = checked.written_at.date().isoformat()
        elif checked is None and by_cell and activity.verified_by and activity.verified_by in written_by:
            values[by_cell] = ""
            if on_cell:
                values[on_cell] = ""
    return note_cells, values


def follow_up(session: Session, acc: Access, mentor: Member, verified: bool, commented: bool,
              notices: Notices) -> dict:
    """After a mentor's change, inside its transaction: the member's e-mail queued (when mail is set up) and,
    for a record kept in a proven Google Sheet, a write of its annotations into the sheet queued."""
    out: dict[str, object] = {}
    if verified or commented:
        owner = member_of(session, acc.record.member_id)
        subject, text = annotated(notices, mentor.shown_name, f"/records/{acc.record.public_id}", verified, commented)
        out["notified"] = queue(session, notices, owner.id, owner.email, subject, text, "annotated")
    if acc.record.source == "sheet" and acc.record.sheet is not None and acc.record.sheet.verified_at is not None:
        enqueue(session.connection(), "sheet_write", record_id=acc.record.id, member_id=acc.record.member_id,
                payload={"actor": mentor.shown_name})
        out["sheet"] = {"queued": True}
    return out


def workbook(session: Session, acc: Access, actor_id: int) -> bytes | None:
    """The record's newest version as a values-only workbook with its annotations (None with no version);
    a mentor's download goes in the member's audit trail."""
    version = latest(session, acc.record.id)
    if version is None:
        return None
    prep = reassess(version)
    data = values_workbook(prep.record, prep.profile, notes(of(session, acc.record)))
    seen(session, acc, actor_id, "downloaded")
    return data


def annotations_of(session: Session, record_id: int) -> list[Annotation]:
    """A record's annotations, oldest first, with their authors."""
    return list(session.scalars(select(Annotation).options(joinedload(Annotation.author))
                                .where(Annotation.record_id == record_id).order_by(Annotation.id)))



def author_name(a: Annotation) -> str:
    return a.author.shown_name if a.author is not None else FORMER_MENTOR


def verifier_email(a: Annotation) -> str | None:
    """The verifying mentor's address, when it is proven (None otherwise, or once they are erased)."""
    return a.author.email if a.author is not None and a.author.verified else None


def notes(annotations) -> list[Note]:
    """The record's annotations as the core's notes (what the workbook and the sheet are written from); a
    member's reply comes right after the comment it answers, named as a reply."""
    annotations = list(annotations)
    replies = defaultdict(list)
    for a in annotations:
        if a.reply_to_id is not None:
            replies[a.reply_to_id].append(a)
    out = []
    for a in annotations:
        if a.reply_to_id is None:
            out.append(Note(author_name(a), a.created_at, a.comment, a.verified, a.activity_row, a.objective))
            out += [Note(f"{author_name(r)} (reply)", r.created_at, r.comment, False, r.activity_row, r.objective)
                    for r in replies.get(a.id, [])]
    return out


def annotation_dict(a: Annotation) -> dict:
    """An annotation as the API and the pages show it (a reply names the comment it answers)."""
    return {"id": a.public_id, "activity_row": a.activity_row, "objective": a.objective, "comment": a.comment,
            "verified": a.verified, "author": author_name(a), "created_at": iso_utc(a.created_at),
            "reply_to": a.reply_to.public_id if a.reply_to is not None else None}


def delivery_annotations(record: Record, annotations) -> dict:
    """The mentors' verifications and comments for the delivery document (docs/delivery-protocol.md):
    only those on activities and objectives the record still has."""
    rows = {a.row for a in record.activities}
    refs = {o.ref for o in record.objectives}
    kept = [a for a in annotations if (a.activity_row in rows if a.activity_row is not None
                                       else a.objective in refs if a.objective else True)]
    return {"verifications": {"columns": ["activity_row", "verified_by", "verified_at", "verifier_email"],
                              "rows": [[a.activity_row, author_name(a), iso_utc(a.created_at), verifier_email(a)]
                                       for a in kept if a.verified]},
            "mentor_comments": {"columns": ["activity_row", "objective", "author", "written_at", "comment"],
                                "rows": [[a.activity_row, a.objective, author_name(a), iso_utc(a.created_at),
                                          a.comment] for a in kept if a.comment and a.reply_to_id is None]}}
