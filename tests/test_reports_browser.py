"""The member's trends page and the admin's group view in a real headless Chromium against the
running service (``cpd serve``), on SQLite and PostgreSQL. Screenshots are kept beside the test;
at a phone's width (390 px) neither page scrolls sideways."""
from __future__ import annotations

import http.client
import subprocess
from urllib.parse import urlparse

from conftest import fill_workbook
from test_pages_browser import signed_in_page
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)


def workbook(cpd, tmp_path, year: int, hours: float, name: str, objectives=(), competences="A1"):
    path = tmp_path / f"{name.split()[0]}-{year}.xlsx"
    assert cpd("new", path, "--year", year, "--force").exit_code == 0
    fill_workbook(path, [{"start_date": f"{year}-05-01", "title": f"Course {year}", "hours": hours,
                          "category": "Training courses", "skill_type": "Soft skills", "competences": competences}],
                  header={"name": name, "period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
                          "grade": "Member"},
                  objectives=list(objectives))
    return path


def add_member(server, email: str, *flags: str) -> str:
    made = subprocess.run([*server.cpd, "admin", "add-member", email, *flags], env=server.env, capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    return made.stdout.strip().splitlines()[-1]


def submit(server, token: str, data: bytes, key: str) -> None:
    url = urlparse(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.request("POST", "/api/v1/submissions", body=data, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": key,
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    res = conn.getresponse()
    assert res.status == 201, res.read()[:300]
    conn.close()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")


def test_the_members_trends_page_and_report_download(browser, served, tmp_path, cpd):  # noqa: F811
    server = served("--workers", "1", "--threads", "2")
    page = signed_in_page(browser, server.url, server.token)
    for year, hours, objectives in ((2023, 12, [{"ref": "O1", "objective": "Learn FEA", "status": "In progress"}]),
                                    (2024, 31, [{"ref": "O1", "objective": "Learn FEA", "status": "Achieved"}]),
                                    (2025, 40, [])):
        page.goto(server.url + "/")
        page.set_input_files("#records input[name=workbook]",
                             str(workbook(cpd, tmp_path, year, hours, "Jo Park", objectives)))
        page.click("text=Upload and check")
        page.wait_for_selector("#verdict")
    record = page.url
    page.goto(server.url + "/")
    page.click("#trends-link")
    page.wait_for_selector("#trend-iet")
    cells = page.eval_on_selector_all("#trend-iet tr", "rows => rows.slice(1).map(r => [r.cells[0].textContent, "
                                      "r.cells[1].textContent, r.cells[2].textContent])")
    assert cells == [["2023", "12", "30"], ["2024", "31", "30"], ["2025", "40", "30"]]
    assert "completed O1" in page.inner_text("#trend-iet") and "carried over O1" in page.inner_text("#trend-iet")
    page.locator("img.chart").wait_for()
    page.wait_for_load_state("load")
    assert page.eval_on_selector("img.chart", "img => img.complete && img.naturalWidth") > 100   # the SVG drew
    page.screenshot(path=str(tmp_path / "trends.png"), full_page=True)
    page.goto(record)
    with page.expect_download() as got:
        page.click("#reports >> text=PDF")
    pdf = got.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    narrow = browser.new_context(viewport={"width": 390, "height": 844})
    phone = signed_in_page(narrow, server.url, server.token)
    phone.goto(server.url + "/trends")
    assert fits(phone)
    phone.screenshot(path=str(tmp_path / "390-trends.png"), full_page=True)


def test_the_admins_group_view_with_a_small_group_suppressed(browser, served, tmp_path, cpd):  # noqa: F811
    server = served("--workers", "1", "--threads", "2", env={"CPD_STATS_MIN_GROUP": "3"})
    admin = add_member(server, "admin@example.org", "--admin")
    for i, hours in enumerate((10, 30, 50)):               # 2025: three records (shown); 2024: one (suppressed)
        token = add_member(server, f"m{i}@example.org")
        submit(server, token, workbook(cpd, tmp_path, 2025, hours, f"Secret{i} Person",
                                       competences="E4").read_bytes(), f"key-2025-{i}")
        if i == 0:
            submit(server, token, workbook(cpd, tmp_path, 2024, 20, "Secret0 Person").read_bytes(), "key-2024-0")
    page = signed_in_page(browser, server.url, admin)
    page.click("text=Group view")
    page.wait_for_selector("#period-2025")
    text = page.inner_text("#period-2025")
    assert "3 records" in text and "mean 30" in text and "median 30" in text and "between 20 and 40" in text
    assert "from 10 to 50" not in text                    # no one record's hours: no minimum, no maximum
    assert "Not shown: fewer than 3 records" in page.inner_text("#period-2024")
    assert "Secret" not in page.content() and "m0@example.org" not in page.content()
    assert page.eval_on_selector_all("select[name=period] option", "os => os.map(o => o.value)") == ["", "2025"]
    page.select_option("select[name=period]", "2025")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    assert page.url.endswith("/admin/stats?period=2025&profile=&grade=")
    assert page.locator("#period-2024").count() == 0
    page.screenshot(path=str(tmp_path / "group-view.png"), full_page=True)
    with page.expect_download() as got:
        page.click("#csv")
    data = got.value.path().read_text()
    assert data.startswith("period,section,profile,item,records,value") and "Secret" not in data
    narrow = browser.new_context(viewport={"width": 390, "height": 844})
    phone = signed_in_page(narrow, server.url, admin)
    phone.goto(server.url + "/admin/stats")
    assert fits(phone)
    phone.screenshot(path=str(tmp_path / "390-group-view.png"), full_page=True)
