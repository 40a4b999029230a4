"""Institution sign-in (OpenID Connect), off unless ``OIDC_ISSUER`` (``CPD_OIDC_ISSUER``) is set, with
``OIDC_CLIENT_ID`` and ``OIDC_CLIENT_SECRET``: the service discovers the provider (its
``/.well-known/openid-configuration``), signs in with the authorization code flow and PKCE (Authlib, which
checks the ID token's signature, issuer, audience and nonce), and matches or makes the account by the
provider's e-mail claim, which must be verified (``email_verified``); an unverified one is refused. A
provider's verified claim proves the address."""
from __future__ import annotations

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, render_template, url_for
from requests import RequestException

from .. import db
from ..context import now
from ..store.sign_in import proven_member
from .base import DEACTIVATED, after_sign_in, sign_in

bp = Blueprint("oidc", __name__)


def enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def _client():
    if not enabled():
        abort(404)
    return current_app.extensions["cpd_oidc"].create_client("institution")


def _refused(message: str, status: int = 403):
    return render_template("login.html", error=message), status


@bp.get("/login/oidc")
def start():
    return _client().authorize_redirect(url_for("oidc.callback", _external=True))


@bp.get("/login/oidc/callback")
def callback():
    client = _client()
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})            # the ID token's claims, checked
        if "email" not in claims:                              # a provider may give them only at UserInfo
            extra = client.userinfo(token=token)
            if extra.get("sub") != claims.get("sub"):
                raise ValueError("the UserInfo answer is for someone else")
            claims.update(extra)
    except (AuthlibBaseError, RequestException, KeyError, ValueError):
        return _refused("Your institution's sign-in did not complete. Try again.", 400)
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return _refused("Your institution did not give an e-mail address, so you cannot be signed in here.")
    if claims.get("email_verified") is not True:
        return _refused("Your institution has not verified your e-mail address, so it cannot sign you in here. "
                        "Sign in with an e-mail link instead.")
    s = db.write_session()
    member, _ = proven_member(s, email, claims.get("name") if isinstance(claims.get("name"), str) else None, now())
    if member is None:
        s.rollback()
        return _refused(DEACTIVATED)
    s.commit()
    sign_in(member.id, "oidc")
    return after_sign_in()


def init_app(app: Flask) -> None:
    app.config.setdefault("OIDC_ISSUER", None)
    app.config.setdefault("OIDC_CLIENT_ID", None)
    app.config.setdefault("OIDC_CLIENT_SECRET", None)
    app.config.setdefault("OIDC_NAME", "your institution")
    oauth = app.extensions["cpd_oidc"] = OAuth(app)
    if app.config["OIDC_ISSUER"]:
        issuer = app.config["OIDC_ISSUER"].rstrip("/")
        oauth.register("institution", client_id=app.config["OIDC_CLIENT_ID"],
                       client_secret=app.config["OIDC_CLIENT_SECRET"],
                       server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                       client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"})
