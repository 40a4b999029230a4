"""The mentoring pages: granting and revoking mentors, a mentor's mentees, the member's audit trail, and
an invitation to mentor (see ``store.mentoring``)."""
from __future__ import annotations

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, url_for

from .. import db
from ..answers import status_of
from ..context import base_url, notices
from ..errors import ServiceError
from ..store import mentoring
from ..store.accounts import issue_token, live_token
from ..store.records import latest
from ..throttle import address, sign_in_failures
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
                                 request.form.get("expires"), notices(), base_url())
    except ServiceError as exc:
        s.rollback()
        error = {"code": exc.code, "message": exc.message}
        return (record_page(acc, status_of(exc), error=error) if acc
                else dashboard_page(status_of(exc), mentor_error=error))
    invitation = ({"email": shared.grant.email, "url": shared.invitation_url} if shared.invitation_url else None)
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
    return render_template("mentees.html", mentees=found)


@bp.get("/audit")
@signed_in("read")
def audit_trail():
    return render_template("audit.html", events=mentoring.trail(db.session(), g.page_member.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """An invitation to mentor: accepting it makes the account (its token shown once) and signs in."""
    s = db.write_session() if request.method == "POST" else db.session()
    row = mentoring.invitation(s, token)
    if row is None:
        abort(404, description="This invitation has been used, revoked or has expired. Ask for a new one.")
    owner_name = row.member.shown_name
    if request.method == "GET":
        return render_template("invitation.html", owner=owner_name, email=row.email,
                               scope="one CPD record" if row.record_id else "all their CPD records")
    mentor, created = mentoring.accept(s, row, request.form.get("name"))
    token_text = issue_token(s, mentor) if created else None
    s.commit()
    if token_text is None:          # the address has an account already: sign in with its token
        return redirect(url_for("member.login"))
    sign_in(live_token(s, token_text, "read", sign_in_failures(), address()))
    response = make_response(render_template("welcome.html", token=token_text, owner=owner_name))
    response.headers["Cache-Control"] = "no-store"             # the token is shown once, and never cached
    return response
