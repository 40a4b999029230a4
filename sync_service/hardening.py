"""What every response gets: security headers (slow request bodies are the server's: ``whole_requests``).

Pages carry a Content-Security-Policy that allows no inline script or style and no framing, with
``nosniff``; the add-in's own pages (``/addin/``) may be framed by Office and load Office.js.
"""
from __future__ import annotations

import json
import re

import orjson
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from addin import gc_paused

from .errors import BadRequest

# Office frames the add-in's pages in Excel on the web; everything else may be framed by nobody.
OFFICE_FRAME_ANCESTORS = ("'self' https://*.office.com https://*.office365.com https://*.officeapps.live.com "
                          "https://*.sharepoint.com https://*.cloud.microsoft https://*.microsoft365.com")
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# The add-in's pages load Office.js from Microsoft's CDN, which loads more of itself from there and
# from ajax.aspnetcdn.com, reports to Microsoft's telemetry, and sets inline styles as it runs (its own
# issues name these); still no inline script and no eval.
ADDIN_CSP = ("default-src 'self'; script-src 'self' https://appsforoffice.microsoft.com https://ajax.aspnetcdn.com; "
             "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "connect-src 'self' https://browser.pipe.aria.microsoft.com; form-action 'self'; base-uri 'none'; "
             "object-src 'none'; frame-ancestors {}")


# C0 control characters but tab, line feed and carriage return: never in an id, an address, a name or
# a filter, nor in anything stored (PostgreSQL refuses NUL in text; SQLite would keep it).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same in a JSON body, where they can only be escapes (\u0000, \b, \f): one pass over the bytes, counting
# the backslashes before each (an even number means the escape is real, not a quoted backslash).
JSON_CONTROL = re.compile(rb"(?<!\\)(?:\\\\)*\\(?:u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])|u007[fF]|[bf])")
UNCHECKED_JSON = ("/api/v1/functions/",)      # worksheet functions store nothing; cells may hold anything


class BoundedJSON(DefaultJSONProvider):
    """JSON bodies parsed by orjson: twice as fast as the standard library's on the add-in's ranges (2.4 MB
    for 2,000 activities: 3.6 against 6.8 ms), and strict RFC 8259 (no NaN or Infinity, no lone
    surrogates, no integers past 64 bits), nesting past 1,024 levels refused: each a bad request (ValueError),
    never a 500. The garbage collector is held off while it parses: the 5,001 lists of a range would
    otherwise set off its passes (a fifth of the parse)."""

    def loads(self, s, **kwargs):
        if kwargs:
            return json.loads(s, **kwargs)
        with gc_paused():
            return orjson.loads(s)


def refuse_control_characters() -> None:
    """BadRequest (``control_characters``) when the path, the query, a form field or a JSON body holds one."""
    where = None
    if CONTROL.search(request.path):
        where = "the address"
    elif any(CONTROL.search(k) or CONTROL.search(v) for k, v in request.args.items(multi=True)):
        where = "the query"
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
            CONTROL.search(k) or CONTROL.search(v) for k, v in request.form.items(multi=True)):
        where = "a form field"
    elif request.is_json and not request.path.startswith(UNCHECKED_JSON) and \
            JSON_CONTROL.search(request.get_data(cache=True)):
        where = "the JSON body"
    if where:
        raise BadRequest("control_characters", f"{where} holds a control character (such as NUL); send text without "
                         "them")


def init_app(app: Flask) -> None:
    app.json = BoundedJSON(app)
    app.before_request(refuse_control_characters)

    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/addin/"):
            ancestors = app.config["ADDIN_FRAME_ANCESTORS"] or OFFICE_FRAME_ANCESTORS
            h.setdefault("Content-Security-Policy", ADDIN_CSP.format(ancestors))
        else:
            h.setdefault("Content-Security-Policy", PAGE_CSP)
            h.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
