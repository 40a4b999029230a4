"""The member's pages and the admin page, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

import corpus
from sync_service import db
from sync_service.store.accounts import create_member, issue_token
from sync_service.store.models import ApiToken, Delivery, Member, Submission
from workbook_templates import example_path


def csrf(page: bytes) -> str:
    return re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()


def sign_in(client, token):
    page = client.get("/login").data
    res = client.post("/login", data={"token": token, "csrf": csrf(page)})
    assert res.status_code == 302 and res.headers["Location"].endswith("/")
    return csrf(client.get("/").data)


def upload(client, token_csrf, data: bytes, name="record.xlsx"):
    import io
    return client.post("/upload", data={"csrf": token_csrf, "workbook": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_sign_in_upload_and_see_the_review(service):
    client = service.test_client()
    assert client.get("/").status_code == 302                      # signed out: to the sign-in page
    bad = client.post("/login", data={"token": "nope", "csrf": csrf(client.get("/login").data)})
    assert bad.status_code == 401 and b"not valid" in bad.data
    token = sign_in(client, service.config["TOKENS"]["a"])
    res = upload(client, token, example_path("iet").read_bytes())
    assert res.status_code == 302 and "/submissions/sub_" in res.headers["Location"]
    page = client.get(res.headers["Location"]).data.decode()
    assert "Ready — score 100/100" in page and "46.9 of 30 hours" in page and "queued" in page
    charts = {key: page.split(f'id="chart-{key}"', 1)[1].split("</table>", 1)[0].count('class="bar"')
              for key in ("categories", "skills", "competences")}
    assert charts == {"categories": 6, "skills": 3, "competences": 9}         # the example's, hand-counted
    assert 'id="progress" class="bar" min="0" max="30.0" value="46.9"' in page
    listing = client.get("/").data.decode()
    assert res.headers["Location"].rsplit("/", 1)[1] in listing


def test_forms_without_the_csrf_token_are_refused(service):
    client = service.test_client()
    sign_in(client, service.config["TOKENS"]["a"])
    import io
    res = client.post("/upload", data={"workbook": (io.BytesIO(b"x"), "a.xlsx")}, content_type="multipart/form-data")
    assert res.status_code == 400 and b"did not come from this site" in res.data
    assert client.post("/erase", data={"confirm": "DELETE", "csrf": "forged"}).status_code == 400
    assert client.post("/login", data={"token": service.config["TOKENS"]["a"]}).status_code == 400


def test_upload_errors_show_their_code_and_cell(service):
    client = service.test_client()
    token = sign_in(client, service.config["TOKENS"]["a"])
    res = upload(client, token, corpus.forged_cached_formula())
    assert res.status_code == 422 and "invalid_record" in res.text and "Record!J10" in res.text
    res = upload(client, token, corpus.billion_laughs())
    assert res.status_code == 400 and "dtd_not_allowed" in res.text


def test_every_problem_of_an_upload_is_listed_from_the_server_not_the_cookie(service, tmp_path):
    """3,000 bad values: the page lists each with its cell, as the CLI does, and the cookie stays small."""
    import openpyxl
    wb = openpyxl.load_workbook(example_path("iet"))
    ws = wb["Record"]
    for row in range(10, 3010):
        ws.cell(row=row, column=3, value=f"Activity {row}")
        ws.cell(row=row, column=1, value="not a date")
    wb.save(tmp_path / "bad.xlsx")
    client = service.test_client()
    token = sign_in(client, service.config["TOKENS"]["a"])
    res = upload(client, token, (tmp_path / "bad.xlsx").read_bytes())
    assert res.status_code == 422
    cells = set(re.findall(r"Record!A(\d+)", res.text))
    assert len(cells) >= 3000 and {"10", "3009"} <= cells
    assert len(res.headers.get("Set-Cookie", "")) < 1000          # nothing of it kept in the cookie
    assert "Record!A10" not in client.get("/").text                # and not shown again on the next visit


def test_another_members_submission_page_is_not_found(service):
    a, b = service.test_client(), service.test_client()
    token = sign_in(a, service.config["TOKENS"]["a"])
    location = upload(a, token, example_path("iet").read_bytes()).headers["Location"]
    sign_in(b, service.config["TOKENS"]["b"])
    assert b.get(location).status_code == 404
    assert b.get("/admin").status_code == 404                      # not an admin


def test_export_then_erase_removes_everything(service):
    client = service.test_client()
    token = sign_in(client, service.config["TOKENS"]["a"])
    upload(client, token, example_path("iet").read_bytes())
    exported = json.loads(client.get("/export").data)
    assert exported["member"]["email"] == "a@example.org" and len(exported["submissions"]) == 1
    assert exported["submissions"][0]["record"]["member"]["name"] == "Alex Morgan"
    assert "token_hash" not in json.dumps(exported)
    token = csrf(client.get("/").data)
    assert client.post("/erase", data={"confirm": "nope", "csrf": token}).status_code == 400
    res = client.post("/erase", data={"confirm": "DELETE", "csrf": token})
    assert res.status_code == 200 and b"erased" in res.data
    with service.app_context():
        s = db.session()
        assert s.scalar(select(func.count()).select_from(Member).where(Member.email == "a@example.org")) == 0
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 1          # member b's only
    assert client.get("/").status_code == 302


def test_admin_sees_dead_letters_and_resends(service):
    with service.app_context():
        s = db.session()
        admin = create_member(s, "admin@example.org")
        admin.is_admin = True
        admin_token = issue_token(s, admin)
        s.commit()
    member = service.test_client()
    sub_id = member.post("/api/v1/submissions", data=example_path("iet").read_bytes(), headers={
        "Authorization": f"Bearer {service.config['TOKENS']['a']}"}).get_json()["id"]
    with service.app_context():
        s = db.session()
        d = s.get(Submission, sub_id).delivery
        d.status, d.attempts, d.last_error = "dead", 11, "gave up after 11 tries: 503"
        s.commit()
    client = service.test_client()
    token = sign_in(client, admin_token)
    service.config.update(INSTITUTION_URL="https://inst.example.org/cpd", SIGNING_SECRETS=["whsec_a", "whsec_b"])
    page = client.get("/admin").data.decode()
    assert sub_id in page and "gave up after 11 tries" in page
    assert "https://inst.example.org/cpd" in page and "2 secrets (rotation)" in page and "whsec_a" not in page
    assert client.post(f"/admin/resend/{sub_id}", data={"csrf": token}).status_code == 302
    with service.app_context():
        assert db.session().get(Submission, sub_id).delivery.status == "queued"


def test_templates_download(service):
    res = service.test_client().get("/template/iet.xlsx")
    assert res.status_code == 200 and res.data[:2] == b"PK"
    assert service.test_client().get("/template/nope.xlsx").status_code == 404


def test_session_cookie_is_secure_httponly_samesite(service):
    client = service.test_client()
    page = client.get("/login")
    cookie = page.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_a_record_that_is_not_ready_is_sent_only_once_the_member_confirms(service, tmp_path):
    """The upload page shows the verdict and the failing criteria, and asks, before a NOT READY record goes."""
    from sqlalchemy import func, select
    from sync_service import db
    from sync_service.store.models import Submission
    from test_submit import not_ready_workbook
    client = service.test_client()
    token = sign_in(client, service.config["TOKENS"]["a"])
    thin = not_ready_workbook(tmp_path).read_bytes()

    def submissions():
        with service.app_context():
            return db.session().scalar(select(func.count()).select_from(Submission))

    asked = upload(client, token, thin)
    page = asked.data.decode()
    assert asked.status_code == 200 and 'id="confirm-submit"' in page and "This record is not ready" in page
    assert "The recommended hours for the year" in page and submissions() == 0
    record_id = re.search(r'action="/records/(rec_[^/"]+)/submit"', page).group(1)
    again = client.post(f"/records/{record_id}/submit", data={"csrf": token})
    assert again.status_code == 200 and 'id="confirm-submit"' in again.data.decode() and submissions() == 0
    sent = client.post(f"/records/{record_id}/submit", data={"csrf": token, "confirm": "yes"})
    assert sent.status_code == 302 and "/submissions/sub_" in sent.headers["Location"] and submissions() == 1
