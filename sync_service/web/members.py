"""The admin's members pages: find members, invite one or many (a CSV), deactivate and reactivate, send a
new sign-in link, revoke all of a member's tokens, make or unmake an admin, and the admins' audit trail
(``store.admin``)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from .. import db
from ..answers import status_of
from ..context import notices
from ..errors import BadRequest, ServiceError
from ..store import admin as members
from ..store.accounts import member_of, tokens_of
from .base import admin_only

bp = Blueprint("members", __name__)
CSV_LIMIT = 2 * 1024 * 1024          # bytes of a member CSV (about 20,000 rows)


def _list(status: int = 200, **shown):
    s = db.session()
    search = request.args.get("q", "")
    return render_template("members.html", found=members.search(s, search), q=search, mail=notices().mail,
                           **{"error": None, "report": None, "done": None, **shown}), status


@bp.get("/admin/members")
@admin_only
def listed():
    return _list()


@bp.post("/admin/members/invite")
@admin_only
def invite():
    """Invite one member (the form's fields), or many (an uploaded CSV)."""
    s = db.write_session()
    actor = member_of(s, g.page_member.id)
    try:
        file = request.files.get("csv")
        if file and file.filename:
            data = file.read(CSV_LIMIT + 1)
            if len(data) > CSV_LIMIT:
                raise BadRequest("too_large", "the CSV is over 2 MB: split it")
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise BadRequest("bad_csv", "the CSV is not UTF-8 text") from None
            return _list(report=members.invite_csv(s, actor, text, notices()))
        done = members.invite(s, actor, request.form.get("email", ""), notices(), request.form.get("name"),
                              request.form.get("number"), request.form.get("grade"))
        s.commit()
    except ServiceError as exc:
        s.rollback()
        return _list(status_of(exc), error=exc.to_dict())
    said = (f"{done.member.email} is invited" + ("" if done.mailed else " (mail is not set up: no link was sent)")
            if done.created else f"{done.member.email} already has an account")
    return _list(done=said)


@bp.get("/admin/members/<public_id>")
@admin_only
def member(public_id: str):
    s = db.session()
    try:
        found = members.find(s, public_id)
    except ServiceError:
        return _list(404, error={"message": "No such member."})
    return render_template("member_admin.html", m=found, tokens=tokens_of(s, found.id), mail=notices().mail,
                           done=request.args.get("done"))


ACTIONS = {"deactivate": ("deactivated", lambda s, a, m: members.deactivate(s, a, m)),
           "reactivate": ("reactivated", lambda s, a, m: members.reactivate(s, a, m)),
           "send-link": ("sent a sign-in link", lambda s, a, m: members.send_link(s, a, m, notices())),
           "revoke-tokens": ("revoked every token", lambda s, a, m: members.revoke_tokens(s, a, m)),
           "make-admin": ("made an admin", lambda s, a, m: members.set_admin(s, a, m, True)),
           "unmake-admin": ("no longer an admin", lambda s, a, m: members.set_admin(s, a, m, False))}


@bp.post("/admin/members/<public_id>/<action>")
@admin_only
def act(public_id: str, action: str):
    if action not in ACTIONS:
        return _list(404, error={"message": "No such action."})
    said, run = ACTIONS[action]
    s = db.write_session()
    try:
        found = members.find(s, public_id)
        run(s, member_of(s, g.page_member.id), found)
        s.commit()
    except ServiceError as exc:
        s.rollback()
        return _list(status_of(exc), error=exc.to_dict())
    return redirect(url_for("members.member", public_id=public_id, done=said))


@bp.get("/admin/audit")
@admin_only
def audit():
    return render_template("admin_audit.html", events=members.trail(db.session()))
