"""The page where a signed-in member approves a program's request for a token (the device flow of
``store.device``): they type (or follow a link with) the short code the program shows, see which program
asks for what, and approve or deny. Approving makes a token, so it wants a sign-in within 10 minutes and
a session that may do what the program asks."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request

from .. import db
from ..context import now
from ..errors import Limited
from ..store.accounts import member_of
from ..store.device import CLIENTS, decide, normal_user_code, pending
from ..store.models import DeviceCode
from ..throttle import sign_in_failures
from .base import recently, sign_in_again, signed_in

bp = Blueprint("device", __name__)


def _page(status: int = 200, **shown):
    return render_template("device.html", clients=CLIENTS, recent=recently(),
                           **{"error": None, "request": None, "done": None, "code": "", **shown}), status


def _find(typed: str):
    """The pending request for the typed code; wrong codes are counted per member (guessing is limited)."""
    failures = sign_in_failures()
    key = f"device-code:{g.page_member.id}"
    wait = failures.over(key)
    if wait:
        raise Limited("rate_limited", f"too many wrong codes; try again in {int(wait) + 1} s", wait)
    found = pending(db.session(), typed, now())
    if found is None:
        failures.hit(key)
    return found


@bp.get("/device")
@signed_in("read")
def enter():
    typed = request.args.get("user_code", "")
    return _page(code=normal_user_code(typed) or typed[:20])


@bp.post("/device")
@signed_in("read")
def confirm():
    """Show which program asks, for what, with Approve and Deny; or decide (the form's ``decision``)."""
    typed = request.form.get("user_code", "")
    try:
        found = _find(typed)
    except Limited as exc:
        return _page(429, error=exc.message, code=typed[:20])
    if found is None:
        return _page(404, error="That code is not known, or it has expired or been used. Check the code the "
                                "program shows, or start again there.", code=typed[:20])
    decision = request.form.get("decision")
    if decision not in ("approve", "deny"):
        return _page(request=found, code=found.user_code)
    if decision == "approve":
        if not recently():
            return _page(403, error=sign_in_again("Approving a program").message + ", with the same code",
                         code=found.user_code)
        over = [s for s in found.scopes.split() if s not in g.web_session.scopes.split()]
        if over:
            return _page(403, error=f"You signed in with a token that does not allow '{over[0]}'. Sign in with "
                                    "your e-mail address to approve this.", code=found.user_code)
    s = db.write_session()
    row = s.get(DeviceCode, found.id)
    if row is None or row.decided_at is not None:
        s.rollback()
        return _page(409, error="That request has been decided already.", code=found.user_code)
    decide(s, member_of(s, g.page_member.id), row, decision == "approve", now())
    s.commit()
    return _page(done="approved" if decision == "approve" else "denied", request=found)
