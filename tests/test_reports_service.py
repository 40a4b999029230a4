"""Reports in the service: the record page's report download (PDF and HTML) for its owner and its
mentor (whose download is in the member's audit trail), nobody else; and the member's trends across
the periods of their records, against hand-computed values."""
from __future__ import annotations

import io
import re

import pytest

from conftest import fill_workbook
from mentor_world import build
from test_record_report import pdftext

ACCESS = {"owner": 200, "mentor": 200, "revoked": 404, "expired": 404, "stranger": 404, "admin": 404}


@pytest.fixture
def world(service):
    return build(service)


@pytest.mark.parametrize("who, status", ACCESS.items())
def test_the_report_download_is_for_the_owner_and_a_live_mentor_only(world, who, status, tmp_path):
    client, _ = world.browser(who)
    res = client.get(f"/records/{world.record}/report.pdf")
    assert res.status_code == status
    if status == 200:
        assert res.data.startswith(b"%PDF") and res.mimetype == "application/pdf"
        (tmp_path / "r.pdf").write_bytes(res.data)
        assert "Alex Morgan" in pdftext(tmp_path / "r.pdf")


def test_the_html_report_carries_the_mentors_notes_and_its_own_strict_policy(world):
    world.annotate(comment="Tie this to O2 & say how.", verified=True)
    client, _ = world.browser("owner")
    res = client.get(f"/records/{world.record}/report.html")
    assert res.status_code == 200 and res.mimetype == "text/html"
    html = res.get_data(as_text=True)
    assert "Tie this to O2 &amp; say how." in html and "mentor@example.org" in html
    assert res.headers["Content-Security-Policy"].startswith("default-src 'none'")
    summary = client.get(f"/records/{world.record}/report.html?audience=summary").get_data(as_text=True)
    assert "summary for a manager" in summary and "Tie this to O2" not in summary
    assert client.get(f"/records/{world.record}/report.html?audience=everyone").status_code == 400
    assert client.get(f"/records/{world.record}/report.docx").status_code == 404


def test_a_mentors_report_download_is_in_the_members_audit_trail(world):
    client, _ = world.browser("mentor")
    assert client.get(f"/records/{world.record}/report.pdf").status_code == 200
    trail = world.api("owner", "GET", "/api/v1/audit").json["events"]
    assert trail[0]["action"] == "downloaded"


def test_the_trends_page_shows_each_period_against_hand_computed_figures(service, tmp_path, cpd):
    from test_pages import sign_in
    client = service.test_client()
    token = sign_in(client, service.config["TOKENS"]["a"])
    for year, hours, comps, objectives in (
            (2023, 12, "A1", [{"ref": "O1", "objective": "Learn FEA", "status": "In progress"}]),
            (2024, 31, "A1, B2", [{"ref": "O1", "objective": "Learn FEA", "status": "Achieved"}]),
            (2025, 40, "E4", [])):
        path = tmp_path / f"{year}.xlsx"
        assert cpd("new", path, "--year", year).exit_code == 0
        fill_workbook(path, [{"start_date": f"{year}-05-01", "title": f"Course {year}", "hours": hours,
                              "category": "Training courses", "skill_type": "Soft skills", "competences": comps}],
                      header={"name": "Jo Park", "period_start": f"{year}-01-01", "period_end": f"{year}-12-31"},
                      objectives=objectives)
        res = client.post("/records", data={"csrf": token, "workbook": (io.BytesIO(path.read_bytes()), "r.xlsx")},
                          content_type="multipart/form-data")
        assert res.status_code in (200, 302), res.data[:300]
    page = client.get("/trends").get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d{4})</td><td>([\d.]+)</td><td>(\d+)</td>", page)
    assert rows == [("2023", "12", "30"), ("2024", "31", "30"), ("2025", "40", "30")]
    assert "completed O1" in page and "carried over O1" in page
    assert re.search(r"<td>A1</td>.*?<td>B2</td>.*?<td>E4</td>", page, re.S)           # new competences each year
    chart = client.get("/trends/iet.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml" and b"<svg" in chart.data
    for panel in (b"Hours per period against the target", b"Category mix", b"Skill mix", b"Competences covered so far"):
        assert panel in chart.data
    assert client.get("/trends/ei.svg").status_code == 404
    other = service.test_client()
    sign_in(other, service.config["TOKENS"]["b"])
    assert "Jo Park" not in other.get("/trends").get_data(as_text=True) and "2023" not in other.get("/trends").get_data(as_text=True)
