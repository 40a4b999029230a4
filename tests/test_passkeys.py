"""Passkeys in a real headless Chromium with the DevTools virtual authenticator (not a mock), against the
production server (``cpd serve``), on SQLite and PostgreSQL: a signed-in member adds a passkey, names it,
signs out and signs in with it in one step; removed, it signs in no one. Pages are reached at
http://localhost (a passkey's site must be a name, and localhost is a secure context)."""
from __future__ import annotations

from test_pages_browser import signed_in_page
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)


def with_authenticator(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, made["authenticatorId"]


def test_a_member_adds_a_passkey_and_signs_in_with_it_in_one_step(browser, served, tmp_path):  # noqa: F811
    server = served("--workers", "2", "--threads", "2")
    base = server.url.replace("127.0.0.1", "localhost")
    context = browser.new_context()
    page = signed_in_page(context, base, server.token)
    cdp, authenticator = with_authenticator(context, page)
    page.goto(base + "/settings")
    assert "No passkeys yet" in page.content()
    page.fill("#add-passkey input[name=name]", "Work laptop")
    page.click("#add-passkey input[type=submit]")
    page.wait_for_selector("#passkey-list")
    assert page.input_value("#passkey-list input[name=name]") == "Work laptop"
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"]
    page.fill("#passkey-list input[name=name]", "Laptop (work)")
    page.click("#passkey-list button:has-text('Rename')")
    page.wait_for_url(base + "/settings#passkeys")
    assert page.input_value("#passkey-list input[name=name]") == "Laptop (work)"
    page.screenshot(path=str(tmp_path / "settings-passkey.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_url(base + "/login")
    page.click("#passkey-sign-in")                                    # one step: no address typed
    page.wait_for_url(base + "/")
    assert "served@example.org" in page.inner_text("header")
    page.goto(base + "/settings")
    assert "by passkey" in page.inner_text("#sessions + ul")
    assert "last used" in page.inner_text("#passkey-list")

    page.click("#passkey-list button:has-text('Remove')")
    page.wait_for_url(base + "/settings#passkeys")
    assert "No passkeys yet" in page.content()
    page.click("text=Sign out")
    page.wait_for_url(base + "/login")
    page.click("#passkey-sign-in")                                    # the authenticator still has it
    page.wait_for_selector("#passkey-message:not([hidden])")
    assert "not known here" in page.inner_text("#passkey-message")
    assert page.url == base + "/login"
    page.screenshot(path=str(tmp_path / "login-passkey-removed.png"), full_page=True)
