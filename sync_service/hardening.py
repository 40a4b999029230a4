"""What every response gets: security headers (slow request bodies are the server's: ``whole_requests``).

Pages carry a Content-Security-Policy that allows no inline script or style and no framing, with
``nosniff``; the add-in's own pages (``/addin/``) may be framed by Office and load Office.js.
"""
from __future__ import annotations

from flask import Flask, request

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


def init_app(app: Flask) -> None:
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
