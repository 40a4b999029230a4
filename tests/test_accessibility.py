"""WCAG 2.2 AA on every page, at 1280 and 390 px: axe-core (npm, tests/a11y) run inside a real headless
Chromium against the running service, as the owner of a record, its mentor, an admin and no one; and what
axe cannot see, through the accessibility tree and the keyboard."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mentor_world import EXAMPLE, build
from conftest import member_token
from test_pages_browser import signed_in_page
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)

SCREENS = Path("/tmp/cpd-page-screens")           # every page at both widths, kept to look at
AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is required in CI (.ci/run runs npm install in tests/a11y)")
        pytest.skip("axe-core is not installed (cd tests/a11y && npm install): the accessibility checks are skipped")
    return AXE.read_text()


def violations(page, axe_source: str) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is: 'rule: target (summary)' each."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
                          ".then(r => r.violations.map(v => v.nodes.map(n => v.id + ': ' + n.target.join(' ') + "
                          "' (' + (n.failureSummary || '').split('\\n').slice(1).join(' ').trim() + ')')).flat())",
                          TAGS)
    return found


@pytest.fixture
def world(app, live_server):
    w = build(app)
    w.base = live_server
    res = w.api("owner", "POST", "/api/v1/submissions", data=EXAMPLE)
    assert res.status_code == 201, res.json
    w.submission = res.json["id"]
    return w


def pages_of(world) -> dict[str, list[tuple[str, str]]]:
    """Who sees which page: (name, path)."""
    record = f"/records/{world.record}"
    return {
        "owner": [("dashboard", "/"), ("record", record), ("submission", f"/submissions/{world.submission}"),
                  ("report", f"{record}/report.html"), ("add", f"{record}/add"), ("trends", "/trends"),
                  ("audit", "/audit"), ("settings", "/settings"), ("device", "/device?user_code=BCDF-GHJK")],
        "mentor": [("mentees", "/mentees"), ("mentor-record", record)],
        "admin": [("admin", "/admin"), ("members", "/admin/members"), ("admin-audit", "/admin/audit"),
                  ("group-view", "/admin/stats")],
        "anonymous": [("login", "/login")],
    }


def test_every_page_has_no_wcag_violation_at_either_width(browser, world, axe_source, tmp_path):  # noqa: F811
    found: dict[str, list[str]] = {}
    SCREENS.mkdir(exist_ok=True)
    for who, pages in pages_of(world).items():
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
            if who == "anonymous":
                page = context.new_page()
            else:
                page = signed_in_page(context, world.base, world.tokens[who])
            for name, path in pages:
                page.goto(world.base + path)
                if name in ("record", "mentor-record"):           # the note forms open, as a mentor uses them
                    for summary in page.locator("details.annotate summary").all()[:2]:
                        summary.click()
                bad = violations(page, axe_source)
                if bad:
                    found[f"{name} at {width} px"] = bad
                page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
            context.close()
    assert not found, json.dumps(found, indent=1)


def refused_beside_its_form(page, error_id: str, section: str, field: str, typed: str) -> float:
    """A refused form's answer: the error announced (role=alert), the page's title starting 'Error:', what
    was typed still in its field; how far (px) the error starts below the section's first form."""
    error = page.locator(error_id)
    error.wait_for()
    assert error.get_attribute("role") == "alert" and page.title().startswith("Error: ")
    assert page.input_value(f"{section} {field}") == typed
    form, box = page.locator(f"{section} form").first.bounding_box(), error.bounding_box()
    assert form and box
    return box["y"] - (form["y"] + form["height"])


