"""A request body that ``cpd serve`` already holds whole, read without werkzeug copying it again.

werkzeug reads a request's stream through a ``LimitedStream`` (the app's ``MAX_CONTENT_LENGTH``) 64 KB at
a time into a growing bytearray, copied once more at the end: for the add-in's 2.1 MB of ranges about 17 MB
of copying, a sixth of the call's instructions. ``whole_requests`` has the whole body in hand before it
calls the app, having refused anything over the same limit unread (413); it puts the bytes in the environ
under ``HELD_WHOLE``, and the request's stream is then the body itself (``BytesIO`` over it: reading it all
returns the same bytes object, no copy). Under any other server the stream is werkzeug's, as before.
"""
from __future__ import annotations

import io
from typing import IO

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import get_input_stream

HELD_WHOLE = "cpd.body_held_whole"


class WholeBodyRequest(Request):
    """Flask's request, its stream the body the server holds whole when it holds it."""

    @cached_property
    def stream(self) -> IO[bytes]:
        body = self.environ.get(HELD_WHOLE)
        if body is None:
            return get_input_stream(self.environ, max_content_length=self.max_content_length)
        most = self.max_content_length               # a view may have set a lower limit than the server's
        if most is not None and len(body) > most:
            raise RequestEntityTooLarge()
        return io.BytesIO(body)                      # shares the bytes: read whole, it gives them back uncopied
