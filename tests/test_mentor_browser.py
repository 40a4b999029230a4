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
    row.locator("button[type=submit]").click()
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
    assert actions.count("viewed the record") == 1      # one line for the visit: not again after the mentor's save
    member.screenshot(path=str(shots / "4-audit-trail.png"), full_page=True)

    response = mentor.goto(record_url)
    assert response.status == 404 and "Power electronics" not in mentor.content()
    mentor.goto(base + "/mentees")
    assert mentor.inner_text("#no-mentees")
    mentor.screenshot(path=str(shots / "5-mentor-after-revoke.png"), full_page=True)


def test_a_mentor_on_a_phone_reaches_every_activitys_controls_each_named_for_it(browser, app, live_server,  # noqa: F811
                                                                                 tmp_path):
    """At 390 px the record's activities are one card each, the mentor's Comment-or-verify under each, within
    the screen; every control says which activity it acts on (a screen reader hears 'Comment on row 12: ...')."""
    from mentor_world import build
    from test_pages_browser import signed_in_page
    world = build(app)
    page = signed_in_page(browser.new_context(viewport={"width": 390, "height": 844}), live_server,
                          world.tokens["mentor"])
    page.goto(f"{live_server}/records/{world.record}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    titles = page.eval_on_selector_all("#activities tr[id^=row-] strong", "els => els.map(e => e.textContent)")
    assert len(titles) == len(world.rows) >= 8
    for row in world.rows:
        summary = page.locator(f"#row-{row} summary")
        summary.scroll_into_view_if_needed()
        box = summary.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (row, box)
    row, title = world.rows[2], titles[2]
    about = f"row {row}: {title}"
    page.locator(f"#row-{row} summary").click()
    assert page.get_by_role("textbox", name=f"Comment on {about}", exact=True).count() == 1
    assert page.get_by_role("checkbox", name=f"Verify this activity ({about})", exact=True).count() == 1
    page.get_by_role("textbox", name=f"Comment on {about}", exact=True).fill("Well reflected.")
    page.get_by_role("button", name=f"Save the note on {about}", exact=True).click()
    page.locator(f"#row-{row} .note").filter(has_text="Well reflected.").wait_for()
    names = page.eval_on_selector_all("#activities textarea", "els => els.map(e => e.getAttribute('aria-label'))")
    assert len(set(names)) == len(names) == len(world.rows)                  # no two controls called 'Comment'
    page.screenshot(path=str(tmp_path / "390-mentor-record.png"), full_page=True)


def test_the_member_replies_under_a_mentors_comment_and_both_see_it_and_the_workbook_has_it(browser, app,  # noqa: F811
                                                                                           live_server, tmp_path):
    import io
    import openpyxl
    from mentor_world import build
    from test_pages_browser import signed_in_page
    world = build(app)
    row = world.rows[1]
    world.annotate("mentor", activity_row=row, comment="Which chapters changed your checklist?")
    owner = signed_in_page(browser.new_context(), live_server, world.tokens["owner"])
    owner.goto(f"{live_server}/records/{world.record}")
    title = owner.locator(f"#row-{row} strong").inner_text()
    owner.locator(f"#row-{row} .reply-form summary").click()
    box = owner.get_by_role("textbox", name=f"Your reply to mentor@example.org on row {row}: {title}", exact=True)
    box.fill("Chapters 2 and 3.\nThe core-loss tables.")
    owner.get_by_role("button", name=f"Send the reply to mentor@example.org on row {row}: {title}",
                      exact=True).click()
    reply = owner.locator(f"#row-{row} .note.reply")
    reply.wait_for()
    owner.wait_for_load_state("load")        # the line break shows once the stylesheet (pre-wrap) is applied
    assert "Chapters 2 and 3.\nThe core-loss tables." in reply.inner_text() and "replied" in reply.inner_text()
    mentor = signed_in_page(browser.new_context(), live_server, world.tokens["mentor"])
    mentor.goto(f"{live_server}/records/{world.record}")
    assert "Chapters 2 and 3." in mentor.locator(f"#row-{row} .note.reply").inner_text()
    assert mentor.locator(".reply-form").count() == 0                    # replies are the owner's
    got = mentor.request.get(f"{live_server}/records/{world.record}/workbook")
    ws = openpyxl.load_workbook(io.BytesIO(got.body()))["Record"]
    comment = ws.cell(row=row, column=14).comment or next(
        c.comment for line in ws.iter_rows(min_row=row, max_row=row) for c in line if c.comment)
    assert "Which chapters changed your checklist?" in comment.text and "(reply)" in comment.text
    assert "The core-loss tables." in comment.text
    owner.screenshot(path=str(tmp_path / "reply.png"), full_page=True)


def test_a_long_comment_is_counted_as_the_browser_counts_it_and_a_refused_one_is_kept(browser, app, live_server):  # noqa: F811
    from mentor_world import build
    from test_pages_browser import signed_in_page
    world = build(app)
    row = world.rows[0]
    page = signed_in_page(browser.new_context(), live_server, world.tokens["mentor"])
    page.goto(f"{live_server}/records/{world.record}")
    page.locator(f"#row-{row} summary").click()
    box = page.locator(f"#row-{row} textarea")
    text = "\n".join(["x" * 153] * 26)[:3996]          # 3,996 characters as the browser counts them (25 breaks)
    box.fill(text)
    assert page.evaluate("t => t.value.length", box.element_handle()) == 3996
    page.locator(f"#row-{row} details.annotate button[type=submit]").click()
    page.locator(f"#row-{row} .note .comment").wait_for()
    assert len(page.locator(f"#row-{row} .note .comment").inner_text()) == 3996          # all of it kept
    page.locator(f"#row-{row} summary").first.click()
    too_long = "y" * 4100
    page.evaluate("([t, v]) => { t.removeAttribute('maxlength'); t.value = v; }",
                  [page.locator(f"#row-{row} textarea").element_handle(), too_long])
    page.locator(f"#row-{row} details.annotate button[type=submit]").click()
    page.locator("#record-error").wait_for()
    assert page.title().startswith("Error: ") and "4,100" in page.inner_text("#record-error")
    assert page.locator("#record-error").get_attribute("role") == "alert"
    assert page.locator(f"#row-{row} textarea").input_value() == too_long                 # what was typed is kept
    assert page.locator(f"#row-{row} details.annotate").get_attribute("open") is not None
