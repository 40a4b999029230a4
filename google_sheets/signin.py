"""``cpd sheets`` with the member's own Google account instead of a service-account key.

Google's OAuth flow for installed apps, as gspread uses it (google-auth-oauthlib's ``InstalledAppFlow``):
the member opens a link, signs in to Google and allows access to their spreadsheets; Google sends the
browser back to a one-time server on this computer (127.0.0.1), and the token is kept in the member's
own file (``~/.config/cpd/google-account.json``, readable by them only). The OAuth client is a setting:
an installed-app ("Desktop") client made once in a Google Cloud project, its JSON given by
``CPD_GOOGLE_OAUTH_CLIENT`` or ``--client``. A service-account key (GOOGLE_APPLICATION_CREDENTIALS),
where one is set, is used first: it is the administrator's choice.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from addin import CpdError

from .files import Unreadable, json_file

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def account_file(environ=None) -> Path:
    """Where the member's Google sign-in is kept."""
    env = os.environ if environ is None else environ
    if env.get("CPD_GOOGLE_ACCOUNT_FILE"):
        return Path(env["CPD_GOOGLE_ACCOUNT_FILE"])
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "cpd" / "google-account.json"


def _client_config(client_file: str | None) -> dict:
    if not client_file:
        raise CpdError("sheets_no_oauth_client", "signing in with your Google account needs the OAuth client your "
                       "organisation made for CPD (a 'Desktop app' client's JSON): set CPD_GOOGLE_OAUTH_CLIENT "
                       "to its file, or give --client FILE")
    try:
        config = json_file(client_file)
    except Unreadable:
        raise CpdError("sheets_bad_oauth_client", f"{client_file} is not an OAuth client file (JSON)") from None
    if not isinstance(config, dict) or not isinstance(config.get("installed"), dict):
        raise CpdError("sheets_bad_oauth_client", f"{client_file} is not an installed-app ('Desktop app') OAuth "
                       "client: make one of that type in the Google Cloud console")
    return config


def sign_in(client_file: str | None, keep: Path, *, open_browser: bool = True,
            announce: Callable[[str], None] = print, timeout: float = 300) -> Path:
    """Run Google's installed-app flow and keep the member's token in ``keep`` (0600); the file."""
    from google_auth_oauthlib.flow import InstalledAppFlow
    flow = InstalledAppFlow.from_client_config(_client_config(client_file), scopes=list(SCOPES))
    try:
        creds = flow.run_local_server(host="127.0.0.1", port=0, open_browser=open_browser,
                                      authorization_prompt_message="Open this link to sign in to Google and allow "
                                      "CPD to read and write your spreadsheets:\n{url}",
                                      success_message="Signed in: you can close this window and go back to the "
                                      "terminal.", timeout_seconds=int(timeout))
    except Exception as exc:  # noqa: BLE001 - oauthlib's errors (access denied, a bad answer) as one code
        raise CpdError("sheets_sign_in_failed", f"Google did not sign you in ({type(exc).__name__}: "
                       f"{str(exc)[:200]})") from None
    if creds is None:
        raise CpdError("sheets_sign_in_failed", "the sign-in was not completed in time; run it again")
    keep.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(keep, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(creds.to_json())
    announce(f"Signed in. Your Google sign-in is kept in {keep} (readable by you only); cpd sheets uses it.")
    return keep


def token_uri(info: dict) -> str:
    """The token endpoint a Google sign-in's tokens come from: the OAuth client's own (Google's, unless the
    organisation's client names another over https, or this computer's for the loopback fake)."""
    uri = info.get("token_uri")
    if isinstance(uri, str) and uri.startswith(("https://", "http://127.0.0.1:")):
        return uri
    return GOOGLE_TOKEN_URI


def user_credentials(info: dict, path: Path):
    """google-auth's credentials for the member's kept sign-in ``info`` (from ``path``), refreshed when they
    expire."""
    from google.oauth2.credentials import Credentials
    try:
        creds = Credentials.from_authorized_user_info(info, list(SCOPES))
    except (ValueError, KeyError, AttributeError):
        raise CpdError("sheets_bad_credentials", f"{path} is not a Google sign-in CPD kept: run "
                       "'cpd sheets login' again") from None
    # google-auth refreshes at Google's token endpoint whatever the file says
    uri = token_uri(info)
    if uri != creds.token_uri:
        expiry, creds = creds.expiry, creds.with_token_uri(uri)
        creds.expiry = expiry                    # the copy would forget when the access token runs out
    return creds
