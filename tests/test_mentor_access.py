"""Who may do what with a record: every record and mentor route of the API and every page, for the owner,
a mentor with a live grant, a mentor whose grant was revoked, one whose grant expired, another member,
an admin and no one, on SQLite and PostgreSQL. What a caller may not see answers 404, as a record that
does not exist; what a mentor sees but only the owner may do answers 403."""
from __future__ import annotations

import secrets

import pytest

from mentor_world import ACTORS, EXAMPLE, build

# expected status by actor: owner, mentor, revoked, expired, stranger, admin, anonymous
SEE = (200, 200, 404, 404, 404, 404, 401)
MENTOR_DOES = (403, 201, 404, 404, 404, 404, 401)
OWNER_DOES = (201, 403, 404, 404, 404, 404, 401)
OWN = (200, 200, 200, 200, 200, 200, 401)
PAGE_SEE = (200, 200, 404, 404, 404, 404, 302)


def fresh_annotation(world):
    return world.annotate()["id"]


def fresh_grant(world):
    res = world.api("owner", "POST", f"/api/v1/records/{world.record}/mentors",
                    json={"email": f"m{secrets.token_hex(4)}@example.org"})
    assert res.status_code == 201
    return res.json["id"]


def fresh_all_grant(world):
    res = world.api("owner", "POST", "/api/v1/mentors", json={"email": f"m{secrets.token_hex(4)}@example.org"})
    assert res.status_code == 201
    return res.json["id"]


def fresh_token(world):
    res = world.api("owner", "POST", "/api/v1/tokens", json={"name": "spare", "scopes": ["read"]})
    assert res.status_code == 201
    return res.json["id"]


def fresh_member(world):
    res = world.api("owner", "GET", "/api/v1/me")           # any member will do: the owner's public id
    return res.json["member"]


def new_email(_world):
    return {"json": {"email": f"m{secrets.token_hex(4)}@example.org"}}


API = [
    # (name, method, path, setup -> extra path value, request kwargs maker, expected)
    ("read record", "GET", "/api/v1/records/{record}", None, None, SEE),
    ("check record", "POST", "/api/v1/records/{record}/check", None, None, SEE),
    ("download workbook", "GET", "/api/v1/records/{record}/workbook", None, None, SEE),
    ("list annotations", "GET", "/api/v1/records/{record}/annotations", None, None, SEE),
    ("annotate", "POST", "/api/v1/records/{record}/annotations", None,
     lambda w: {"json": {"activity_row": w.rows[1], "comment": "Seen", "verified": True}}, MENTOR_DOES),
    ("delete a mentor's annotation", "DELETE", "/api/v1/records/{record}/annotations/{extra}", fresh_annotation, None,
     (404, 204, 404, 404, 404, 404, 401)),
    ("submit record", "POST", "/api/v1/records/{record}/submit", None, None, OWNER_DOES),
    ("grant this record", "POST", "/api/v1/records/{record}/mentors", None, new_email, OWNER_DOES),
    ("list this record's mentors", "GET", "/api/v1/records/{record}/mentors", None, None,
     (200, 403, 404, 404, 404, 404, 401)),
    ("revoke a grant of this record", "DELETE", "/api/v1/records/{record}/mentors/{extra}", fresh_grant, None,
     (204, 403, 404, 404, 404, 404, 401)),
    ("list own records", "GET", "/api/v1/records", None, None, OWN),
    ("upload a record", "POST", "/api/v1/records", None, lambda w: {"data": EXAMPLE},
     (200, 201, 201, 201, 201, 201, 401)),
    ("list mentees", "GET", "/api/v1/mentees", None, None, OWN),
    ("audit trail", "GET", "/api/v1/audit", None, None, OWN),
    ("grant all own records", "POST", "/api/v1/mentors", None, new_email, (201, 201, 201, 201, 201, 201, 401)),
    ("list own grants", "GET", "/api/v1/mentors", None, None, OWN),
    ("revoke the owner's grant", "DELETE", "/api/v1/mentors/{extra}", fresh_all_grant, None,
     (204, 404, 404, 404, 404, 404, 401)),
    ("list own tokens", "GET", "/api/v1/tokens", None, None, OWN),
    ("make a token", "POST", "/api/v1/tokens", None, lambda w: {"json": {"name": "laptop"}},
     (201, 201, 201, 201, 201, 201, 401)),
    ("revoke the owner's token", "DELETE", "/api/v1/tokens/{extra}", fresh_token, None,
     (204, 404, 404, 404, 404, 404, 401)),
]

