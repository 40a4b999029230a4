"""The record report: `cpd report FILE --pdf/--html`, a real PDF (Typst) read back with pdftotext
and turned into PNG pages (kept beside the test as artefacts), audiences, the size limit, trends
across periods, and hostile text kept as text."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from addin import assess
from addin.model import Annotation
from addin.report import VERDICT
from addin.record_report import fit_pdf, report_data, report_html
from workbook_templates import example_path
from addin.workbook.reader import read_workbook
from conftest import fill_workbook, make_record
from gen import iet_year


@pytest.fixture(autouse=True)
def pdf_engine():
    """WeasyPrint needs the Pango system library: CI installs it; elsewhere its absence is a reported skip."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"WeasyPrint cannot load Pango ({exc}); .ci/run installs it")
        pytest.skip(f"WeasyPrint cannot load Pango, so no PDF can be made here: {exc}")


def pdftext(path) -> str:
    if not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdftotext) is required in CI: .ci/run installs it")
        pytest.skip("poppler-utils is not installed (pdftotext)")
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("pid", ["iet", "ikt"])
def test_the_example_records_pdf_shows_every_section(cpd, tmp_path, pid):
    source = example_path(pid)
    out = tmp_path / f"{pid}.pdf"
    res = cpd("report", source, "--pdf", out, "--html", tmp_path / f"{pid}.html")
    assert res.exit_code == 0, res.output
    text = flat(pdftext(out))
    read = read_workbook(source)
    record = read.require()
    result = assess(record, read.profile)
    assert f"{VERDICT[result.verdict]} (score {result.score}/100)" in text
    for title in (a.title for a in record.activities):
        assert flat(title) in text, title
    for c in result.criteria:
        assert flat(c.reason) in text, c.reason
    for label in ("Membership number", "Review criteria", "Development plan", "Activities", "Charts"):
        assert label in text
    assert record.member.name in text and read.profile.name in text
    assert 2 <= pages(out) <= 12 and out.stat().st_size < 300_000
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(out), str(tmp_path / pid)], check=True, timeout=120)
    assert len(list(tmp_path.glob(f"{pid}-*.png"))) == pages(out)          # the pages, kept as artefacts


def two_hundred(tmp_path):
    profile, header, rows = iet_year(200, 7, "Pat Quinn", objective="O1")
    return make_record(profile, rows, header=header, objectives=[{"ref": "O1", "objective": "Grow"}]), profile


def test_a_200_activity_record_is_a_pdf_under_1_mb_and_every_activity_is_in_it(tmp_path):
    record, profile = two_hundred(tmp_path)
    data = report_data(record, profile, assess(record, profile))
    pdf, dropped = fit_pdf(data, None)
    assert dropped == [] and len(pdf) < 1_000_000
    (tmp_path / "200.pdf").write_bytes(pdf)
    text = flat(pdftext(tmp_path / "200.pdf"))
    in_period = [a for a in record.activities if a.start_date.year == 2025 or a.end_date.year == 2025]
    assert f"Activities ({len(in_period)})" in text
    assert sum(flat(a.title) in text for a in in_period) == len(in_period)


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the process's memory from /proc")
def test_a_process_that_draws_pdf_after_pdf_keeps_none_of_their_layout():
    """A server draws one member's PDF after another: the layout engine's memory of each (tens of MB a
    record, kept for the next ten it lays out) must not stay in the server's process."""
    records = []
    for seed in range(9):
        profile, header, rows = iet_year(200, 40 + seed, f"Member {seed}", objective="O1")
        record = make_record(profile, rows, header=header, objectives=[{"ref": "O1", "objective": "Grow"}])
        records.append(report_data(record, profile, assess(record, profile)))
    fit_pdf(records[0], None)                          # the first: imports, fonts, the charts' caches
    before = _resident_mib()
    pages_drawn = [fit_pdf(data, None)[0] for data in records[1:]]
    grown = _resident_mib() - before
    assert all(pdf.startswith(b"%PDF-") for pdf in pages_drawn)
    assert grown < 40, f"the process grew {grown:.0f} MiB over eight PDFs"


def test_max_size_lowers_the_charts_then_leaves_them_out_and_says_so(cpd, tmp_path):
    source = example_path("iet")
    full = tmp_path / "full.pdf"
    assert cpd("report", source, "--pdf", full).exit_code == 0
    small = tmp_path / "small.pdf"
    res = cpd("report", source, "--pdf", small, "--max-size", f"{full.stat().st_size - 1}B")
    assert res.exit_code == 0 and small.stat().st_size < full.stat().st_size
    assert "the PDF leaves out" in res.output
    text = flat(pdftext(small))
    assert "To keep the file small, this report leaves out" in text
    tiny = cpd("report", source, "--pdf", tmp_path / "tiny.pdf", "--max-size", "2KB")
    assert tiny.exit_code == 2 and "report_too_large" in tiny.output
    bad = cpd("report", source, "--pdf", tmp_path / "x.pdf", "--max-size", "half a meg")
    assert bad.exit_code == 2 and "not a size" in bad.output


