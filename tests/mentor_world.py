"""A service with a member, their record and everyone who might ask for it: the record's owner, a
mentor with a live grant, one whose grant was revoked, one whose grant expired, another member, an
admin, and no one. The mentor tests build on it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from sync_service import db
from sync_service.store.accounts import create_member, issue_token
from sync_service.store.models import MentorGrant, utcnow
from sync_service.store.sign_in import verify
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()
ACTORS = ("owner", "mentor", "revoked", "expired", "stranger", "admin", "anonymous")
EMAILS = {"owner": "owner@example.org", "mentor": "mentor@example.org", "revoked": "revoked@example.org",
          "expired": "expired@example.org", "stranger": "stranger@example.org", "admin": "admin@example.org"}


def csrf(page: bytes) -> str:
    return re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()


@dataclass
class World:
    app: object
    tokens: dict = field(default_factory=dict)
    record: str = ""
    grants: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)

    def auth(self, who: str) -> dict:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.tokens[who]}"}

    def api(self, who: str, method: str, path: str, **kwargs):
        return self.app.test_client().open(path, method=method, headers=self.auth(who), **kwargs)

    def browser(self, who: str):
        """A test client signed in as ``who`` (not signed in for anonymous), and its CSRF token."""
        client = self.app.test_client()
        token = csrf(client.get("/login").data)
        if who != "anonymous":
            res = client.post("/login", data={"token": self.tokens[who], "csrf": token})
            assert res.status_code == 302, res.data
            token = csrf(client.get("/").data)
        return client, token

    def annotate(self, who: str = "mentor", **body):
        res = self.api(who, "POST", f"/api/v1/records/{self.record}/annotations",
                       json={"activity_row": self.rows[0], "comment": "Good", **body})
        assert res.status_code == 201, res.json
        return res.json


def build(app) -> World:
    """Members and tokens, the owner's record (from the IET example), and the four mentors' grants."""
    world = World(app)
    with app.app_context():
        s = db.session()
        for who, email in EMAILS.items():
            m = create_member(s, email)
            verify(m)                       # each has proven their address (a sign-in link they used)
            m.is_admin = who == "admin"
            world.tokens[who] = issue_token(s, m)
        s.commit()
    res = world.api("owner", "POST", "/api/v1/records", data=EXAMPLE)
    assert res.status_code == 201, res.json
    world.record = res.json["id"]
    detail = world.api("owner", "GET", f"/api/v1/records/{world.record}").json
    world.rows = [a["row"] for a in detail["activities"]]
    for who in ("mentor", "revoked", "expired"):
        res = world.api("owner", "POST", f"/api/v1/records/{world.record}/mentors", json={"email": EMAILS[who]})
        assert res.status_code == 201 and res.json["state"] == "active", res.json
        world.grants[who] = res.json["id"]
    assert world.api("owner", "DELETE", f"/api/v1/records/{world.record}/mentors/{world.grants['revoked']}"
                     ).status_code == 204
    with app.app_context():                 # the API refuses an expiry in the past: age this one by hand
        s = db.session()
        grant = s.query(MentorGrant).filter_by(public_id=world.grants["expired"]).one()
        grant.expires_at = utcnow() - timedelta(minutes=1)
        s.commit()
    return world
