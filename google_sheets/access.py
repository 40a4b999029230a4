"""Who reads the sheets, and the access token they read with.

Whose files: a service account's key (``GOOGLE_APPLICATION_CREDENTIALS``), else the member's own sign-in
(``cpd sheets login``). Both are read here as JSON, without google-auth: a token kept from an earlier
command (``token_cache``), or the sign-in's own while it lasts, is all a read needs. google-auth (and, for
a service account, the cryptography that signs its request) is loaded only to get a new token, on the
first command of the hour or after the API refused the one in hand, and for gspread's writes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from addin import CpdError

from .files import Unreadable, json_file
from .signin import SCOPES, token_uri, user_credentials
from .token_cache import keep, lasting, restore

SIGNED_IN = "your Google account"        # who reads the sheets after 'cpd sheets login' (no service account)


class Unreachable(Exception):
    """No answer from Google: a connection failed, was lost or timed out (``sheets_unavailable``)."""


class Identity:
    """Whose sheets are read: a service account's key, or the member's own Google sign-in."""

    __slots__ = ("email", "kind", "path", "info")

    def __init__(self, email: str, kind: str, path: Path, info: dict):
        self.email = email        # who errors name: the service account's address, or SIGNED_IN
        self.kind = kind          # "service_account" or "authorized_user"
        self.path = path
        self.info = info          # the file's JSON: a private key or a refresh token (never shown)

    def __repr__(self) -> str:
        return f"Identity({self.email!r}, {self.kind!r}, {str(self.path)!r})"

    @property
    def key(self) -> str:
        """Whose token it is, as a digest (nothing secret is written as the kept token's key): the account and
        the endpoint that issues its tokens."""
        if self.kind == "service_account":
            who, uri = self.info["client_email"], self.info["token_uri"]
        else:
            who, uri = self.info["refresh_token"], token_uri(self.info)
        return hashlib.sha256(f"{self.kind}|{who}|{uri}".encode()).hexdigest()


def identity(credentials_file: str | None, account_file: str | None) -> Identity:
    """The service account's key when one is set, else the member's sign-in when there is one; a CpdError
    saying what is wrong otherwise."""
    if not credentials_file and account_file and Path(account_file).exists():
        return _signed_in(Path(account_file))
    return _service_account(credentials_file)


def _signed_in(path: Path) -> Identity:
    try:
        info = json_file(path)
    except Unreadable:
        info = None
    if not isinstance(info, dict) or not all(isinstance(info.get(k), str) and info[k]
                                             for k in ("refresh_token", "client_id", "client_secret")):
        raise CpdError("sheets_bad_credentials", f"{path} is not a Google sign-in CPD kept: run "
                       "'cpd sheets login' again")
    return Identity(SIGNED_IN, "authorized_user", path, info)


def _service_account(path: str | None) -> Identity:
    if not path:
        raise CpdError("sheets_no_credentials", "sign in with your Google account ('cpd sheets login'), or set "
                       "GOOGLE_APPLICATION_CREDENTIALS to a service account's key file (JSON); "
                       "docs/google-sheets.md says how")
    try:
        info = json_file(path)
    except FileNotFoundError:
        raise CpdError("sheets_no_credentials", f"no key file at {path} (GOOGLE_APPLICATION_CREDENTIALS)") from None
    except Unreadable:
        raise CpdError("sheets_bad_credentials", f"{path} is not a service account key file (JSON)") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise CpdError("sheets_bad_credentials", f"{path} is not a service account key (its type must be "
                       f"'service_account')")
    missing = [k for k in ("client_email", "token_uri", "private_key") if not isinstance(info.get(k), str)]
    if missing:
        raise CpdError("sheets_bad_credentials", f"{path}: the key cannot be used (no {missing[0]})")
    return Identity(info["client_email"], "service_account", Path(path), info)


class Access:
    """The access token of one identity: the sign-in's own or the one kept from an earlier command while it
    lasts, else a new one from google-auth; and google-auth's credentials, for gspread, holding it."""

    def __init__(self, who: Identity, token_file: str | None, timeout: float):
        self.who, self.timeout = who, timeout
        self.token_file = Path(token_file) if token_file else None
        self._creds: Any = None
        self._token, self._expiry = _own_token(who)
        kept = restore(who.key, self.token_file) if self.token_file else None
        if kept:
            self._token, self._expiry = kept

    def token(self) -> str:
        """A token with more than a minute left."""
        if self._token and lasting(self._expiry):
            return self._token
        return self.refresh()

    def refresh(self) -> str:
        """A new token from Google's token endpoint (google-auth), kept for the next command."""
        creds = self.credentials()
        from google.auth.transport.requests import Request
        with auth_errors(self.who):
            creds.refresh(partial(Request(), timeout=self.timeout))
        self.noted(creds)
        return creds.token

    def credentials(self) -> Any:
        """google-auth's credentials for this identity (loaded now), holding the token in hand."""
        if self._creds is None:
            if self.who.kind == "service_account":
                from google.oauth2 import service_account
                try:
                    self._creds = service_account.Credentials.from_service_account_info(self.who.info,
                                                                                        scopes=list(SCOPES))
                except (ValueError, KeyError, TypeError) as exc:
                    raise CpdError("sheets_bad_credentials", f"{self.who.path}: the key cannot be used "
                                   f"({type(exc).__name__})") from None
            else:
                self._creds = user_credentials(self.who.info, self.who.path)
        if self._token and self._creds.token != self._token:
            self._creds.token, self._creds.expiry = self._token, self._expiry
        return self._creds

    def noted(self, creds: Any) -> None:
        """google-auth has a token (a refresh here, or in gspread's session): use it, and keep it for the next
        command unless it is the one in hand."""
        token, expiry = getattr(creds, "token", None), getattr(creds, "expiry", None)
        if isinstance(token, str) and token != self._token and isinstance(expiry, datetime):
            self._token, self._expiry = token, expiry
            if self.token_file:
                keep(self.who.key, token, expiry, self.token_file)


def _own_token(who: Identity) -> tuple[str | None, datetime | None]:
    """The access token a Google sign-in was kept with, and when it runs out (as google-auth reads it)."""
    token, expiry = who.info.get("token"), who.info.get("expiry")
    if who.kind != "authorized_user" or not isinstance(token, str) or not isinstance(expiry, str):
        return None, None
    try:
        return token, datetime.fromisoformat(expiry.rstrip("Z").split(".")[0])
    except ValueError:
        return None, None


@contextmanager
def auth_errors(who: Identity) -> Iterator[None]:
    """google-auth's failures as CpdErrors a member can act on (google-auth is loaded by then)."""
    from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
    try:
        yield
    except RefreshError:
        if who.kind == "authorized_user":
            raise CpdError("sheets_auth_failed", "Google refused your sign-in (was CPD's access revoked?): run "
                           "'cpd sheets login' again") from None
        raise CpdError("sheets_auth_failed", "Google refused the service account's credentials "
                       "(is the key revoked or the account deleted?)") from None
    except TransportError:
        raise Unreachable("the token endpoint cannot be reached") from None
    except GoogleAuthError:
        raise CpdError("sheets_auth_failed", "the service account's credentials cannot be used") from None