def test_a_forms_result_is_beside_it_announced_and_what_was_typed_is_kept(browser, world, axe_source):  # noqa: F811
    """After a form is sent and refused: the error right under that form, role=alert, the page's title starting
    'Error:', the text typed still in its field; and no WCAG violation on the page as it is then."""
    page = signed_in_page(browser.new_context(bypass_csp=True), world.base, world.tokens["owner"])
    page.fill("#mentors input[name=email]", "not an address")
    page.evaluate("document.querySelector('#mentors input[name=email]').type = 'text'")   # past the browser's own check
    page.locator("#mentors form input[type=submit], #mentors form button[type=submit]").first.click()
    gap = refused_beside_its_form(page, "#mentor-error", "#mentors", "input[name=email]", "not an address")
    assert 0 <= gap < 80                                                                    # right under the form
    assert violations(page, axe_source) == []


def test_the_page_after_erasing_shows_no_one_signed_in(browser, app, live_server, axe_source):  # noqa: F811
    token = member_token(app, "leaving@example.org")
    page = signed_in_page(browser.new_context(bypass_csp=True), live_server, token)
    page.fill("#erase input[name=confirm]", "DELETE")
    page.click("text=Erase my data")
    page.wait_for_selector("text=erased")
    assert "leaving@example.org" not in page.content() and page.locator("text=Sign out").count() == 0
    assert violations(page, axe_source) == []


def test_the_excel_task_pane_after_a_check_has_no_violation_and_announces_its_status(browser, live_server,  # noqa: F811
                                                                                     axe_source):
    from test_taskpane import open_pane, wait_until
    page = open_pane(browser.new_context(bypass_csp=True), live_server)      # a context has new_page too
    assert page.get_attribute("#status", "role") == "status" and page.get_attribute("#verdict", "role") == "status"
    page.click("#check")
    wait_until(page, "document.querySelectorAll('#criteria tr').length > 1", 15.0)
    assert violations(page, axe_source) == []


def test_an_operators_setting_never_reaches_a_member(app, monkeypatch):
    """A service with no Google service account: a member linking a sheet is told the service cannot read
    sheets yet, not which variable its operator must set (the operator's log has the code)."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    token = member_token(app, "sheet-member@example.org")
    res = app.test_client().post("/api/v1/sheets", headers={"Authorization": f"Bearer {token}"},
                                 json={"sheet": "https://docs.google.com/spreadsheets/d/" + "a" * 44 + "/edit"})
    assert res.status_code == 503, res.json
    message = res.json["error"]["message"]
    assert "not set up to read Google Sheets" in message
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in message and "key file" not in message


def test_a_mentor_comments_and_verifies_with_the_keyboard_alone(browser, world):  # noqa: F811
    """Tab to an activity's Comment-or-verify, open it with Enter, type, tick Verify with Space, Save with
    Enter: the note is saved on that activity, and each control the focus passes says which activity."""
    page = signed_in_page(browser.new_context(), world.base, world.tokens["mentor"])
    page.goto(f"{world.base}/records/{world.record}")
    row = world.rows[3]
    title = page.locator(f"#row-{row} strong").inner_text()
    page.locator(f"#row-{row} .annotate summary").focus()
    assert page.evaluate("document.activeElement.textContent") == f"Comment or verify (row {row}: {title})"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Comment on row {row}: {title}"
    page.keyboard.type("Good link to the plan.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == f"Save the note on row {row}: {title}"
    page.keyboard.press("Enter")
    note = page.locator(f"#row-{row} .note.verified")
    note.wait_for()
    assert "Good link to the plan." in note.inner_text() and "Verified" in note.inner_text()


def test_a_refused_sheet_link_is_answered_beside_its_form_with_the_address_kept(browser, world, fake_sheets,  # noqa: F811
                                                                                axe_source):
    page = signed_in_page(browser.new_context(bypass_csp=True), world.base, world.tokens["owner"])
    page.fill("#sheets input[name=sheet]", "https://example.org/not-a-sheet")
    page.locator("#sheets input[type=submit][value='Link the sheet']").click()
    gap = refused_beside_its_form(page, "#sheet-error", "#sheets", "input[name=sheet]",
                                  "https://example.org/not-a-sheet")
    assert 0 <= gap < 80                                                                    # right under the form
    assert violations(page, axe_source) == []
