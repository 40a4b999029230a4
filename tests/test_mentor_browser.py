"""The mentor flow in a real headless Chromium against the running service (``cpd serve``), on SQLite
and PostgreSQL: a member uploads a record and invites a mentor by e-mail; the mentor accepts the
invitation (which makes their account), comments on an activity and verifies it; the member sees both
beside the activity, and revokes the grant; the mentor then sees nothing of the record. Screenshots of
each step are kept in the test's folder."""
from __future__ import annotations

from conftest import mailed_link, run_jobs
from sync_service import create_app
from test_pages_browser import signed_in_page
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)
from workbook_templates import example_path


def test_invite_accept_comment_verify_revoke(browser, served, smtp_server, tmp_path):  # noqa: F811
    smtp_url, inbox = smtp_server
    server = served("--workers", "2", "--threads", "2",
                    env={"CPD_SMTP_URL": smtp_url, "CPD_PUBLIC_URL": "https://cpd.example.org"})
    base = server.url
    shots = tmp_path / "screenshots"
    shots.mkdir()

    def only_the_service(page):
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        return page

    member = signed_in_page(browser.new_context(), base, server.token)
    member.set_input_files("#records input[name=workbook]", str(example_path("iet")))
    member.click("text=Upload and check")
    member.wait_for_selector("#verdict")
    record_url = member.url
    assert "/records/rec_" in record_url and "Ready" in member.inner_text("#verdict")
    member.fill("#mentors input[name=email]", "sam.patel@example.org")
    member.click("text=Share this record")
    assert "We e-mailed an invitation to sam.patel@example.org" in member.inner_text("#invitation")
    assert "inv_" not in member.content()                             # the link goes to the address only
    assert member.inner_text("#grants .state") == "invited"
    worker = create_app({"DATABASE_URL": server.database_url, "SMTP_URL": smtp_url,
                         "PUBLIC_URL": "https://cpd.example.org", "AUTO_MIGRATE": False})
    run_jobs(worker)                                                  # what `cpd worker` does: send the mail
    invitation = base + mailed_link(inbox, "sam.patel@example.org", "/invitations/")
    member.screenshot(path=str(shots / "1-member-invites.png"), full_page=True)

    mentor = only_the_service(browser.new_context().new_page())      # another browser: no shared cookie
    mentor.goto(invitation)
    assert "asks you to mentor their CPD" in mentor.inner_text("h1")
    mentor.fill("input[name=name]", "Dr Sam Patel")
    mentor.click("text=Accept and make my account")
    assert "Your account is made" in mentor.inner_text("main")
    mentor.click("text=Go to your mentees")
    mentor.click(".mentee-records a")
    mentor.wait_for_selector("#activities")
    assert mentor.url == record_url
    row = mentor.locator("#activities tr[id^=row-]").nth(2)
    row_id = row.get_attribute("id")
    row.locator("summary").click()
    row.locator("textarea").fill("Good reflection <b>really</b>; well linked to O1.")
    row.locator("input[name=verified]").check()
    row.locator("input[type=submit]").click()
    mentor.wait_for_selector(f"#{row_id} .note.verified")
    assert "Verified" in mentor.inner_text(f"#{row_id} .notes")
    assert not mentor.locator("text=Submit to the institution").count()      # a mentor cannot submit
    mentor.screenshot(path=str(shots / "2-mentor-verifies.png"), full_page=True)

    member.goto(record_url)
    notes = member.inner_text(f"#{row_id} .notes")
    assert "Dr Sam Patel" in notes and "Verified" in notes and "<b>really</b>" in notes     # shown as text
    assert member.inner_text("#grants .state") == "active"
    member.screenshot(path=str(shots / "3-member-sees-the-notes.png"), full_page=True)
    member.click("#grants input[value=Revoke]")
    member.wait_for_selector("#grants .state")
    assert member.inner_text("#grants .state") == "revoked"
    member.goto(base + "/audit")
    actions = member.eval_on_selector_all("#audit td.action", "cells => cells.map(c => c.textContent)")
    assert actions[0] == "revoked access" and actions[-1] == "sent an invitation"       # newest first
    assert {"accepted the invitation", "viewed the record", "verified an activity"} <= set(actions)
    member.screenshot(path=str(shots / "4-audit-trail.png"), full_page=True)

    response = mentor.goto(record_url)
    assert response.status == 404 and "Power electronics" not in mentor.content()
    mentor.goto(base + "/mentees")
    assert mentor.inner_text("#no-mentees")
    mentor.screenshot(path=str(shots / "5-mentor-after-revoke.png"), full_page=True)
