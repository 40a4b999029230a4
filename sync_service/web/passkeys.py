"""Passkeys on the pages (``store.passkeys``): a signed-in member adds one (with a recent sign-in), names
and removes it on the settings page; anyone signs in with one from the sign-in page, in one step. The
two-step ceremonies are driven by ``static/passkeys.js`` and answer it in JSON; each challenge is kept
in the signed session cookie and used once."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, jsonify, redirect, request, session, url_for

from .. import db
from ..context import base_url, now
from ..store import passkeys
from ..store.accounts import member_of
from .base import after_sign_in, recently, sign_in, sign_in_again, signed_in

bp = Blueprint("passkeys", __name__)


LOOPBACK_IPS = ("127.0.0.1", "::1")


def party() -> passkeys.Party:
    """The relying party: the service's public address (PUBLIC_URL), else the address the page came to. A
    passkey's site must be a name, so a service on this computer whose address is a loopback IP takes the
    name the browser used (http://localhost:8000)."""
    base = base_url()
    if urlsplit(base).hostname in LOOPBACK_IPS:
        base = request.host_url.rstrip("/")
    return passkeys.Party(urlsplit(base).hostname or "localhost", base)


def _challenge(key: str) -> bytes | None:
    value = session.pop(key, None)
    return bytes.fromhex(value) if isinstance(value, str) else None


@bp.post("/settings/passkeys/options")
@signed_in("read")
def add_options():
    if not recently():
        raise sign_in_again("Adding a passkey")
    s = db.session()
    options, challenge = passkeys.register_options(s, party(), member_of(s, g.page_member.id))
    session["passkey_add"] = challenge.hex()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/settings/passkeys")
@signed_in("read")
def add():
    if not recently():
        raise sign_in_again("Adding a passkey")
    s = db.write_session()
    row = passkeys.register(s, party(), member_of(s, g.page_member.id), request.form.get("credential", ""),
                            _challenge("passkey_add"), request.form.get("name", ""))
    s.commit()
    return jsonify(id=row.public_id, name=row.name), 201


@bp.post("/settings/passkeys/<passkey_id>/rename")
@signed_in("read")
def rename(passkey_id: str):
    s = db.write_session()
    if not passkeys.rename(s, g.page_member.id, passkey_id, request.form.get("name", "")):
        return redirect(url_for("settings.settings"), 303)
    s.commit()
    return redirect(url_for("settings.settings") + "#passkeys")


@bp.post("/settings/passkeys/<passkey_id>/remove")
@signed_in("read")
def remove(passkey_id: str):
    s = db.write_session()
    if passkeys.remove(s, g.page_member.id, passkey_id):
        s.commit()
    return redirect(url_for("settings.settings") + "#passkeys")


@bp.post("/login/passkey/options")
def sign_in_options():
    options, challenge = passkeys.sign_in_options(party())
    session["passkey_sign_in"] = challenge.hex()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/passkey")
def use():
    member = passkeys.authenticate(db.write_session(), party(), request.form.get("credential", ""),
                                   _challenge("passkey_sign_in"), now())
    sign_in(member.id, "passkey")
    return jsonify(redirect=after_sign_in().location)
