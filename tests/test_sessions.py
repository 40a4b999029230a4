"""Web sessions end when they should, sign-in needs the right scope, and failed sign-ins are limited;
on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from sync_service import db
from sync_service.store.accounts import create_member, issue_token, revoke
from sync_service.store.models import WebSession
from test_pages import csrf, sign_in, upload
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()


def cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(service, value: str):
    other = service.test_client()
    other.set_cookie("session", value)
    return other


def test_an_erased_members_cookie_never_signs_in_as_the_next_member(service):
    client = service.test_client()
    token = sign_in(client, service.config["TOKENS"]["b"])        # b has the highest row id: SQLite reuses it
    old = cookie(client)
    assert client.post("/erase", data={"confirm": "DELETE", "csrf": token}).status_code == 200
    with service.app_context():
        s = db.session()
        newcomer = create_member(s, "c@example.org")
        issue_token(s, newcomer)
        s.commit()
    replay = with_cookie(service, old)
    res = replay.get("/")
    assert res.status_code == 302 and res.headers["Location"].endswith("/login")
    assert "c@example.org" not in replay.get("/export").text


def test_revoking_the_token_ends_its_sessions_at_once(service):
    client = service.test_client()
    sign_in(client, service.config["TOKENS"]["a"])
    assert client.get("/").status_code == 200
    with service.app_context():
        assert revoke(db.session(), service.config["TOKENS"]["a"])
        db.session().commit()
    assert client.get("/").status_code == 302
    assert client.get("/export").status_code == 302


def test_signing_out_ends_the_session_even_for_a_copied_cookie(service):
    client = service.test_client()
    token = sign_in(client, service.config["TOKENS"]["a"])
    copied = cookie(client)
    assert client.post("/logout", data={"csrf": token}).status_code == 302
    assert with_cookie(service, copied).get("/").status_code == 302
    with service.app_context():
        assert db.session().scalar(select(func.count()).select_from(WebSession)) == 0


def test_a_read_only_token_can_look_but_not_upload_or_link(service):
    with service.app_context():
        s = db.session()
        member = create_member(s, "reader@example.org")
        read_only = issue_token(s, member, scopes="read")
        submit_only = issue_token(s, member, scopes="submit")
        s.commit()
    client = service.test_client()
    token = sign_in(client, read_only)
    assert client.get("/").status_code == 200
    res = upload(client, token, EXAMPLE)
    assert res.status_code == 403 and "submit" in res.text
    assert client.post("/sheets/link", data={"csrf": token, "sheet": "x" * 44}).status_code == 403
    other = service.test_client()                                  # a token without 'read' cannot sign in at all
    res = other.post("/login", data={"token": submit_only, "csrf": csrf(other.get("/login").data)})
    assert res.status_code == 403 and other.get("/").status_code == 302


def test_failed_sign_ins_are_limited_per_address(service):
    service.config["SIGN_IN_FAILURES"] = "5/minute"
    client = service.test_client()
    form = lambda t: {"token": t, "csrf": csrf(client.get("/login").data)}   # noqa: E731
    for i in range(5):
        assert client.post("/login", data=form(f"cpd_wrong{i:04d}xxxxxxxx")).status_code == 401
    res = client.post("/login", data=form("cpd_wrong9999xxxxxxxx"))           # the next bad try waits
    assert res.status_code == 429 and "too many" in res.text.lower() and res.headers["Retry-After"]
    res = client.post("/login", data=form(service.config["TOKENS"]["a"]))     # a good token never does
    assert res.status_code == 302
    elsewhere = service.test_client()                             # another address is not held up
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    sign_in(elsewhere, service.config["TOKENS"]["a"])


def test_guessing_one_members_token_is_limited_from_any_address(service):
    service.config["SIGN_IN_FAILURES"] = "5/minute"
    good = service.config["TOKENS"]["a"]
    for i in range(5):                                            # the same prefix, five addresses
        client = service.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.1.{i}"
        res = client.post("/api/v1/submissions", data=EXAMPLE,
                          headers={"Authorization": f"Bearer {good[:12]}{'x' * (len(good) - 12)}"})
        assert res.status_code == 401
    client = service.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.1.99"              # a sixth guess at the prefix, from anywhere
    res = client.post("/api/v1/submissions", data=EXAMPLE,
                      headers={"Authorization": f"Bearer {good[:12]}{'y' * (len(good) - 12)}"})
    assert res.status_code == 429 and res.get_json()["error"]["code"] == "rate_limited"
    assert int(res.headers["Retry-After"]) >= 1
    res = client.post("/api/v1/submissions", data=EXAMPLE, headers={"Authorization": f"Bearer {good}"})
    assert res.status_code == 201                                 # the member's own token is never locked out
    other = service.test_client()                                 # another member's token is not held up
    other.environ_base["REMOTE_ADDR"] = "10.0.1.98"
    assert other.post("/api/v1/submissions", data=EXAMPLE, headers={
        "Authorization": f"Bearer {service.config['TOKENS']['b']}"}).status_code == 201
