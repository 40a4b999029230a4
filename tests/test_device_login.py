"""`cpd login` without copying a token: the device authorization grant (RFC 8628). The command shows a code
and a link; the member, signed in, approves it in the browser; `cpd` receives a token of its own. Played
end to end against the production server in headless Chromium, and each refusal against the app."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from mentor_world import EMAILS, build, csrf
from sync_service import db
from sync_service.store.accounts import issue_token
from sync_service.store.models import Member, utcnow
from test_pages_browser import signed_in_page
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_cpd_login_gets_a_token_when_the_member_approves_in_the_browser(browser, served, tmp_path):  # noqa: F811
    server = served("--workers", "2", "--threads", "2")
    env = {**os.environ, "CPD_CONFIG": str(tmp_path / "config.toml")}
    login = subprocess.Popen([sys.executable, "-m", "addin.cli", "login", "--url", server.url], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = ""
    while "Waiting for your approval" not in said:
        line = login.stderr.readline()
        assert line, said + login.stdout.read()
        said += line
    link = re.search(r"open (http://\S+/device\?user_code=\S+)", said).group(1)
    code = re.search(r"shows the code (\w{4}-\w{4})", said).group(1)
    page = signed_in_page(browser.new_context(), server.url, server.token)
    page.goto(link)
    page.click("text=Continue")
    assert code in page.inner_text("#device-ask") and "cpd on the command line" in page.inner_text("#device-ask")
    page.screenshot(path=str(tmp_path / "device-approve.png"), full_page=True)
    page.click("button[value=approve]")
    assert "is connected" in page.inner_text("#device-done")
    out, err = login.communicate(timeout=60)
    assert login.returncode == 0, out + err
    assert "Signed in to" in out
    saved = (tmp_path / "config.toml").read_text()
    token = re.search(r'token = "(cpd_[^"]+)"', saved).group(1)
    assert token != server.token                                           # a token of its own
    page.goto(server.url + "/settings")
    assert "cpd on the command line" in page.inner_text("#token-list")      # named, and revocable there


def start(client, client_id="cpd-cli"):
    res = client.post("/oauth/device", data={"client_id": client_id, "scope": "read submit"})
    return res


def poll(client, device_code, client_id="cpd-cli"):
    return client.post("/oauth/token", data={"grant_type": GRANT, "device_code": device_code,
                                             "client_id": client_id})


def decide(browser_client, code: str, decision: str):
    page = browser_client.get(f"/device?user_code={code}")
    return browser_client.post("/device", data={"csrf": csrf(page.data), "user_code": code, "decision": decision})


def test_the_device_flow_refuses_what_it_should(service):
    world = build(service)
    api = service.test_client()
    assert start(api, "someone-else").status_code == 401 and start(api, "someone-else").json["error"] == \
        "invalid_client"
    res = start(api)
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    pair = res.json
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", pair["user_code"]) and pair["interval"] == 5
    assert poll(api, pair["device_code"]).json["error"] == "authorization_pending"
    assert poll(api, pair["device_code"]).json["error"] == "slow_down"          # polled again at once
    assert poll(api, pair["device_code"], "cpd-excel").json["error"] == "invalid_grant"
    assert api.post("/oauth/token", data={"grant_type": "password"}).json["error"] == "unsupported_grant_type"
    # denied
    member, _ = world.browser("mentor")
    assert decide(member, pair["user_code"], "deny").status_code == 200
    now = [utcnow() + timedelta(seconds=6)]
    service.config["CLOCK"] = lambda: now[0]
    assert poll(api, pair["device_code"]).json["error"] == "access_denied"
    assert poll(api, pair["device_code"]).json["error"] == "invalid_grant"       # used
    # a wrong code is refused and counted; a code typed in lower case with spaces is found
    wrong = decide(member, "BBBB-BBBB", "approve")
    assert wrong.status_code == 404 and b"not known" in wrong.data
    other = start(api).json
    typed = other["user_code"].lower().replace("-", " ")
    assert decide(member, typed, "approve").status_code == 200
    now[0] += timedelta(seconds=6)
    got = poll(api, other["device_code"])
    assert got.status_code == 200 and got.json["token_type"] == "Bearer" and got.json["scope"] == "read submit"
    me = service.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {got.json['access_token']}"})
    assert me.status_code == 200 and me.json["name"] == EMAILS["mentor"]
    # expired: ten minutes later
    late = start(api).json
    now[0] += timedelta(minutes=10, seconds=1)
    assert poll(api, late["device_code"]).json["error"] == "expired_token"
    assert decide(member, late["user_code"], "approve").status_code == 404


def test_a_read_tokens_session_cannot_approve_a_program_that_would_submit(service):
    build(service)
    with service.app_context():
        s = db.session()
        read_only = issue_token(s, s.scalar(select(Member).where(Member.email == EMAILS["owner"])), scopes="read")
        s.commit()
    client = service.test_client()
    client.post("/login", data={"token": read_only, "csrf": csrf(client.get("/login").data)})
    pair = start(service.test_client()).json
    res = decide(client, pair["user_code"], "approve")
    assert res.status_code == 403 and b"does not allow" in res.data


def test_a_link_opened_before_signing_in_comes_back_after(service):
    world = build(service)
    pair = start(service.test_client()).json
    client = service.test_client()
    res = client.get(f"/device?user_code={pair['user_code']}")
    assert res.status_code == 302 and res.headers["Location"].endswith("/login")
    signed = client.post("/login", data={"token": world.tokens["owner"], "csrf": csrf(client.get("/login").data)})
    assert signed.headers["Location"] == f"/device?user_code={pair['user_code']}"
    evil = service.test_client()
    with evil.session_transaction() as sess:
        sess["next"] = "//evil.example/"
    res = evil.post("/login", data={"token": world.tokens["owner"], "csrf": csrf(evil.get("/login").data)})
    assert res.headers["Location"] == "/"