def test_the_summary_audience_has_one_line_per_activity_and_no_reflections(tmp_path):
    read = read_workbook(example_path("iet"))
    record = read.require()
    result = assess(record, read.profile)
    full = report_html(report_data(record, read.profile, result))
    summary = report_html(report_data(record, read.profile, result, audience="summary"))
    reflection = next(a.reflection for a in record.activities if a.reflection)
    assert reflection[:40] in full.replace("&#39;", "'") and reflection[:40] not in summary.replace("&#39;", "'")
    assert "summary for a manager" in summary
    assert all(a.title in summary for a in record.activities)


def test_mentor_comments_and_verifications_are_in_the_report():
    read = read_workbook(example_path("iet"))
    record = read.require()
    row = record.activities[0].row
    notes = [Annotation(author="Dr Sam Patel", written_at=__import__("datetime").datetime(2026, 11, 30, 9, 0),
                        comment="Link this to O2.", verified=True, activity_row=row)]
    html = report_html(report_data(record, read.profile, assess(record, read.profile), annotations=notes))
    assert "Dr Sam Patel: Link this to O2." in html and "Dr Sam Patel, 30 Nov 2026" in html


def test_hostile_text_in_a_record_stays_text_and_nothing_is_fetched(tmp_path, cpd):
    path = tmp_path / "hostile.xlsx"
    assert cpd("new", path, "--year", "2025").exit_code == 0
    evil = '<img src="file:///etc/passwd"><script>alert(1)</script>'
    fill_workbook(path, [{"start_date": "2025-03-01", "title": evil, "hours": 3, "category": "Training courses",
                          "reflection": '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'}],
                  header={"name": "<b>Eve</b>", "period_start": "2025-01-01", "period_end": "2025-12-31"})
    res = cpd("report", path, "--pdf", tmp_path / "h.pdf", "--html", tmp_path / "h.html")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "h.html").read_text()
    assert "<script>" not in html and "<img src=\"file" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in pdftext(tmp_path / "h.pdf")           # shown as the text it is


def test_trends_across_workbooks_for_several_years(cpd, tmp_path):
    books = []
    for year, hours, objectives in ((2023, 12, [{"ref": "O1", "objective": "Learn FEA", "status": "In progress"}]),
                                    (2024, 31, [{"ref": "O1", "objective": "Learn FEA", "status": "Achieved"}]),
                                    (2025, 40, [])):
        path = tmp_path / f"{year}.xlsx"
        assert cpd("new", path, "--year", year).exit_code == 0
        comps = {2023: "A1", 2024: "A1, B2", 2025: "E4"}[year]
        fill_workbook(path, [{"start_date": f"{year}-05-01", "title": f"Course {year}", "hours": hours,
                              "category": "Training courses", "skill_type": "Soft skills", "competences": comps}],
                      header={"name": "Jo Park", "period_start": f"{year}-01-01", "period_end": f"{year}-12-31"},
                      objectives=objectives)
        books.append(path)
    res = cpd("report", *books, "--years", "--html", tmp_path / "t.html", "--pdf", tmp_path / "t.pdf")
    assert res.exit_code == 0 and "3 periods" in res.output
    text = flat(pdftext(tmp_path / "t.pdf"))
    assert "Across periods" in text and "Hours per period against the target" in text
    html = (tmp_path / "t.html").read_text()
    import re
    rows = re.findall(r"<tr><td>(\d{4}) \(IET\)</td><td class=\"num\">([\d.]+)</td>\s*<td class=\"num\">(\d+)</td>",
                      html)
    assert rows == [("2023", "12", "30"), ("2024", "31", "30"), ("2025", "40", "30")]
    assert "completed O1" in html and "carried over O1" in html
    assert cpd("report", *books, "--pdf", tmp_path / "x.pdf").exit_code == 2      # several files need --years


