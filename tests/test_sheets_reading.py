"""A check's way to the Sheets API: two calls over one connection of the standard library's http.client,
with the token the last command kept, so that neither gspread nor google-auth is loaded; a token the API
refuses renewed once; answers gzip-compressed; a proxy and a certificate authority taken from the
environment as requests takes them. Against the loopback fake (tests/fake_sheets.py), over HTTPS too."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import sheet_url, use_fake_sheets
from fake_sheets import FakeSheets
from loopback_proxy import LoopbackProxy
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()
HEAVY = ("gspread", "google", "requests", "urllib3", "oauthlib", "requests_oauthlib", "cryptography")
LOADED = f"""
import json, sys
sys.argv = ["cpd", "sheets", "check", sys.argv[1], "--as-of", "2025-06-30"]
from addin.cli import main
try:
    main()
finally:
    print("LOADED", json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
"""


def _check_loading(key: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    done = subprocess.run([sys.executable, "-c", LOADED, key], capture_output=True, text=True, timeout=120,
                          env=os.environ.copy())
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED ")]
    assert line, done.stdout + done.stderr
    done.stdout = "\n".join(x for x in done.stdout.splitlines() if not x.startswith("LOADED "))
    return done, json.loads(line[-1][len("LOADED "):])


def test_a_check_with_a_kept_token_loads_neither_gspread_nor_google_auth(fake_sheets, tmp_path):
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    first, loaded = _check_loading(book.key)
    assert first.returncode == 0 and "Verdict: READY" in first.stdout, first.stderr
    assert "google" in loaded                       # no token yet: google-auth signed the request for one
    assert fake_sheets.token_requests == 1 and (tmp_path / "google-token.json").exists()
    again, loaded = _check_loading(book.key)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert loaded == [], f"a check with a kept token loaded {loaded}"
    assert fake_sheets.token_requests == 1           # the kept token, not a new one
    assert fake_sheets.api_calls() == 4 and fake_sheets.compressed == 4     # two calls a check, each gzip


def test_a_kept_token_the_api_refuses_is_renewed_once_and_kept(cpd, fake_sheets, example_iet, tmp_path):
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    expected = cpd("check", example_iet, "--as-of", "2025-06-30").output
    assert cpd("sheets", "check", book.key, "--as-of", "2025-06-30").output == expected
    kept = json.loads((tmp_path / "google-token.json").read_text())
    fake_sheets.tokens.clear()                        # revoked before it ran out: the API answers 401
    result = cpd("sheets", "check", book.key, "--as-of", "2025-06-30")
    assert result.exit_code == 0 and result.output == expected
    assert fake_sheets.token_requests == 2 and fake_sheets.api_calls() == 2 + 3     # refused, renewed, then one
    now = json.loads((tmp_path / "google-token.json").read_text())
    assert now.keys() == kept.keys() and [e["token"] for e in now.values()][0] in fake_sheets.tokens


def test_a_token_refused_after_renewal_is_an_auth_failure(cpd, fake_sheets):
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    fake_sheets.fail_always("read", 401)
    result = cpd("sheets", "check", book.key, "--json")
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "sheets_auth_failed"
    assert fake_sheets.token_requests == 2 and fake_sheets.api_calls() == 2   # the first token, one renewal


def test_a_plain_http_api_is_reached_through_the_proxy_the_environment_names(cpd, fake_sheets, monkeypatch,
                                                                             example_iet):
    proxy = LoopbackProxy()
    try:
        book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = cpd("sheets", "check", sheet_url(book), "--as-of", "2025-06-30")
        assert result.exit_code == 0, result.output
        assert result.output == cpd("check", example_iet, "--as-of", "2025-06-30").output
        api = [t for m, t in proxy.seen if "/v4/spreadsheets/" in t]
        assert api and all(t.startswith(f"{fake_sheets.url}/v4/spreadsheets/{book.key}?") for t in api)
        seen = len(proxy.seen)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert cpd("sheets", "check", book.key).exit_code == 0
        assert len(proxy.seen) == seen                 # NO_PROXY: straight to the API
    finally:
        proxy.close()


@pytest.fixture
def tls_sheets(tmp_path, monkeypatch):
    """The fake over HTTPS, its certificate signed by an authority the environment names as requests'
    (REQUESTS_CA_BUNDLE), and the product pointed at it."""
    fake = FakeSheets(tls=True).start()
    use_fake_sheets(fake, tmp_path, monkeypatch)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CPD_GOOGLE_SHEETS_RETRY_SECONDS", "1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_file)
    yield fake
    fake.stop()


def test_over_https_through_a_proxy_that_asks_for_a_password(cpd, tls_sheets, monkeypatch, example_iet):
    proxy = LoopbackProxy(user="alex", password="p@ss word")
    try:
        book = tls_sheets.load_xlsx(EXAMPLE, share={tls_sheets.email: "reader"})
        monkeypatch.setenv("HTTPS_PROXY", f"http://alex:p%40ss%20word@127.0.0.1:{proxy.port}")
        result = cpd("sheets", "check", book.key, "--as-of", "2025-06-30")
        assert result.exit_code == 0, result.output
        assert result.output == cpd("check", example_iet, "--as-of", "2025-06-30").output
        host = tls_sheets.url.split("://", 1)[1]
        assert ("CONNECT", host) in proxy.seen and tls_sheets.api_calls() == 2
        assert all(m == "CONNECT" for m, _ in proxy.seen)    # nothing sent in the clear
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)          # no password: the proxy refuses the tunnel
        refused = cpd("sheets", "check", book.key, "--json")
        assert refused.exit_code == 2
        assert json.loads(refused.output)["error"]["code"] == "sheets_unavailable"
        assert tls_sheets.api_calls() == 2
    finally:
        proxy.close()


def test_a_certificate_no_trusted_authority_signed_is_refused(cpd, tls_sheets, monkeypatch):
    book = tls_sheets.load_xlsx(EXAMPLE, share={tls_sheets.email: "reader"})
    assert cpd("sheets", "check", book.key).exit_code == 0          # the token is kept now
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")                      # certifi's bundle: the fake's authority is not in it
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    result = cpd("sheets", "check", book.key, "--json")
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "sheets_unavailable"
    assert tls_sheets.api_calls() == 2                            # no request was sent over the refused connection


def test_an_api_address_that_is_not_http_is_a_setting_error(cpd, fake_sheets, monkeypatch):
    monkeypatch.setenv("CPD_GOOGLE_SHEETS_URL", "ftp://sheets.example.org")
    result = cpd("sheets", "check", "1" * 44, "--json")
    error = json.loads(result.output)["error"]
    assert result.exit_code == 2 and error["code"] == "bad_setting" and "CPD_GOOGLE_SHEETS_URL" in error["message"]
    assert fake_sheets.api_calls() == 0


def test_a_read_asks_what_gspread_asks_and_gets_what_gspread_gets(fake_sheets, monkeypatch):
    """The read's own two calls against gspread's (the maintained client of the Sheets API) making the same
    calls: the same method, path and query reach the API, and the answers decode to the same values."""
    from google_sheets.client import SheetsClient
    from google_sheets.connection import Connection
    book = fake_sheets.load_xlsx(EXAMPLE, share={fake_sheets.email: "reader"})
    asked: list[tuple[dict, object]] = []
    own_get = Connection.get

    def noting(self, path, params, token):
        answer = own_get(self, path, params, token)
        asked.append((dict(params), answer))
        return answer
    monkeypatch.setattr(Connection, "get", noting)
    client = SheetsClient()
    client.read(book.key)
    ours = list(fake_sheets.calls)
    assert len(asked) == len(ours) == 2
    gspread_client = client._writes()                # gspread's HTTP client, signed in as the read was
    answers = [gspread_client.fetch_sheet_metadata(book.key, params=params) for params, _ in asked]
    assert fake_sheets.calls[2:] == ours                              # method, path and query, call for call
    assert answers == [answer for _, answer in asked]
