"""The mentoring pages: granting and revoking mentors, a mentor's mentees, the member's audit trail, and
an invitation to mentor (see ``store.mentoring``)."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from .. import db
from ..answers import status_of
from ..context import notices
from ..errors import ServiceError
from ..store import mentoring
from ..store.accounts import member_of
from ..store.records import latest
from .base import sign_in, signed_in
from .views import dashboard_page, record_page

bp = Blueprint("mentors", __name__)


@bp.post("/mentors")
@signed_in("submit")
def grant():
    """Grant a mentor one record or all the member's records (the form's ``record``: a record id or "all")."""
    s = db.session()
    record_id = request.form.get("record") or "all"
    acc = None
    if record_id != "all":
        acc = mentoring.visible(s, g.page_member.id, record_id, owner_only=True)
    try:
        shared = mentoring.share(s, g.page_member, request.form.get("email", ""), acc.record if acc else None,
                                 request.form.get("expires"), notices())
    except ServiceError as exc:
        s.rollback()
        error = {"code": exc.code, "message": exc.message}
        return (record_page(acc, status_of(exc), error=error) if acc
                else dashboard_page(status_of(exc), mentor_error=error))
    invitation = ({"email": shared.grant.email, "notified": shared.notified}
                  if shared.created and shared.grant.mentor_id is None else None)
    return record_page(acc, invitation=invitation) if acc else dashboard_page(invitation=invitation)


@bp.post("/mentors/<grant_id>/revoke")
@signed_in("submit")
def revoke(grant_id: str):
    s = db.write_session()
    row = mentoring.revoke(s, g.page_member, grant_id)
    if row is None:
        abort(404)
    s.commit()
    back = request.form.get("back", "")
    if back.startswith("rec_"):
        return redirect(url_for("record.record", record_id=back))
    return redirect(url_for("member.dashboard") + "#mentors")


@bp.get("/mentees")
@signed_in("read")
def mentees():
    s = db.session()
    found = [(m, [(r, latest(s, r.id)) for r in recs]) for m, recs in mentoring.mentees(s, g.page_member.id)]
    return render_template("mentees.html", mentees=found, waiting=mentoring.waiting_for(s, g.page_member))


@bp.post("/mentees/invitations/<grant_id>")
@signed_in("read")
def say_yes(grant_id: str):
    """The signed-in mentor accepts one invitation to their proven address."""
    s = db.write_session()
    if mentoring.say_yes(s, member_of(s, g.page_member.id), grant_id) is None:
        abort(404)
    s.commit()
    return redirect(url_for("mentors.mentees"))


@bp.get("/audit")
@signed_in("read")
def audit_trail():
    return render_template("audit.html", events=mentoring.trail(db.session(), g.page_member.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """An invitation to mentor, opened from the mail that carried it: accepting proves the address, makes or
    finds its account, accepts this one invitation and signs in."""
    s = db.write_session() if request.method == "POST" else db.session()
    row = mentoring.invitation(s, token)
    if row is None:
        abort(404, description="This invitation has been used, revoked or has expired. Ask for a new one.")
    owner_name = row.member.shown_name
    if request.method == "GET":
        return render_template("invitation.html", owner=owner_name, email=row.email,
                               scope="one CPD record" if row.record_id else "all their CPD records")
    mentor, created = mentoring.accept(s, row, request.form.get("name"))
    if mentor is None:
        s.rollback()
        abort(403, description="The account for this address has been deactivated. Ask your CPD service "
                               "administrator.")
    s.commit()
    sign_in(mentor.id, "invitation")
    g.page_member = mentor                          # signed in now: the page is theirs (and not cached)
    return render_template("welcome.html", owner=owner_name, created=created)
