"""The member's pages and the admin page, server-rendered.

Members sign in with a token that has the ``read`` scope; pages that submit need ``submit``. A
sign-in is a server-side session (``WebSession``): the cookie (secure, HttpOnly, SameSite) holds
only a random key, and the session ends at once on sign-out, when its token is revoked or when the
member is erased. Failed sign-ins are rate-limited per address and per token. Every form carries
a CSRF token. Every query is scoped to the signed-in member.
"""
from __future__ import annotations

import hmac
import io
import json
import math
import secrets
from datetime import date, datetime, timezone
from functools import wraps

from flask import (Blueprint, abort, current_app, g, make_response, redirect, render_template, request, send_file,
                   session, url_for)
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from addin import CpdError, count, fmt_hours, list_profiles, read_workbook, rows_as_dicts, template_path

from . import db
from .accounts import AuthFailure, LiveToken, hash_token, live_token
from .delivery import enable_endpoint, endpoint_disabled, resend
from . import mentoring
from .models import ApiToken, CpdRecord, Delivery, Submission, WebSession, iso_utc, utcnow
from .records import latest, prepare
from .submissions import Refused, accept, document

bp = Blueprint("pages", __name__)
bp.add_app_template_global(count, "count")


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_template_filter("hours")
def _hours(value) -> str:
    return fmt_hours(float(value or 0))


@bp.app_template_filter("when")
def _when(value) -> str:
    """A time as people write it: '30 Nov 2026, 09:15 UTC' (stored times and ISO text alike)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return f"{value.day} {value:%b %Y}, {value:%H:%M} UTC"


@bp.app_template_filter("day")
def _day(value) -> str:
    """A date as people write it: '1 Jan 2025'."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}" if isinstance(value, (date, datetime)) else str(value)


@bp.app_template_global("figures")
def figures(readiness: dict, profile_id: str) -> dict:
    """What the pages draw of a readiness: hours against the target, and hours by category, by skill type
    and by competence, each as (label, hours) with the largest for the bars' scale."""
    profile = _shipped(profile_id)
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


def _shipped(profile_id: str):
    """The shipped profile with that id (None for another: a member's own profile file)."""
    return next((p for p in list_profiles() if p.id == profile_id), None)


@bp.app_template_filter("institution")
def _institution(profile_id: str) -> str:
    """A profile's institution by its short name ('IET', 'Engineers Ireland'), not its id."""
    profile = _shipped(profile_id)
    return profile.short_name if profile else profile_id


@bp.app_template_filter("institution_name")
def _institution_name(profile_id: str) -> str:
    """A profile's institution in full ('The Institution of Engineering and Technology')."""
    profile = _shipped(profile_id)
    return profile.name if profile else profile_id


@bp.app_context_processor
def _inject():
    return {"csrf_token": csrf_token, "member": getattr(g, "page_member", None)}


@bp.before_app_request
def _check_csrf():
    if request.method == "POST" and request.blueprint in ("pages", "sheet_pages", "record_pages"):
        sent = request.form.get("csrf", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(400, description="The form has expired or did not come from this site. Reload the page and try again.")


def start_session(token: LiveToken) -> None:
    """Sign the browser in with ``token``: a new server-side session, a new cookie, a new CSRF token.
    Sessions past their expiry are cleared out at the same time."""
    key = secrets.token_urlsafe(32)
    s = db.write_session()
    s.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    s.add(WebSession(key_hash=hash_token(key), member_id=token.member_id, token_id=token.id,
                     expires_at=utcnow() + current_app.permanent_session_lifetime))
    s.commit()
    session.clear()
    session["sid"] = key
    session.permanent = True


def current_session() -> WebSession | None:
    """The browser's live session: not signed out, its token not revoked, its member not erased, not expired."""
    key = session.get("sid")
    if not key:
        return None
    row = db.session().scalar(select(WebSession).options(joinedload(WebSession.token), joinedload(WebSession.member))
                              .where(WebSession.key_hash == hash_token(key)))
    if row is None or row.token.revoked_at is not None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=timezone.utc)
    return row if expires > utcnow() else None


def signed_in(scope: str = "read"):
    """The page needs a signed-in member whose token has ``scope`` (403 otherwise)."""
    def decorate(view):
        @wraps(view)
        def run(*args, **kwargs):
            live = current_session()
            if live is None:
                session.pop("sid", None)
                return redirect(url_for("pages.login"))
            if scope not in live.token.scopes.split():
                abort(403, description=f"The token you signed in with does not allow this (it lacks the '{scope}' "
                                       "scope). Sign in with a token that has it.")
            g.page_member = live.member
            g.member_ref = live.member.public_id
            return view(*args, **kwargs)
        return run
    return decorate


def admin_only(view):
    @wraps(view)
    @signed_in("read")
    def run(*args, **kwargs):
        if not g.page_member.is_admin:
            abort(404)
        return view(*args, **kwargs)
    return run


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status, wait = None, 200, None
    if request.method == "POST":
        try:
            token = live_token(request.form.get("token", "").strip(), "read")
        except AuthFailure as exc:
            error, status = {401: "That token is not valid. Use the token from your CPD service administrator.",
                             403: "That token cannot be used to sign in (it lacks the 'read' scope)."}.get(
                exc.status, exc.message[:1].upper() + exc.message[1:] + "."), exc.status
            wait = exc.retry_after
        else:
            start_session(token)
            return redirect(url_for("pages.dashboard"))
    response = make_response(render_template("login.html", error=error), status)
    if status == 429:
        response.headers["Retry-After"] = str(math.ceil(wait or 60))
    return response


@bp.post("/logout")
def logout():
    key = session.get("sid")
    if key:
        s = db.write_session()
        s.execute(delete(WebSession).where(WebSession.key_hash == hash_token(key)))
        s.commit()
    session.clear()
    return redirect(url_for("pages.login"))


