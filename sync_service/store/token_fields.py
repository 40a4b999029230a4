"""What a new access token is asked to be (its name, scopes and expiry), checked the same for the API and
the settings page."""
from __future__ import annotations

from datetime import datetime

from ..errors import BadRequest
from .accounts import SCOPES
from .mentoring import parse_expiry
from .models import utcnow


def wanted_scopes(raw, allowed) -> str:
    """The scopes asked for (a list or space-separated text), each known and within ``allowed``."""
    asked = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if not asked or not all(isinstance(x, str) and x in SCOPES for x in asked):
        raise BadRequest("bad_scopes", "scopes must be a list of 'read' and 'submit'")
    over = [x for x in asked if x not in allowed]
    if over:
        raise BadRequest("bad_scopes", f"a token cannot give more than the caller may: not {', '.join(over)}")
    return " ".join(x for x in SCOPES if x in asked)


def token_fields(body: dict, allowed) -> tuple[str, str, datetime | None]:
    """A new token's name, scopes and expiry from a request's fields; BadRequest naming the one that is wrong."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise BadRequest("bad_name", "give the token a name of up to 100 characters, such as 'Laptop cpd'")
    expires_at = parse_expiry(body.get("expires"))
    if expires_at is not None and expires_at <= utcnow():
        raise BadRequest("bad_expiry", "the expiry date must be in the future")
    return name.strip(), wanted_scopes(body.get("scopes", "read submit"), allowed), expires_at
