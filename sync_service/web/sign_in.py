"""Signing in and out: by a link mailed to the member's address (the default), or with a token.

``POST /login/email`` answers the same page whether or not the address has an account, and is throttled
per address and per client; the link opens a page with one button, whose POST signs in (so that a mail
scanner that follows links uses nothing up)."""
from __future__ import annotations

import math

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for

from .. import db
from ..context import notices, now
from ..errors import Conflict, Forbidden, Limited, Unauthenticated
from ..store.accounts import end_session, live_token
from ..store.mentoring import normal_email
from ..store.sign_in import LinkState, open_link, request_link, use_link
from ..errors import BadRequest
from ..throttle import address, link_requests, sign_in_failures
from .base import DEACTIVATED, after_sign_in, sign_in

bp = Blueprint("account", __name__)

LINK_PAGES = {
    LinkState.USED: ("This sign-in link has been used",
                     "Each link works once. Ask for a new one below."),
    LinkState.EXPIRED: ("This sign-in link has expired",
                        "A link works for 15 minutes. Ask for a new one below."),
    LinkState.SUPERSEDED: ("A newer sign-in link was sent",
                           "Only the newest link works. Use the one in your latest e-mail, or ask for another below."),
    LinkState.UNKNOWN: ("This sign-in link is not known",
                        "Check that the whole link was copied, or ask for a new one below."),
}


def _page(status: int = 200, **context):
    response = make_response(render_template("login.html", **context), status)
    if context.get("wait"):
        response.headers["Retry-After"] = str(math.ceil(context["wait"]))
    return response


def _ended(state: LinkState):
    """The page for a link that no longer signs in: which of used, expired, superseded or unknown it is."""
    title, text = LINK_PAGES[state]
    return _page(404 if state == LinkState.UNKNOWN else 410, link_title=title, link_text=text)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page (``GET``), and signing in with a token (``POST``, the form's ``token``)."""
    if request.method == "GET":
        return _page()
    try:
        token = live_token(db.session(), request.form.get("token", "").strip(), "read", sign_in_failures(),
                           address())
    except Unauthenticated as exc:
        error = (DEACTIVATED
                 if exc.code == "deactivated" else "That token is not valid. Sign in with your e-mail address, "
                                                   "or use a token you made on your settings page.")
        return _page(401, token_error=error)
    except Forbidden:
        return _page(403, token_error="That token cannot be used to sign in (it lacks the 'read' scope).")
    except Limited as exc:
        return _page(429, token_error=exc.message[:1].upper() + exc.message[1:] + ".", wait=exc.retry_after)
    sign_in(token.member_id, "token", token)
    return after_sign_in()


@bp.post("/login/email")
def email_link():
    """Mail a sign-in link. The answer is the same for every address, known or not."""
    raw = request.form.get("email", "")
    try:
        email = normal_email(raw)
    except BadRequest:
        return _page(400, error="Give your e-mail address, such as name@example.org.", email=raw[:320])
    wait = link_requests(email)
    if wait:
        return _page(429, error=f"Too many sign-in links asked for; try again in {math.ceil(wait)} s.", wait=wait,
                     email=email)
    request_link(db.write_session(), email, notices(), now())
    return render_template("link_sent.html", email=email)


@bp.get("/login/email/<token>")
def link(token: str):
    """The page a mailed link opens: one button, or why the link no longer works."""
    opened = open_link(db.session(), token, now())
    if opened.state != LinkState.VALID:
        return _ended(opened.state)
    return render_template("link.html")


@bp.post("/login/email/<token>")
def use(token: str):
    try:
        opened, member = use_link(db.write_session(), token, now())
    except Conflict as exc:
        return _page(409, error=exc.message[:1].upper() + exc.message[1:] + ": your address was not changed.")
    if opened.state != LinkState.VALID:
        return _ended(opened.state)
    if member is None:
        return _page(403, error=DEACTIVATED)
    sign_in(member.id, "email")
    return after_sign_in()


@bp.post("/logout")
def logout():
    key = session.get("sid")
    if key:
        end_session(db.session(), key)
    session.clear()
    return redirect(url_for("account.login"))