def dashboard_page(status: int = 200, **shown):
    """The member's page, with what an action has to show (an upload's or a sheet's problems, a sheet's
    review) rendered from the server: nothing of it is kept in the cookie."""
    subs = db.session().scalars(select(Submission).options(joinedload(Submission.delivery))
                                .where(Submission.member_id == g.page_member.id)
                                .order_by(Submission.received_at.desc())).all()
    s = db.session()
    records = s.scalars(select(CpdRecord).where(CpdRecord.member_id == g.page_member.id)
                        .order_by(CpdRecord.period_start.desc())).all()
    shown = {"error": None, "sheet_error": None, "sheet_report": None, "sheet_code": None, "mentor_error": None,
             "invitation": None, **shown}
    return render_template("dashboard.html", submissions=subs, profiles=list_profiles(), iso=iso_utc,
                           sheets=g.page_member.sheets, records=[(r, latest(s, r.id)) for r in records],
                           grants=mentoring.grants_of(s, g.page_member.id), state=mentoring.grant_state,
                           mentee_count=mentoring.mentee_count(s, g.page_member.id), **shown), status


@bp.get("/")
@signed_in("read")
def dashboard():
    return dashboard_page()


@bp.post("/upload")
@signed_in("submit")
def upload():
    """Upload and submit. A record that is not ready is kept and shown with what fails, and sent only when
    the member confirms (from its record page)."""
    file = request.files.get("workbook")
    data = file.read() if file else b""
    prep = None
    if data:
        try:
            prep = prepare(read_workbook(data))           # read once: asked about, or submitted as it is
        except CpdError:
            prep = None                                   # accept() says why
        if prep is not None and prep.verdict == "not_ready":
            from .record_pages import ask_first
            return ask_first(prep)
    try:
        sub, _ = accept(g.page_member, data, None, prep)
    except Refused as exc:
        return dashboard_page(exc.status, error=exc.body)
    return redirect(url_for("pages.submission", sub_id=sub.id))


@bp.get("/submissions/<sub_id>")
@signed_in("read")
def submission(sub_id: str):
    sub = db.session().scalar(select(Submission).where(Submission.id == sub_id,
                                                       Submission.member_id == g.page_member.id))
    if sub is None:
        abort(404)
    readiness = document(sub)["readiness"]
    return render_template("submission.html", sub=sub, r=readiness, iso=iso_utc)


@bp.get("/template/<profile_id>.xlsx")
def template(profile_id: str):
    if profile_id not in {p.id for p in list_profiles()}:
        abort(404)
    return send_file(template_path(profile_id), as_attachment=True, download_name=f"cpd-record-{profile_id}.xlsx")


@bp.get("/export")
@signed_in("read")
def export():
    """Everything stored about the member, as JSON."""
    m = g.page_member
    s = db.session()
    subs = s.scalars(select(Submission).where(Submission.member_id == m.id)).all()
    tokens = s.scalars(select(ApiToken).where(ApiToken.member_id == m.id)).all()
    data = {"member": {"id": m.public_id, "email": m.email, "created_at": iso_utc(m.created_at)},
            "tokens": [{"prefix": t.prefix, "created_at": iso_utc(t.created_at),
                        "last_used_at": t.last_used_at and iso_utc(t.last_used_at),
                        "revoked_at": t.revoked_at and iso_utc(t.revoked_at)} for t in tokens],
            "submissions": [{"id": x.id, "received_at": iso_utc(x.received_at), "profile": x.profile_id,
                             "status": x.delivery.status, "receipt_id": x.delivery.receipt_id,
                             **_record_of(document(x))} for x in subs],
            "linked_sheets": [{"key": x.sheet_key, "title": x.title, "linked_at": iso_utc(x.created_at)}
                              for x in m.sheets],
            **mentoring.export(s, m.id)}
    buf = io.BytesIO(json.dumps(data, indent=2).encode())
    return send_file(buf, mimetype="application/json", as_attachment=True, download_name="my-cpd-data.json")


def _record_of(doc: dict) -> dict:
    """A stored document's record and readiness, with the tables as one object per row (for people)."""
    return {"record": {"member": doc["member"], "period": doc["period"],
                       "objectives": rows_as_dicts(doc["objectives"]), "activities": rows_as_dicts(doc["activities"])},
            "readiness": doc["readiness"]}


@bp.post("/erase")
@signed_in("read")
def erase():
    """Delete the member and everything stored about them: submissions, stored workbooks,
    queued deliveries and tokens."""
    if request.form.get("confirm") != "DELETE":
        return dashboard_page(400, error={"code": "not_confirmed", "message": "Type DELETE to confirm erasing your data."})
    s = db.write_session()
    s.delete(g.page_member)
    s.commit()
    session.clear()
    return render_template("erased.html")


@bp.get("/admin")
@admin_only
def admin():
    s = db.session()
    counts = dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    problems = s.scalars(select(Delivery).where(Delivery.status.in_(("dead", "failed")))
                         .order_by(Delivery.next_attempt_at)).all()
    return render_template("admin.html", counts=counts, problems=problems, state=endpoint_disabled(s),
                           endpoint=current_app.config.get("INSTITUTION_URL"),
                           secrets=len(current_app.config.get("SIGNING_SECRETS") or []))


@bp.post("/admin/resend/<sub_id>")
@admin_only
def admin_resend(sub_id: str):
    resend(db.write_session(), sub_id)
    return redirect(url_for("pages.admin"))


@bp.post("/admin/enable-endpoint")
@admin_only
def admin_enable():
    enable_endpoint(db.write_session())
    return redirect(url_for("pages.admin"))
