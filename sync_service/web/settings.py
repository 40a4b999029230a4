"""The member's settings page: their address (and whether it is proven), their access tokens for programs
(made, named and revoked here; making one wants a sign-in within the last 10 minutes), and their
signed-in browsers, with "sign out everywhere"."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from .. import db
from ..answers import status_of
from ..errors import ServiceError
from ..context import notices, now
from ..store import reminders as reminder_store
from ..store import sign_in as sign_in_links
from ..store.accounts import end_all_sessions, make_token, member_of, revoke_token, sessions_of, tokens_of
from ..store.mentoring import normal_email
from ..store.passkeys import passkeys_of
from ..store.token_fields import token_fields
from .base import recently, sign_in_again, signed_in, time_zones

bp = Blueprint("settings", __name__)


def _page(status: int = 200, **shown):
    s = db.session()
    member = g.page_member
    return render_template("settings.html", tokens=tokens_of(s, member.id), sessions=sessions_of(s, member.id),
                           passkeys=passkeys_of(s, member.id), time_zones=sorted(time_zones()),
                           this_session=g.web_session.id,
                           **{"error": None, "new_token": None, "email_sent": None, **shown}), status


@bp.get("/settings")
@signed_in("read")
def settings():
    return _page()


@bp.post("/settings/email")
@signed_in("submit")
def change_email():
    """Move the account to another address: a link is mailed there, and the move happens when it is used."""
    if not recently():
        return _page(403, error=sign_in_again("Changing your address").to_dict())
    s = db.write_session()
    try:
        email = normal_email(request.form.get("email", ""))
        sign_in_links.change_email(s, member_of(s, g.page_member.id), email, notices(), now())
    except ServiceError as exc:
        s.rollback()
        return _page(status_of(exc), error=exc.to_dict())
    return _page(202, email_sent=email)


@bp.post("/settings/reminders")
@signed_in("read")
def reminders():
    """Turn deadline reminders on or off (the form's ``on``)."""
    s = db.write_session()
    member = member_of(s, g.page_member.id)
    member.reminders = request.form.get("on") == "1"
    s.commit()
    return redirect(url_for("settings.settings") + "#reminders")


@bp.post("/settings/time-zone")
@signed_in("read")
def time_zone():
    """The time zone the pages show times in (``zone``; empty: the browser's own)."""
    zone = request.form.get("zone", "").strip()
    if zone and zone not in time_zones():
        return _page(400, error={"code": "bad_time_zone", "message": f"{zone[:64]!r} is not a time zone: choose one "
                                                                     "from the list"})
    s = db.write_session()
    member_of(s, g.page_member.id).time_zone = zone or None
    s.commit()
    return redirect(url_for("settings.settings") + "#time-zone")


@bp.route("/reminders/stop/<token>", methods=["GET", "POST"])
def stop_reminders(token: str):
    """The link in every reminder: a page with one button (a mail scanner that follows links stops nothing)."""
    if request.method == "GET":
        return render_template("reminders_stop.html", done=False)
    s = db.write_session()
    if reminder_store.stop(s, current_app.config["SECRET_KEY"], token) is None:
        s.rollback()
        abort(404, description="This link is not known. Turn reminders off on your settings page.")
    s.commit()
    return render_template("reminders_stop.html", done=True)


@bp.post("/settings/tokens")
@signed_in("submit")
def new_token():
    if not recently():
        return _page(403, error=sign_in_again("Making a token").to_dict())
    scopes = request.form.getlist("scopes")
    try:
        name, scopes_text, expires_at = token_fields({"name": request.form.get("name", ""), "scopes": scopes,
                                                      "expires": request.form.get("expires")},
                                                     g.web_session.scopes.split())
    except ServiceError as exc:
        return _page(status_of(exc), error=exc.to_dict())
    s = db.write_session()
    row, secret = make_token(s, g.page_member.id, scopes_text, name, expires_at)
    s.commit()
    return _page(201, new_token={"name": row.name, "secret": secret})


@bp.post("/settings/tokens/<token_id>/revoke")
@signed_in("submit")
def revoke(token_id: str):
    s = db.write_session()
    if not revoke_token(s, g.page_member.id, token_id):
        abort(404)
    s.commit()
    return redirect(url_for("settings.settings") + "#tokens")


@bp.post("/settings/sign-out-everywhere")
@signed_in("read")
def sign_out_everywhere():
    s = db.write_session()
    end_all_sessions(s, g.page_member.id)
    s.commit()
    session.clear()
    return redirect(url_for("account.login"))
