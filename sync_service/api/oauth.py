"""The device authorization grant's two endpoints for programs (RFC 8628): ``POST /oauth/device`` gives a
code pair, ``POST /oauth/token`` is polled for the token. Their bodies are OAuth's own (RFC 6749 5.2:
``{"error": ..., "error_description": ...}``, answered by ``answers.for_oauth``), which OAuth clients read;
``store.device`` does the work."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from .. import db
from ..context import base_url, now
from ..store.device import DeviceError, poll, start
from ..throttle import address, over_or_raise, throttle

bp = Blueprint("oauth", __name__)
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@bp.post("/oauth/device")
def device():
    over_or_raise(throttle(), "30/minute", "device:" + address(), "too many code requests; try again shortly")
    started = start(db.write_session(), request.form.get("client_id", ""), request.form.get("scope"), now())
    page = base_url() + url_for("device.enter")
    response = jsonify(device_code=started.device_code, user_code=started.user_code, verification_uri=page,
                       verification_uri_complete=f"{page}?user_code={started.user_code}",
                       expires_in=started.expires_in, interval=started.interval)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/oauth/token")
def token():
    if request.form.get("grant_type") != GRANT:
        raise DeviceError("unsupported_grant_type", f"grant_type must be {GRANT}")
    secret, scopes = poll(db.write_session(), request.form.get("device_code", ""), request.form.get("client_id", ""),
                          now())
    response = jsonify(access_token=secret, token_type="Bearer", scope=scopes)
    response.headers["Cache-Control"] = "no-store"
    return response
