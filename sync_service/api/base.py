"""What every API view shares: the caller's token (``require_token``), the request's body, and the
member a view acts for. Errors are raised (``sync_service.errors``) and answered in one place
(``answers``)."""
from __future__ import annotations

from functools import wraps
from typing import Any, TypeGuard

from flask import Flask, g, request
from sqlalchemy.exc import SQLAlchemyError

from addin import GridRead, ranges_source, read_record

from .. import db
from ..errors import BadRequest, Unauthenticated
from ..store.accounts import live_token, touch
from ..store.submissions import Caller
from ..throttle import address, sign_in_failures


def require_token(scope: str, end_read: bool = True):
    """The request's member, from its Bearer token (the scheme in any case): Unauthenticated for a missing,
    unknown or revoked one, Forbidden for one without the scope, Limited after too many failures.
    ``end_read=False``: the token's read transaction is left for the view's first read to end (one
    transaction for both, where the view reads the database at once and ends its read itself)."""
    def decorate(view):
        @wraps(view)
        def run(*args, **kwargs):
            scheme, _, sent = request.headers.get("Authorization", "").strip().partition(" ")
            if scheme.lower() != "bearer" or not sent.strip():      # the scheme is case-insensitive (RFC 9110)
                raise Unauthenticated("unauthorized", "send your token as 'Authorization: Bearer <token>'")
            token = live_token(db.session(), sent.strip(), scope, sign_in_failures(), address(), end_read)
            g.member = token.member
            g.token_scopes = token.scopes.split()
            g.member_ref = token.member.public_id            # what the request log names
            if token.stale:
                g.touch_token = token.id       # noted with the request's own write, or just after the view
            return view(*args, **kwargs)
        return run
    return decorate


def caller() -> Caller:
    """The member the view acts for, with the token to note as used in its own write (taken from ``g``)."""
    return Caller(g.member.id, g.member.public_id, g.pop("touch_token", None))


def read_body() -> bytes:
    """The request body, whole. Over ``MAX_CONTENT_LENGTH`` it is refused (413) however it is sent: with a
    Content-Length, or chunked (where Werkzeug's own reading would stop at the limit and return the cut body)."""
    if request.is_json:           # read whole, within the limit, by the control-character check (hardening)
        return request.get_data(cache=True)
    chunks = []
    while chunk := request.stream.read(64 * 1024):          # raises RequestEntityTooLarge past the limit
        chunks.append(chunk)
    return b"".join(chunks)


def json_object(example: str) -> dict:
    """The JSON object sent as the body; BadRequest naming ``example`` when it is not one."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("bad_request", f"send JSON like {example}")
    return body


def sheet_ranges(body: object) -> GridRead:
    """The ranges the Google Sheets menu sends (``{"record": [[...]], "activities": [[...]], "plan": [[...]]}``,
    as the functions take them), read by the core's reader as the sheet's own cells; BadRequest for any
    other shape (the reader's CpdError passes through)."""
    parts = body if isinstance(body, dict) else {}
    record, activities, plan = parts.get("record"), parts.get("activities"), parts.get("plan") or []
    if _rows(record) and _rows(activities) and _rows(plan):
        return read_record(ranges_source("the sheet", record, activities, plan))
    raise BadRequest("bad_arguments", 'send {"record": [[...]], "activities": [[...]], "plan": [[...]]}: the Record '
                                      "header range (A3:F7), the activity table from its header row (row 9) and the "
                                      "Plan from its header row (row 4)")


def _rows(value: object) -> TypeGuard[list[list[Any]]]:
    return isinstance(value, list) and all(isinstance(r, list) for r in value)


def init_app(app: Flask) -> None:
    @app.after_request
    def _touch_after(response):
        """A request that wrote nothing of its own notes its token's use in a short transaction of its own."""
        token_id = g.pop("touch_token", None)
        if token_id is not None and response.status_code < 500:
            session = db.session()
            try:
                db.write_session()
                touch(session, token_id)
                session.commit()
            except SQLAlchemyError:
                session.rollback()       # a missed 'last used' never fails the request
        return response
