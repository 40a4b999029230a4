"""Institution sign-in (OpenID Connect) against a real OpenID provider run on loopback (node-oidc-provider,
tests/oidc/provider.mjs), in headless Chromium, against ``cpd serve``, on SQLite and PostgreSQL: the code
flow with PKCE signs in (making the account, or finding it by its address, now proven), and an
unverified e-mail claim is refused."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ports import free_port
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)

HERE = Path(__file__).parent / "oidc"


def start_provider(port: int, redirect_uri: str) -> subprocess.Popen:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").exists():
        if os.environ.get("CI"):
            pytest.fail("node and tests/oidc's npm packages are required in CI (.ci/run installs them)")
        pytest.skip("node or oidc-provider is not installed (cd tests/oidc && npm install)")
    proc = subprocess.Popen([node, str(HERE / "provider.mjs")], cwd=HERE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PORT": str(port), "CLIENT_ID": "cpd-service",
                                 "CLIENT_SECRET": "a-test-only-secret", "REDIRECT_URI": redirect_uri})
    said = ""
    try:
        while not said.endswith("\n") or not said.splitlines()[-1].startswith("ready"):
            line = proc.stdout.readline()                   # its warnings first (e.g. the Node.js version)
            assert line, said
            said += line
    except BaseException:
        proc.kill()                                         # a provider that did not start is not left behind
        raise
    return proc


@pytest.fixture
def institution(served):
    """(the service, its provider's address): cpd serve with OIDC on, and the provider it trusts."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    server = served(env={"CPD_OIDC_ISSUER": issuer, "CPD_OIDC_CLIENT_ID": "cpd-service",
                         "CPD_OIDC_CLIENT_SECRET": "a-test-only-secret", "CPD_OIDC_NAME": "Example Institution"})
    provider = start_provider(port, f"{server.url}/login/oidc/callback")
    yield server, issuer
    provider.terminate()
    provider.wait(10)


def sign_in_at_provider(page, base: str, login: str) -> None:
    page.goto(base + "/login")
    page.click("#oidc-sign-in")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")                      # the provider's sign-in
    page.wait_for_selector("button:has-text('Continue')")
    page.click("button:has-text('Continue')")               # and its consent


def test_institution_sign_in_makes_or_finds_the_account_and_refuses_an_unverified_address(
        browser, institution, tmp_path):  # noqa: F811
    server, issuer = institution
    made = subprocess.run([*server.cpd, "admin", "add-member", "alice@inst.example", "--name", "Alice"],
                          env=server.env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    alice_id = made.stdout.split()[1]
    context = browser.new_context()
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((server.url, issuer)) else r.abort())
    page.goto(server.url + "/login")
    assert "Sign in with Example Institution" in page.inner_text("#oidc-sign-in")
    sign_in_at_provider(page, server.url, "alice")
    page.wait_for_url(server.url + "/")
    assert "alice@inst.example" in page.inner_text("header")
    page.goto(server.url + "/settings")
    assert "proven" in page.inner_text("main") and "by oidc" in page.inner_text("#sessions + ul")
    listed = subprocess.run([*server.cpd, "admin", "members", "inst.example"], env=server.env, capture_output=True,
                            text=True, timeout=60).stdout
    assert alice_id in listed and "proven" in listed and "not proven" not in listed     # found, not made again

    fresh = browser.new_context().new_page()
    fresh.route("**/*", lambda r: r.continue_() if r.request.url.startswith((server.url, issuer)) else r.abort())
    sign_in_at_provider(fresh, server.url, "newcomer")
    fresh.wait_for_url(server.url + "/")
    assert "newcomer@inst.example" in fresh.inner_text("header")

    refused = browser.new_context().new_page()
    refused.route("**/*", lambda r: r.continue_() if r.request.url.startswith((server.url, issuer)) else r.abort())
    sign_in_at_provider(refused, server.url, "unverified-bob")
    refused.wait_for_selector(".error")
    assert "has not verified your e-mail address" in refused.inner_text(".error")
    refused.screenshot(path=str(tmp_path / "oidc-unverified.png"), full_page=True)
    refused.goto(server.url + "/")
    assert refused.url.endswith("/login")                                           # not signed in
    members = subprocess.run([*server.cpd, "admin", "members", "bob"], env=server.env, capture_output=True,
                             text=True, timeout=60).stdout
    assert "unverified-bob" not in members                                          # no account made
