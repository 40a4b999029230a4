"""The Sheets API's access token, kept between commands until it runs out.

Each ``cpd sheets`` command is a process of its own, and without this each would first ask Google's
token endpoint for a new access token (one more round trip, and for a service account a signature
made with its key). The token is kept in the member's own configuration folder, beside their Google
sign-in (``~/.config/cpd/google-token.json``, readable by them only; ``CPD_GOOGLE_TOKEN_FILE`` names
another), under a digest of whose it is (the service account or signed-in account, and the token
endpoint), and is used again only while it has more than a minute left. A token the API refuses is
refreshed as before (google-auth asks again on a 401), and kept in its place.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

MARGIN = timedelta(minutes=1)


def token_file(environ=None) -> Path:
    from .signin import account_file
    env = os.environ if environ is None else environ
    if env.get("CPD_GOOGLE_TOKEN_FILE"):
        return Path(env["CPD_GOOGLE_TOKEN_FILE"])
    return account_file(env).parent / "google-token.json"


def whose(creds: Any) -> str:
    """Whose token it is: the service account's e-mail (or the signed-in account's refresh token) and the
    endpoint that issues it, as a digest (nothing secret is written as the key)."""
    who = getattr(creds, "service_account_email", None) or getattr(creds, "refresh_token", None) or ""
    uri = getattr(creds, "_token_uri", None) or getattr(creds, "token_uri", None) or ""
    return hashlib.sha256(f"{type(creds).__name__}|{who}|{uri}".encode()).hexdigest()


def _read(path: Path) -> dict[str, Any]:
    try:
        kept = json.loads(path.read_text(encoding="utf-8")[:64 * 1024])
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def restore(creds: Any, path: Path) -> None:
    """Give ``creds`` the kept token for them, if there is one with more than a minute left."""
    entry = _read(path).get(whose(creds))
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return
    try:
        expiry = datetime.fromisoformat(str(entry.get("expiry")))
    except ValueError:
        return
    if expiry - MARGIN > datetime.now(timezone.utc).replace(tzinfo=None):     # google-auth's expiry is naive UTC
        creds.token, creds.expiry = entry["token"], expiry


def keep(creds: Any, path: Path) -> None:
    """Keep ``creds``' token (with when it runs out) for the next command; nothing when it has none."""
    token, expiry = getattr(creds, "token", None), getattr(creds, "expiry", None)
    if not isinstance(token, str) or not isinstance(expiry, datetime):
        return
    kept = {k: v for k, v in _read(path).items() if _live(v)}
    kept[whose(creds)] = {"token": token, "expiry": expiry.isoformat()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(kept, fh)
        os.replace(fresh, path)
    except OSError:
        pass                     # a folder that cannot be written: the next command asks for a token again


def _live(entry: Any) -> bool:
    try:
        return isinstance(entry, dict) and datetime.fromisoformat(str(entry.get("expiry"))) > \
            datetime.now(timezone.utc).replace(tzinfo=None)
    except ValueError:
        return False