def test_a_linked_google_sheet_gives_the_same_report_as_its_workbook(cpd, fake_sheets, tmp_path):
    """`cpd sheets report` through real gspread and google-auth against the loopback fake of Sheets."""
    from conftest import sheet_url
    book = fake_sheets.load_xlsx(example_path("iet").read_bytes(), share={fake_sheets.email: "reader"})
    res = cpd("sheets", "report", sheet_url(book), "--html", tmp_path / "sheet.html", "--pdf", tmp_path / "sheet.pdf")
    assert res.exit_code == 0, res.output
    assert cpd("report", example_path("iet"), "--html", tmp_path / "file.html").exit_code == 0
    strip = lambda p: re.sub(r"Report made on [^.]*\.", "", p.read_text())           # noqa: E731
    assert strip(tmp_path / "sheet.html") == strip(tmp_path / "file.html")
    assert "Alex Morgan" in pdftext(tmp_path / "sheet.pdf")
    missing = cpd("sheets", "report", sheet_url(book))
    assert missing.exit_code == 2 and "--pdf OUT.pdf and/or --html OUT.html" in missing.output


@pytest.mark.parametrize("name", ['Alex Morgan"\n}.verdict{display:none}.x{', "Siobhán O'Brien & Sons"])
def test_the_members_name_never_becomes_css_and_shows_as_written_in_every_footer(tmp_path, name):
    """The running footer's text is the document's own (a running element), never a CSS string: a name
    that would end one and add a rule hides nothing, and an apostrophe or ampersand shows as itself."""
    profile, header, rows = iet_year(8, 5, name)
    record = make_record(profile, rows, {**header, "name": name})
    result = assess(record, profile)
    assert result.verdict == "not_ready"
    html = report_html(report_data(record, profile, result))
    css = html.split("<style>")[1].split("</style>")[0]
    assert "display:none" not in css and "O'Brien" not in css and "O&#39;Brien" not in css
    pdf, _ = fit_pdf(report_data(record, profile, result), None)
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = pdftext(tmp_path / "r.pdf")
    assert "NOT READY" in text
    footers = [page.strip().splitlines() for page in text.split("\f") if page.strip()]
    shown = " ".join(name.split())
    assert len(footers) >= 1 and all(any(shown in flat(line) for line in page[-4:]) for page in footers), footers
    assert "&#39;" not in text and "&amp;" not in text


def _words(pdf, page: int) -> list[tuple[str, float, float, float, float]]:
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(w, float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, w in re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def test_the_charts_read_cleanly_and_the_first_page_is_filled(cpd, tmp_path):
    """The target's label clear of the chart's title and its bars; 'grey: not covered' only over a grey bar;
    the first chart starts on the first page (a chart each: no half-empty page before one tall figure);
    each chart has a text alternative with its figures."""
    out = tmp_path / "r.pdf"
    assert cpd("report", example_path("iet"), "--pdf", out, "--html", tmp_path / "r.html").exit_code == 0
    text = flat(pdftext(out))                          # skips (or fails in CI) without poppler
    first = _words(out, 1)
    title = next(w for w in first if w[0] == "category")                  # "Hours by category", on page 1
    target = [w for w in first if w[0] in ("target", "30") and w[2] > title[4]]
    assert [w[0] for w in target][:2] == ["target", "30"]
    label = target[0]
    assert label[2] > title[4] + 50                                       # well under the title
    counted = next(w for w in first if w[0] == "counted" and w[2] > title[4])   # "All counted", the lowest bar
    assert label[2] >= counted[4]                                         # under the lowest bar
    read = read_workbook(example_path("iet"))
    result = assess(read.require(), read.profile)
    uncovered = [c for c, v in report_data(read.require(), read.profile, result).totals["competences"] if v == 0]
    assert uncovered and "Competence coverage (grey: not covered)" in text
    html = (tmp_path / "r.html").read_text()
    alts = re.findall(r'<div class="chart" role="img" aria-label="([^"]+)"', html)
    assert len(alts) == 3 and alts[0].startswith("Hours by category (hours): Training courses 24.4;")
    assert alts[0].endswith("All counted 46.9; target 30.")


def test_no_grey_is_promised_when_every_competence_is_covered():
    from addin.record_report.charts import record_charts
    drawn = record_charts([("Courses", 5)], [], [("A1", 2), ("B2", 3)], 10, 5, "hours")
    assert "grey" not in drawn[-1][1] and "Competence coverage (hours): A1 2; B2 3." == drawn[-1][1]
    drawn = record_charts([("Courses", 5)], [], [("A1", 2), ("B2", 0)], 10, 5, "hours")
    assert drawn[-1][1].startswith("Competence coverage (grey: not covered) (hours):")


def test_a_document_typst_cannot_lay_out_is_an_error_with_its_words(tmp_path):
    """The child process that compiles the PDF fails: the error says what Typst said."""
    from addin.record_report.typeset import _compiled
    (tmp_path / "record.typ").write_text('#let data = json("report.json")\n= #data.title\n', encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"Typst could not lay out the report: .*report\.json"):
        _compiled(tmp_path)
