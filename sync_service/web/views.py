"""The two pages several blueprints show: the member's dashboard, and a record's page (with what an
action has to show: an upload's or a sheet's problems, a sheet's review, a question before sending).
Rendered from the server: nothing of it is kept in the cookie."""
from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from addin import CpdError, list_profiles, plan_for, record_from_data, rows_as_dicts, NO_ROWS

from .. import db
from ..context import now, sheets_client
from ..store import annotations as notes_store
from ..store import mentoring, versions
from ..store.accounts import member_of
from ..store.evidence import of as evidence_of
from ..store.mentoring import Access
from ..store.models import CpdRecord, Submission, iso_utc
from ..store.records import Prepared, latest, save_version, snapshot


def dashboard_page(status: int = 200, **shown):
    """The member's page."""
    s = db.session()
    subs = s.scalars(select(Submission).options(joinedload(Submission.delivery))
                     .where(Submission.member_id == g.page_member.id)
                     .order_by(Submission.received_at.desc())).all()
    records = s.scalars(select(CpdRecord).where(CpdRecord.member_id == g.page_member.id)
                        .order_by(CpdRecord.period_start.desc())).all()
    shown = {"share_with": _share_with(), "error": None, "record_error": None, "sheet_error": None,
             "sheet_report": None, "sheet_code": None, "mentor_error": None, "invitation": None,
             "typed": request.form if request.method == "POST" else {}, **shown}
    return render_template("dashboard.html", submissions=subs, profiles=list_profiles(), iso=iso_utc,
                           sheets=g.page_member.sheets, records=[(r, latest(s, r.id)) for r in records],
                           grants=mentoring.grants_of(s, g.page_member.id), state=mentoring.grant_state,
                           mentee_count=mentoring.mentee_count(s, g.page_member.id), **shown), status


def _share_with() -> str | None:
    """The address a member shares a Google Sheet with (the service account's), or None when this service
    reads no sheets (then the page says so, with no setting an operator would make)."""
    try:
        return sheets_client().service_email
    except CpdError:
        return None


def record_page(acc: Access, status: int = 200, **shown):
    """A record's page: its newest version, its mentors' annotations beside each activity and objective, and
    (for its owner) its mentors."""
    s = db.session()
    rec = acc.record
    snap = snapshot(s, rec)
    anns = [notes_store.annotation_dict(a) | {"mine": a.author_id == g.page_member.id} for a in notes_store.of(s, rec)]
    by_row: dict = {}
    by_ref: dict = {}
    general = []
    replies: dict = {}
    for a in anns:
        if a["reply_to"] is not None:             # shown under the comment it answers
            replies.setdefault(a["reply_to"], []).append(a)
        elif a["activity_row"] is not None:
            by_row.setdefault(a["activity_row"], []).append(a)
        elif a["objective"]:
            by_ref.setdefault(a["objective"], []).append(a)
        else:
            general.append(a)
    grants = ([x for x in mentoring.grants_of(s, g.page_member.id) if x.record_id in (None, rec.id)]
              if acc.owner else [])
    owner = member_of(s, rec.member_id)
    plan = None
    if snap.version is not None:
        try:
            record, profile = record_from_data(snap.data)
            plan = plan_for(record, profile, now().date())
        except CpdError:
            plan = None                 # a profile this service does not ship: the readiness shown is all there is
    shown = {"error": None, "invitation": None, "confirm_submit": False, "typed": None, **shown}
    return render_template("record.html", acc=acc, rec=rec, version=snap.version, r=snap.readiness,
                           member_data=snap.data.get("member") or {}, objectives=rows_as_dicts(snap.data["objectives"]),
                           activities=rows_as_dicts(snap.data["activities"]),
                           drafts=rows_as_dicts(snap.data.get("drafts") or NO_ROWS), by_row=by_row, by_ref=by_ref,
                           evidence=evidence_by_row(s, acc),
                           general=general, grants=grants, state=mentoring.grant_state, owner=owner, plan=plan,
                           versions=versions.history(s, rec, snap), replies=replies,
                           **shown), status


def evidence_by_row(session, acc: Access) -> dict[int, list]:
    """The record's evidence files, by the sheet row of their activity."""
    found: dict[int, list] = {}
    for e in evidence_of(session, acc):
        found.setdefault(e.activity_row, []).append(e)
    return found


def ask_first(prep: Prepared):
    """The record page asking to confirm before a record that is not ready goes: it is kept as the newest
    version of its record, and nothing is sent."""
    rec, _, _ = save_version(db.session(), g.page_member.id, prep)
    return record_page(Access(rec, "owner"), confirm_submit=True)