PAGES = [
    ("record page", "GET", "/records/{record}", None, None, PAGE_SEE),
    ("workbook download", "GET", "/records/{record}/workbook", None, None, PAGE_SEE),
    ("notes as CSV", "GET", "/records/{record}/notes.csv", None, None, PAGE_SEE),
    ("upload a record", "POST", "/records", None, None, (400, 400, 400, 400, 400, 400, 302)),
    ("check", "POST", "/records/{record}/check", None, None, PAGE_SEE),
    ("annotate", "POST", "/records/{record}/annotations", None,
     lambda w: {"target": f"row:{w.rows[2]}", "comment": "From the page"}, (403, 302, 404, 404, 404, 404, 302)),
    ("remove an annotation", "POST", "/records/{record}/annotations/{extra}/delete", fresh_annotation, None,
     (404, 302, 404, 404, 404, 404, 302)),
    ("submit", "POST", "/records/{record}/submit", None, None, (302, 403, 404, 404, 404, 404, 302)),
    ("share this record", "POST", "/mentors", None,
     lambda w: {"record": w.record, "email": f"m{secrets.token_hex(4)}@example.org"},
     (200, 403, 404, 404, 404, 404, 302)),
    ("revoke", "POST", "/mentors/{extra}/revoke", fresh_grant, None, (302, 404, 404, 404, 404, 404, 302)),
    ("mentees", "GET", "/mentees", None, None, (200, 200, 200, 200, 200, 200, 302)),
    ("audit trail", "GET", "/audit", None, None, (200, 200, 200, 200, 200, 200, 302)),
    ("say yes to another's invitation", "POST", "/mentees/invitations/{extra}", fresh_grant, None,
     (404, 404, 404, 404, 404, 404, 302)),
    ("settings", "GET", "/settings", None, None, (200, 200, 200, 200, 200, 200, 302)),
    ("make a token", "POST", "/settings/tokens", None, lambda w: {"name": "laptop", "scopes": "read"},
     (201, 201, 201, 201, 201, 201, 302)),
    ("revoke the owner's token", "POST", "/settings/tokens/{extra}/revoke", fresh_token, None,
     (302, 404, 404, 404, 404, 404, 302)),
    ("members (admins)", "GET", "/admin/members", None, None, (404, 404, 404, 404, 404, 200, 302)),
    ("a member (admins)", "GET", "/admin/members/{extra}", fresh_member, None, (404, 404, 404, 404, 404, 200, 302)),
    ("invite (admins)", "POST", "/admin/members/invite", None,
     lambda w: {"email": f"n{secrets.token_hex(4)}@example.org"}, (404, 404, 404, 404, 404, 200, 302)),
    ("send a link (admins)", "POST", "/admin/members/{extra}/send-link", fresh_member, None,
     (404, 404, 404, 404, 404, 302, 302)),
    ("unmake an admin (admins)", "POST", "/admin/members/{extra}/unmake-admin", fresh_member, None,
     (404, 404, 404, 404, 404, 302, 302)),
    ("admins' audit trail", "GET", "/admin/audit", None, None, (404, 404, 404, 404, 404, 200, 302)),
]


def test_the_access_matrix(service):
    world = build(service)
    clients = {who: world.browser(who) for who in ACTORS}
    seen, expected = {}, {}
    for name, method, path, setup, kwargs, want in API:
        for who, status in zip(ACTORS, want):
            url = path.format(record=world.record, extra=setup(world) if setup else "")
            res = world.api(who, method, url, **(kwargs(world) if kwargs else {}))
            seen[("api", name, who)], expected[("api", name, who)] = res.status_code, status
            if res.status_code == 404 and res.is_json:        # as unknown as a record that does not exist
                assert res.json["error"]["code"] == "not_found"
    for name, method, path, setup, form, want in PAGES:
        for who, status in zip(ACTORS, want):
            client, token = clients[who]
            url = path.format(record=world.record, extra=setup(world) if setup else "")
            if method == "GET":
                res = client.get(url)
            else:
                res = client.post(url, data={"csrf": token, **(form(world) if form else {})})
            seen[("page", name, who)], expected[("page", name, who)] = res.status_code, status
            if status == 404:
                assert b"Power electronics" not in res.data           # nothing of the record leaks
    wrong = {k: (seen[k], expected[k]) for k in seen if seen[k] != expected[k]}
    assert not wrong, wrong


