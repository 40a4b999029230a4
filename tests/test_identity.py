"""Identity, on SQLite and PostgreSQL: an invitation proves its address (the takeover an independent probe
found is closed), a member cannot mentor themselves, sign-in by a mailed link (once, 15 minutes, the newest
only, the same answer for every address, throttled per address and client), what a session may do follows
how it was made, personal access tokens, and admins' member management with its audit trail. Mail goes to
a real SMTP server on loopback and is read from there."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import mail_to, mailed_link, run_jobs
from mentor_world import EMAILS, EXAMPLE, build, csrf
from sync_service import db
from sync_service.store.accounts import create_member, issue_token
from sync_service.store.models import AdminEvent, Job, Member, SignInLink, Submission, utcnow
from sync_service.store.submissions import document


@pytest.fixture
def mailing(service, smtp_server):
    url, inbox = smtp_server
    service.config.update(SMTP_URL=url, PUBLIC_URL="https://cpd.example.org")
    return inbox


def page_csrf(client, path: str = "/login") -> str:
    return csrf(client.get(path).data)


def accept_mailed_invitation(service, inbox, address: str, name: str = "Mo Mentor"):
    """Open the newest invitation mailed to ``address`` and accept it: the signed-in browser."""
    run_jobs(service)
    path = mailed_link(inbox, address, "/invitations/")
    client = service.test_client()
    res = client.post(path, data={"csrf": page_csrf(client, path), "name": name})
    assert res.status_code == 200, res.data
    return client


def grant_state(world, who: str, grant_id: str) -> str:
    return next(g["state"] for g in world.api(who, "GET", "/api/v1/mentors").json["mentors"] if g["id"] == grant_id)


# -- the takeover --------------------------------------------------------------------------------------

def test_an_invitation_proves_its_address_and_accepts_only_itself(service, mailing):
    world = build(service)
    # member A (the world's owner) invites m@x.test first; member B does too, on their own record
    a = world.api("owner", "POST", "/api/v1/mentors", json={"email": "m@x.test"})
    b = world.api("stranger", "POST", "/api/v1/mentors", json={"email": "m@x.test"})
    for res in (a, b):
        assert res.status_code == 201 and res.json["state"] == "invited"
        assert set(res.json) >= {"id", "state"} and "inv_" not in res.get_data(as_text=True)
    # B's page shows nothing that would let anyone accept
    client = service.test_client()
    client.post("/login", data={"token": world.tokens["stranger"], "csrf": page_csrf(client)})
    dashboard = client.get("/")
    assert b"inv_" not in dashboard.data and b"/invitations/" not in dashboard.data
    granted = client.post("/mentors", data={"email": "n@x.test", "record": "all", "csrf": csrf(dashboard.data)})
    assert granted.status_code == 200 and b"We e-mailed an invitation to n@x.test" in granted.data
    assert b"inv_" not in granted.data
    # only the mail to m@x.test carries the links; opening B's accepts B's alone
    run_jobs(service)
    links = [m.get_body(("plain",)).get_content() for m in mail_to(mailing, "m@x.test")]
    assert len(links) == 2 and all("/invitations/inv_" in text for text in links)
    mentor = accept_mailed_invitation(service, mailing, "m@x.test")          # the newest: B's
    assert grant_state(world, "stranger", b.json["id"]) == "active"
    assert grant_state(world, "owner", a.json["id"]) == "invited"
    assert mentor.get(f"/records/{world.record}").status_code == 404         # A's record: not yet
    # signed in as the proven address, the mentor says yes to A's invitation, one at a time
    mentees = mentor.get("/mentees")
    assert b"Invitations waiting for you" in mentees.data and b"owner@example.org asks you" in mentees.data
    yes = mentor.post(f"/mentees/invitations/{a.json['id']}", data={"csrf": csrf(mentees.data)})
    assert yes.status_code == 302 and grant_state(world, "owner", a.json["id"]) == "active"
    assert mentor.get(f"/records/{world.record}").status_code == 200


def test_a_grant_to_an_unproven_account_waits_for_the_address(service, mailing):
    world = build(service)
    with service.app_context():                  # an account made with a token, never signed in by e-mail
        s = db.session()
        issue_token(s, create_member(s, "unproven@x.test"))
        s.commit()
    res = world.api("owner", "POST", "/api/v1/mentors", json={"email": "unproven@x.test"})
    assert res.status_code == 201 and res.json["state"] == "invited"
    proven = world.api("owner", "POST", "/api/v1/mentors", json={"email": EMAILS["stranger"]})
    assert proven.json["state"] == "active"                                  # a proven address: at once
    accept_mailed_invitation(service, mailing, "unproven@x.test")
    assert grant_state(world, "owner", res.json["id"]) == "active"
    with service.app_context():
        assert db.session().scalar(select(Member).where(Member.email == "unproven@x.test")).email_verified_at


def test_a_member_cannot_mentor_themselves_and_verifications_carry_the_mentors_proven_address(service, mailing):
    world = build(service)
    own = world.api("owner", "POST", "/api/v1/mentors", json={"email": "OWNER@example.org"})
    assert own.status_code == 422 and own.json["error"]["code"] == "cannot_mentor_self"
    world.annotate(verified=True, comment="Certificate seen")
    sent = world.api("owner", "POST", "/api/v1/submissions", data=EXAMPLE)
    assert sent.status_code in (200, 201), sent.json
    with service.app_context():
        sub = db.session().get(Submission, sent.json["id"])
        verifications = document(sub)["verifications"]
    assert verifications["columns"][-1] == "verifier_email"
    assert verifications["rows"] and verifications["rows"][0][-1] == EMAILS["mentor"]


# -- sign-in by e-mail link ----------------------------------------------------------------------------

def ask_link(client, email: str):
    return client.post("/login/email", data={"email": email, "csrf": page_csrf(client)})


def test_a_sign_in_link_works_once_for_15_minutes_and_only_the_newest(service, mailing):
    build(service)
    now = [utcnow()]
    service.config["CLOCK"] = lambda: now[0]
    client = service.test_client()
    assert ask_link(client, EMAILS["mentor"]).status_code == 200
    run_jobs(service)
    path = mailed_link(mailing, EMAILS["mentor"], "/login/email/")
    message = mail_to(mailing, EMAILS["mentor"])[-1]
    assert message.get_body(("html",)) is not None                           # plain text and HTML parts
    opened = client.get(path)
    assert opened.status_code == 200 and b'value="Sign in"' in opened.data
    assert client.post(path, data={"csrf": csrf(opened.data)}).status_code == 302
    assert client.get("/").status_code == 200                                # signed in
    again = service.test_client().get(path)
    assert again.status_code == 410 and b"has been used" in again.data       # once
    # expired: 15 minutes later
    ask_link(client, EMAILS["mentor"])
    run_jobs(service)
    late = mailed_link(mailing, EMAILS["mentor"], "/login/email/")
    now[0] += timedelta(minutes=15, seconds=1)
    other = service.test_client()
    res = other.post(late, data={"csrf": page_csrf(other)})
    assert res.status_code == 410 and b"has expired" in res.data
    # superseded by a newer link
    ask_link(client, EMAILS["mentor"])
    run_jobs(service)
    older = mailed_link(mailing, EMAILS["mentor"], "/login/email/")
    ask_link(client, EMAILS["mentor"])
    run_jobs(service)
    newer = mailed_link(mailing, EMAILS["mentor"], "/login/email/")
    assert older != newer
    assert other.get(older).status_code == 410 and b"A newer sign-in link was sent" in other.get(older).data
    assert other.post(newer, data={"csrf": page_csrf(other)}).status_code == 302
    assert service.test_client().get("/login/email/sil_madeup").status_code == 404


def test_asking_for_a_link_answers_alike_for_known_and_unknown_addresses(service, mailing):
    build(service)
    client = service.test_client()
    known, unknown = ask_link(client, EMAILS["mentor"]), ask_link(client, "nobody@example.org")
    strip = lambda res: re.sub(rb'value="[^"]+"|nobody@example.org|mentor@example.org', b"", res.data)  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown) and b"If an account exists" in known.data
    run_jobs(service)
    assert mail_to(mailing, EMAILS["mentor"]) and not mail_to(mailing, "nobody@example.org")


def test_one_clients_tries_for_one_address_do_not_hold_back_another(service, mailing):
    build(service)
    service.config["SIGN_IN_LINKS_PER_CLIENT_ADDRESS"] = "3/15 minutes"
    client = service.test_client()
    codes = [ask_link(client, "victim@example.org").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert ask_link(client, EMAILS["mentor"]).status_code == 200             # same client, another address


# -- what a session may do -----------------------------------------------------------------------------

def test_a_read_tokens_session_cannot_erase_and_an_old_sign_in_is_asked_again(service):
    world = build(service)
    with service.app_context():
        s = db.session()
        read_only = issue_token(s, s.scalar(select(Member).where(Member.email == EMAILS["owner"])), scopes="read")
        s.commit()
    client = service.test_client()
    client.post("/login", data={"token": read_only, "csrf": page_csrf(client)})
    page = client.get("/")
    assert page.headers["Cache-Control"] == "no-store"
    assert b'id="erase"' not in page.data and b"sign in again first" in page.data
    assert client.post("/erase", data={"confirm": "DELETE", "csrf": csrf(page.data)}).status_code == 403
    # a full sign-in, 11 minutes old: the erasure form asks for a fresh one
    now = [utcnow()]
    service.config["CLOCK"] = lambda: now[0]
    full, _ = world.browser("owner")
    now[0] += timedelta(minutes=11)
    page = full.get("/")
    assert b'id="erase"' not in page.data and b"sign in again first" in page.data
    res = full.post("/erase", data={"confirm": "DELETE", "csrf": csrf(page.data)})
    assert res.status_code == 403 and b"within the last 10" in res.data
    now[0] -= timedelta(minutes=11)
    assert b'id="erase"' in full.get("/").data


# -- personal access tokens ----------------------------------------------------------------------------

def test_tokens_are_named_scoped_listed_with_their_last_use_and_revoked(service):
    world = build(service)
    made = world.api("owner", "POST", "/api/v1/tokens", json={"name": "Laptop cpd", "scopes": ["read"],
                                                              "expires": "2099-12-31"})
    assert made.status_code == 201 and made.json["token"].startswith("cpd_") and made.json["scopes"] == ["read"]
    secret, token_id = made.json["token"], made.json["id"]
    used = service.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert used.status_code == 200 and used.json["scopes"] == ["read"]
    listed = world.api("owner", "GET", "/api/v1/tokens").json["tokens"]
    mine = next(t for t in listed if t["id"] == token_id)
    assert mine["name"] == "Laptop cpd" and mine["last_used_at"] and "token" not in mine
    assert mine["expires_at"] == "2099-12-31T23:59:59Z"
    wider = service.test_client().post("/api/v1/tokens", json={"name": "x", "scopes": ["submit"]},
                                       headers={"Authorization": f"Bearer {secret}"})
    assert wider.status_code == 403                                        # a read token cannot make one
    assert world.api("owner", "DELETE", f"/api/v1/tokens/{token_id}").status_code == 204
    gone = service.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401
    assert world.api("stranger", "DELETE", f"/api/v1/tokens/{listed[0]['id']}").status_code == 404
    bad = world.api("owner", "POST", "/api/v1/tokens", json={"name": "", "scopes": ["read"]})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_name"


def test_an_expired_token_stops(service):
    world = build(service)
    with service.app_context():
        s = db.session()
        owner = s.scalar(select(Member).where(Member.email == EMAILS["owner"]))
        secret = issue_token(s, owner, expires_at=utcnow() - timedelta(seconds=1))
        s.commit()
    res = service.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert res.status_code == 401 and "expired" in res.json["error"]["message"]
    assert world.api("owner", "GET", "/api/v1/me").status_code == 200


# -- admins manage members -----------------------------------------------------------------------------

def test_deactivation_ends_the_members_sessions_and_tokens_at_once(service, mailing):
    world = build(service)
    member, _ = world.browser("mentor")
    assert member.get("/mentees").status_code == 200
    admin, token = world.browser("admin")
    with service.app_context():
        public_id = db.session().scalar(select(Member.public_id).where(Member.email == EMAILS["mentor"]))
    res = admin.post(f"/admin/members/{public_id}/deactivate", data={"csrf": token})
    assert res.status_code == 302
    assert member.get("/mentees").status_code == 302                        # the session ended
    assert world.api("mentor", "GET", "/api/v1/me").status_code == 401       # the token stopped
    assert ask_link(service.test_client(), EMAILS["mentor"]).status_code == 200
    run_jobs(service)
    assert not mail_to(mailing, EMAILS["mentor"]) or all(
        "/login/email/" not in m.get_body(("plain",)).get_content() for m in mail_to(mailing, EMAILS["mentor"]))
    admin.post(f"/admin/members/{public_id}/reactivate", data={"csrf": token})
    assert world.api("mentor", "GET", "/api/v1/me").status_code == 200
    trail = admin.get("/admin/audit").data
    assert b"deactivated" in trail and b"reactivated" in trail and EMAILS["mentor"].encode() in trail
    assert world.api("owner", "GET", "/admin/audit").status_code == 302       # not signed in: to the login page
    stranger, _ = world.browser("stranger")
    assert stranger.get("/admin/members").status_code == 404


def invite_csv(admin, token: str, rows: list[str]):
    return admin.post("/admin/members/invite", data={"csrf": token, "csv": (io.BytesIO("\n".join(rows).encode()),
                                                                            "members.csv")},
                      content_type="multipart/form-data")


def test_a_csv_of_1000_members_is_invited_with_a_line_for_each_row(service, mailing):
    """(How long it takes is measured by ``bench/bench_invite.py``.)"""
    world = build(service)
    rows = ["email,name,membership number,grade"]
    rows += [f"member{i}@example.net,Member {i},{100000 + i},MIET" for i in range(990)]
    rows += ["not an address,Bad,1,x", f"{EMAILS['mentor']},Already,2,y", "member5@example.net,Twice,3,z",
             "a@b.example,Too,many,columns,here"] + [f"late{i}@example.net,,," for i in range(6)]
    admin, token = world.browser("admin")
    res = invite_csv(admin, token, rows)
    assert res.status_code == 200
    text = res.get_data(as_text=True)
    assert "996 invited, 2 already there, 2 refused." in re.sub(r"\s+", " ", text)
    assert "listed twice in this file" in text and "not an e-mail address" in text and "5 columns" in text
    lines = re.findall(r"<tr><td>(\d+)</td>", text)
    assert [int(n) for n in lines] == sorted(int(n) for n in lines) and len(lines) == 1000     # in the file's order
    with service.app_context():
        s = db.session()
        m = s.scalar(select(Member).where(Member.email == "member7@example.net"))
        assert (m.name, m.membership_number, m.grade) == ("Member 7", "100007", "MIET")
        invited = set(s.scalars(select(AdminEvent.subject).where(AdminEvent.action == "invited")))
        assert len(invited) == 996 and m.public_id in invited
        links = s.scalars(select(SignInLink.member_id).where(SignInLink.ended.is_(None))).all()
        assert len(links) == len(set(links)) == 996                            # one live link each
        mails = [mail for p in s.scalars(select(Job.payload).where(Job.kind == "mail"))
                 if (mail := json.loads(p))["kind"] == "invited"]
        assert len(mails) == len({mail["to"] for mail in mails}) == 996
        assert "member7@example.net" in {mail["to"] for mail in mails}
        assert all("/login/email/sil_" in mail["text"] for mail in mails)
        assert s.scalar(select(Member.name).where(Member.email == EMAILS["mentor"])) != "Already"   # left as it was


def test_an_invited_member_signs_in_by_the_link_mailed_to_them(service, mailing):
    world = build(service)
    admin, token = world.browser("admin")
    res = invite_csv(admin, token, ["Ann@Example.net,Ann,7,MIET", "bob@example.net", "ann@example.net,Again"])
    assert "2 invited, 1 already there, 0 refused." in re.sub(r"\s+", " ", res.get_data(as_text=True))
    one = admin.post("/admin/members/invite", data={"csrf": token, "email": "cy@example.net", "name": "Cy"})
    assert b"cy@example.net is invited" in one.data
    again = admin.post("/admin/members/invite", data={"csrf": token, "email": "CY@example.net"})
    assert b"cy@example.net already has an account" in again.data
    run_jobs(service)
    for address in ("ann@example.net", "bob@example.net", "cy@example.net"):
        (message,) = mail_to(mailing, address)
        assert message["Subject"] == "You are invited to the CPD tracker"
        client = service.test_client()
        path = mailed_link(mailing, address, "/login/email/")
        assert client.post(path, data={"csrf": page_csrf(client, path)}).status_code == 302
        assert address.encode() in client.get("/").data                             # signed in as themselves
        assert service.test_client().get(path).status_code == 410                 # once


# -- the throttle across web workers -------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_or_skip() -> None:
    import os
    try:
        import redis
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # no server or no client library
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI ({REDIS_URL}): {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}")


def test_the_link_throttle_holds_across_two_gunicorn_workers_with_redis(served):
    import secrets

    import requests
    redis_or_skip()
    server = served("--workers", "2", env={"CPD_RATELIMIT_STORAGE_URI": REDIS_URL,
                                           "CPD_RATELIMIT_KEY_PREFIX": "t" + secrets.token_hex(6),
                                           "CPD_SIGN_IN_LINKS_PER_CLIENT_ADDRESS": "4/15 minutes"})
    codes = []
    for _ in range(6):
        browser = requests.Session()                       # a new connection each time: either worker answers
        token = re.search(r'name="csrf" value="([^"]+)"', browser.get(f"{server.url}/login").text).group(1)
        res = browser.post(f"{server.url}/login/email", data={"email": "victim@example.org", "csrf": token})
        codes.append(res.status_code)
        browser.close()
    assert codes == [200, 200, 200, 200, 429, 429], codes
    browser = requests.Session()
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get(f"{server.url}/login").text).group(1)
    other = browser.post(f"{server.url}/login/email", data={"email": "someone.else@example.org", "csrf": token})
    assert other.status_code == 200
    assert "victim@example.org" not in server.logs()


def test_a_member_moves_to_a_new_address_only_once_a_link_sent_there_is_used(service, mailing):
    world = build(service)
    client, token = world.browser("owner")
    res = client.post("/settings/email", data={"csrf": token, "email": "Owner.New@Example.org"})
    assert res.status_code == 202 and b"A link is on its way to owner.new@example.org" in res.data
    taken = client.post("/settings/email", data={"csrf": token, "email": EMAILS["mentor"]})
    assert taken.status_code == 409
    run_jobs(service)
    notice = mail_to(mailing, EMAILS["owner"])[-1].get_body(("plain",)).get_content()
    assert "owner.new@example.org" in notice and "/login/email/" not in notice       # the old address is told
    path = mailed_link(mailing, "owner.new@example.org", "/login/email/")
    assert world.api("owner", "GET", "/api/v1/me").json["name"] == EMAILS["owner"]     # nothing moved yet
    other = service.test_client()
    assert other.post(path, data={"csrf": page_csrf(other)}).status_code == 302
    with service.app_context():
        moved = db.session().scalar(select(Member).where(Member.email == "owner.new@example.org"))
        assert moved is not None and moved.email_verified_at is not None
        assert db.session().scalar(select(Member).where(Member.email == EMAILS["owner"])) is None
