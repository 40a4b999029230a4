"""Evidence files of a record's activities: added by the record's owner, seen by the owner and its live
mentors (everyone else: not found, exactly as a file that does not exist), each access in the owner's audit
trail, and gone when the member is erased.

The bytes are in an evidence store (``sync_service.blobs``), named by their SHA-256: the same certificate
added twice, by anyone, is kept once, and deleted only when no record names it any more. A file's type is
read from its bytes (PDF, PNG, JPEG or HEIC), never from its name. The store is written before the row is
committed; a row whose write fails is never committed, and a file whose row's transaction fails is an
orphan the next erasure or removal of that digest clears.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from addin import EVIDENCE_TYPES, evidence_kind

from ..blobs import BlobError, EvidenceStore
from ..errors import BadRequest, NotFound, TooLarge, Unavailable
from .accounts import erase
from .database import writing
from .mentoring import Access, audit
from .models import CpdRecord, Evidence, InboxItem, Member
from .records import keys_by_row, snapshot

_UNSAFE = re.compile(r"[^\w. -]+")
Held = TypeVar("Held", Evidence, InboxItem)


@dataclass(frozen=True)
class Found:
    evidence: Evidence
    data: bytes


def safe_filename(name: str | None, kind: str) -> str:
    """A name to show and to download under: the member's, without path or control characters."""
    base = _UNSAFE.sub("-", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .-")[:150]
    ext = EVIDENCE_TYPES[kind][0]
    if not base:
        return f"evidence{ext}"
    return base if base.lower().endswith((ext, ".jpeg" if kind == "jpeg" else ext)) else f"{base}{ext}"


def _activity(session: Session, record: CpdRecord, row: int) -> str:
    """The key of the activity (or draft) on sheet ``row`` of the record's newest version."""
    data = snapshot(session, record).data
    key = keys_by_row(data).get(row) or keys_by_row(data, "drafts").get(row)
    if key is None:
        raise BadRequest("no_such_row", f"row {row} of the record holds no activity")
    return key


def vetted(data: bytes, max_bytes: int, what: str = "file") -> tuple[str, str]:
    """(SHA-256, kind) of bytes that may be kept as evidence: at most ``max_bytes``, and a PDF, PNG, JPEG or HEIC
    by their bytes (TooLarge, BadRequest otherwise; ``what`` the messages call them)."""
    if len(data) > max_bytes:
        raise TooLarge("evidence_too_large", f"the {what} is {len(data):,} bytes; evidence may be at most "
                       f"{max_bytes:,} bytes")
    kind = evidence_kind(data)
    if kind is None:
        raise BadRequest("evidence_type_refused", f"evidence may be a PDF, PNG, JPEG or HEIC file, whatever its "
                         f"name says; this {what} is none of them")
    return hashlib.sha256(data).hexdigest(), kind


def put(store: EvidenceStore, digest: str, data: bytes) -> None:
    """The bytes into the store (Unavailable when it cannot be reached)."""
    try:
        store.put(digest, data)
    except BlobError as exc:
        raise Unavailable("evidence_store_unavailable", f"{exc}; try again in a minute") from None


def owned(session: Session, model: type[Held], acc: Access, public_id: str, missing: str) -> Held:
    """One of the record's evidence files or inbox items by its public id; NotFound (``missing``) if the record
    has none by that id (another record's is the same: not found)."""
    found = session.scalar(select(model).where(model.record_id == acc.record.id, model.public_id == public_id))
    if found is None:
        raise NotFound("not_found", missing)
    return found


def add(session: Session, store: EvidenceStore, acc: Access, row: int, filename: str | None, data: bytes,
        max_bytes: int) -> tuple[Evidence, bool]:
    """Keep ``data`` as evidence of the activity on ``row`` (the owner's act): (the row, whether it is new).
    Committed."""
    if not data:
        raise BadRequest("empty_body", "send the evidence file as the request body")
    digest, kind = vetted(data, max_bytes)
    key = _activity(session, acc.record, row)
    writing(session)
    same = session.scalar(select(Evidence).where(Evidence.record_id == acc.record.id, Evidence.activity_key == key,
                                                 Evidence.digest == digest))
    if same is not None:
        return same, False
    put(store, digest, data)
    found = Evidence(public_id="ev_" + secrets.token_urlsafe(9), record_id=acc.record.id, activity_row=row,
                     activity_key=key, digest=digest, kind=kind, size=len(data), filename=safe_filename(filename, kind))
    session.add(found)
    audit(session, acc.record.member_id, "evidence_added", actor_id=acc.record.member_id, record_id=acc.record.id)
    session.commit()
    return found, True


def of(session: Session, acc: Access) -> list[Evidence]:
    return list(session.scalars(select(Evidence).where(Evidence.record_id == acc.record.id)
                                .order_by(Evidence.activity_row, Evidence.id)))


def stored(store: EvidenceStore, digest: str) -> bytes:
    """The bytes the store holds under ``digest``, checked against it (Unavailable when it cannot be reached
    or does not hold them as they were added)."""
    try:
        data = store.get(digest)
    except BlobError as exc:
        raise Unavailable("evidence_store_unavailable", f"{exc}; try again in a minute") from None
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        raise Unavailable("evidence_missing", "the evidence store does not hold this file as it was added")
    return data


def fetch(session: Session, store: EvidenceStore, acc: Access, actor_id: int, public_id: str) -> Found:
    """An evidence file's bytes, for its record's owner or a live mentor; a mentor's access is in the owner's
    audit trail. Committed."""
    found = owned(session, Evidence, acc, public_id, "no such evidence")
    data = stored(store, found.digest)
    if not acc.owner:
        writing(session)
        audit(session, acc.record.member_id, "evidence_viewed", actor_id=actor_id,
              grant_id=acc.grant.id if acc.grant else None, record_id=acc.record.id)
        session.commit()
    return Found(found, data)


def drop_unreferenced(session: Session, store: EvidenceStore, digests: set[str]) -> None:
    """Delete from the store each of ``digests`` that no evidence row and no inbox item names any more."""
    if not digests:
        return
    held = set(session.scalars(select(Evidence.digest).where(Evidence.digest.in_(digests)).distinct()))
    held |= set(session.scalars(select(InboxItem.evidence_digest).where(InboxItem.evidence_digest.in_(digests))))
    for digest in digests - held:
        try:
            store.delete(digest)
        except BlobError:
            pass                    # kept for now; nothing names it, and the next removal of it clears it


def remove(session: Session, store: EvidenceStore, acc: Access, public_id: str) -> None:
    """The owner takes an evidence file off an activity; its bytes go when no record names them. Committed."""
    found = owned(session, Evidence, acc, public_id, "no such evidence")
    writing(session)
    digest = found.digest
    session.delete(found)
    audit(session, acc.record.member_id, "evidence_removed", actor_id=acc.record.member_id, record_id=acc.record.id)
    session.commit()
    drop_unreferenced(session, store, {digest})


def erase_member(session: Session, store: EvidenceStore, member: Member) -> None:
    """Erase the member (``accounts.erase``: everything stored about them), and the evidence files no one
    else's record names. Committed."""
    digests = set(session.scalars(select(Evidence.digest).join(CpdRecord, Evidence.record_id == CpdRecord.id)
                                  .where(CpdRecord.member_id == member.id)))
    digests |= {d for d in session.scalars(select(InboxItem.evidence_digest)
                                           .join(CpdRecord, InboxItem.record_id == CpdRecord.id)
                                           .where(CpdRecord.member_id == member.id)) if d}
    erase(session, member)
    drop_unreferenced(session, store, digests)