def test_a_record_not_granted_is_as_unknown_as_one_that_does_not_exist(service):
    world = build(service)
    missing = world.api("stranger", "GET", "/api/v1/records/rec_doesnotexist")
    hidden = world.api("stranger", "GET", f"/api/v1/records/{world.record}")
    same = lambda res: {k: v for k, v in res.json["error"].items() if k != "request_id"}   # noqa: E731 - each its own
    assert missing.status_code == hidden.status_code == 404 and same(missing) == same(hidden)
    listed = world.api("stranger", "GET", "/api/v1/records").json["records"]
    assert world.record not in {r["id"] for r in listed}
    for who in ("revoked", "expired", "stranger", "admin"):
        mentees = world.api(who, "GET", "/api/v1/mentees").json["mentees"]
        assert not mentees, who
    live = world.api("mentor", "GET", "/api/v1/mentees").json["mentees"]
    assert [r["id"] for m in live for r in m["records"]] == [world.record]


def test_a_mentor_can_never_change_the_members_entries(service):
    """Annotations are the mentor's own: the record's versions, and so the member's entries, are untouched."""
    world = build(service)
    before = world.api("owner", "GET", f"/api/v1/records/{world.record}").json
    world.annotate(verified=True)
    world.annotate(objective=before["objectives"][0]["ref"], activity_row=None, comment="Ambitious")
    after = world.api("owner", "GET", f"/api/v1/records/{world.record}").json
    assert after["activities"] == before["activities"] and after["version"] == before["version"] == 1
    assert len(after["annotations"]) == 2
    # an owner's upload of the same workbook adds no version; a mentor's upload is a record of their own
    assert world.api("mentor", "POST", "/api/v1/records", data=EXAMPLE).json["id"] != world.record


@pytest.mark.parametrize("body, status, code", [
    ({"activity_row": 9999, "comment": "x"}, 422, "no_such_activity"),
    ({"objective": "Z9", "comment": "x"}, 422, "no_such_objective"),
    ({"objective": "O1", "verified": True}, 422, "verify_activity_only"),
    ({"activity_row": "ten", "comment": "x"}, 400, "bad_target"),
    ({"comment": "   "}, 400, "empty_annotation"),
    ({"comment": 5}, 400, "bad_comment"),
    ({"comment": "x", "verified": "yes"}, 400, "bad_verified"),
    ({"comment": "x" * 4001}, 422, "comment_too_long"),
    ([1, 2], 400, "bad_request"),
])
def test_bad_annotations_are_refused_with_a_reason(app, body, status, code):
    world = build(app)
    res = world.api("mentor", "POST", f"/api/v1/records/{world.record}/annotations", json=body)
    assert (res.status_code, res.json["error"]["code"]) == (status, code), res.json


@pytest.mark.parametrize("body, code", [
    ({"email": "not an address"}, "bad_email"), ({"email": "owner@example.org"}, "cannot_mentor_self"),
    ({"email": " Owner@Example.ORG "}, "cannot_mentor_self"),
    ({"email": "m@example.org", "expires": "2020-01-01"}, "bad_expiry"),
    ({"email": "m@example.org", "expires": "soon"}, "bad_expiry"), ({}, "bad_email"),
])
def test_bad_grants_are_refused_with_a_reason(app, body, code):
    world = build(app)
    res = world.api("owner", "POST", "/api/v1/mentors", json=body)
    assert res.status_code == (422 if code == "cannot_mentor_self" else 400) and res.json["error"]["code"] == code


def test_a_grant_ends_at_its_expiry_date(app):
    world = build(app)
    res = world.api("owner", "POST", "/api/v1/mentors", json={"email": "later@example.org", "expires": "2099-06-30"})
    assert res.status_code == 201 and res.json["expires_at"] == "2099-06-30T23:59:59Z"
    again = world.api("owner", "POST", "/api/v1/mentors", json={"email": "later@example.org"})
    assert again.status_code == 200 and again.json["id"] == res.json["id"]       # one live grant per address
    states = {g["email"]: g["state"] for g in world.api("owner", "GET", "/api/v1/mentors").json["mentors"]}
    assert states["revoked@example.org"] == "revoked" and states["expired@example.org"] == "expired"
    assert states["mentor@example.org"] == "active" and states["later@example.org"] == "invited"


def test_the_dashboard_counts_only_live_mentees(service):
    world = build(service)
    for who, shown in (("mentor", "You mentor 1 member: see their records"), ("revoked", None), ("expired", None)):
        page = world.browser(who)[0].get("/").data.decode()
        assert (shown in page) if shown else 'id="mentees-link"' not in page, who
