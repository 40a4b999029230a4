"""What every page shares: the signed-in member's server-side session (``signed_in``, ``admin_only``), CSRF
tokens on every form, and the template filters and globals. Registered by ``init_app``.

Members sign in by a link mailed to their address, by accepting an invitation, or with a token that
has the ``read`` scope. A sign-in is a server-side session (``WebSession``): the cookie (Secure,
HttpOnly, SameSite) holds only a random key, and the session ends at once on sign-out, when the token
it was made from is revoked, or when the member is erased or deactivated. What a page may do follows
how the session was made: one made from a token may do what the token may (``signed_in(scope)``), and
erasing, adding passkeys and making tokens want a sign-in within the last 10 minutes (``recently``).
Every signed-in page is sent with ``Cache-Control: no-store``. Every query is scoped to the signed-in
member.
"""
from __future__ import annotations

import hmac
import secrets
import zoneinfo
from datetime import date, datetime, timezone
from functools import lru_cache, wraps
from zoneinfo import ZoneInfo

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from markupsafe import Markup

from addin import count, fmt_hours, list_profiles

from .. import db
from ..context import now
from ..errors import Forbidden
from ..store.accounts import LiveToken, live_session, recent, start_session

# their POSTs carry a CSRF token
PAGE_BLUEPRINTS = ("account", "settings", "passkeys", "device", "member", "record", "mentors", "sheet", "admin",
                   "members")


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def sign_in(member_id: int, method: str, token: LiveToken | None = None) -> None:
    """Sign the browser in as the member, by ``method`` (from ``token`` if given): a new server-side session,
    a new cookie, a new CSRF token."""
    key = start_session(db.session(), member_id, current_app.permanent_session_lifetime, method=method,
                        token=token, now=now())
    back = session.get("next")
    session.clear()
    if back:
        session["next"] = back
    session["sid"] = key
    session.permanent = True


def signed_in(scope: str = "read"):
    """The page needs a signed-in member whose token has ``scope`` (403 otherwise)."""
    def decorate(view):
        @wraps(view)
        def run(*args, **kwargs):
            live = live_session(db.session(), session.get("sid"), now())
            if live is None:
                session.pop("sid", None)
                if request.method == "GET":
                    session["next"] = request.full_path.rstrip("?")     # back here once signed in
                return redirect(url_for("account.login"))
            if scope not in live.scopes.split():
                abort(403, description=f"The token you signed in with does not allow this (it lacks the '{scope}' "
                                       "scope). Sign in with your e-mail address, or a token that has it.")
            g.page_member = live.member
            g.web_session = live
            g.member_ref = live.member.public_id
            return view(*args, **kwargs)
        return run
    return decorate


def after_sign_in():
    """Where a browser goes once signed in: the page it was sent away from (a path on this site), else the
    dashboard."""
    back = session.pop("next", None)
    if isinstance(back, str) and back.startswith("/") and not back.startswith(("//", "/\\")):
        return redirect(back)
    return redirect(url_for("member.dashboard"))


DEACTIVATED = "This account has been deactivated. Ask your CPD service administrator."


def sign_in_again(what: str) -> Forbidden:
    """The refusal of ``what`` for a sign-in older than 10 minutes (raised, or shown on the page asked from)."""
    return Forbidden("sign_in_again", f"{what} needs a sign-in within the last 10 minutes: sign out, sign in "
                                      "again and try once more")


def recently() -> bool:
    """Whether the signed-in browser's sign-in was within the last 10 minutes (what erasure, passkeys and
    new tokens ask)."""
    live = getattr(g, "web_session", None)
    return live is not None and recent(live, now())


def admin_only(view):
    @wraps(view)
    @signed_in("read")
    def run(*args, **kwargs):
        if not g.page_member.is_admin:
            abort(404)
        return view(*args, **kwargs)
    return run


def _hours(value) -> str:
    return fmt_hours(float(value or 0))


def _when(value) -> Markup:
    """A time as people write it, as a ``<time>`` element: in the member's time zone when they have set one
    ('2 Dec 2026, 13:16 CET'), else in UTC for the page's script to show in the browser's own zone and
    locale (static/local-time.js)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    utc = value.astimezone(timezone.utc)
    zone = getattr(g.get("page_member"), "time_zone", None)
    shown, fixed = (utc.astimezone(ZoneInfo(zone)), True) if zone in time_zones() else (utc, False)
    text = f"{shown.day} {shown:%b %Y}, {shown:%H:%M} {shown:%Z}"
    return Markup('<time datetime="{}"{}>{}</time>').format(
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"), Markup(' data-zone="set"') if fixed else "", text)


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA time zones a member may choose (the system's or the tzdata package's)."""
    return frozenset(zoneinfo.available_timezones())


def _day(value) -> str:
    """A date as people write it: '1 Jan 2025'."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}" if isinstance(value, (date, datetime)) else str(value)


def shipped(profile_id: str):
    """The shipped profile with that id (None for another: a member's own profile file)."""
    return next((p for p in list_profiles() if p.id == profile_id), None)


def figures(readiness: dict, profile_id: str) -> dict:
    """What the pages draw of a readiness: hours against the target, and hours by category, by skill type
    and by competence, each as (label, hours) with the largest for the bars' scale."""
    profile = shipped(profile_id)
    totals = readiness.get("totals") or {}

    def rows(key: str, terms) -> list[tuple[str, float]]:
        labels = {t.id: t.label for t in terms}
        return [(labels.get(k, k or "(none)"), v) for k, v in (totals.get(key) or {}).items()]

    groups = {"categories": rows("by_category", profile.categories if profile else ()),
              "skills": rows("by_skill_type", profile.skill_types if profile else ()),
              "competences": sorted(rows("by_competence", ()))}
    top = max((v for g in groups.values() for _, v in g), default=0) or 1
    return {"target": readiness.get("target"), "counted": readiness.get("counted_hours") or 0,
            "unit": readiness.get("unit") or "hours", "top": top, **groups}


def _institution(profile_id: str) -> str:
    """A profile's institution by its short name ('IET', 'Engineers Ireland'), not its id."""
    profile = shipped(profile_id)
    return profile.short_name if profile else profile_id


def _institution_name(profile_id: str) -> str:
    """A profile's institution in full ('The Institution of Engineering and Technology')."""
    profile = shipped(profile_id)
    return profile.name if profile else profile_id


def init_app(app: Flask) -> None:
    app.add_template_filter(_hours, "hours")
    app.add_template_filter(_when, "when")
    app.add_template_filter(_day, "day")
    app.add_template_filter(_institution, "institution")
    app.add_template_filter(_institution_name, "institution_name")
    app.add_template_global(figures, "figures")
    app.add_template_global(count, "count")

    @app.context_processor
    def _inject():
        live = getattr(g, "web_session", None)
        return {"csrf_token": csrf_token, "member": getattr(g, "page_member", None),
                "recent_sign_in": live is not None and "submit" in live.scopes.split() and recently()}

    @app.after_request
    def _no_store(response):
        if getattr(g, "page_member", None) is not None:
            response.headers["Cache-Control"] = "no-store"     # a signed-in page is never kept by a cache
        return response

    @app.before_request
    def _check_csrf():
        if request.method == "POST" and request.blueprint in PAGE_BLUEPRINTS:
            sent = request.form.get("csrf", "")
            if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
                abort(400, description="The form has expired or did not come from this site. Reload the page and "
                                       "try again.")
