"""The workbook on paper: the template, the example and an imported record printed by LibreOffice on A4 and
US Letter, measured with ``pdftotext -bbox`` (word heights, the text of every page) and kept as PNGs
(``/tmp/cpd-print-pages``) to look at."""
from __future__ import annotations

import html as html_text
import re
import shutil
import statistics
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from addin import load_profile
from addin.workbook.printing import page_groups
from addin.workbook.template import build_workbook
from conftest import libreoffice, require_soffice
from workbook_templates import example_path, template_path

PAGES = Path("/tmp/cpd-print-pages")
PAPERS = {"a4": ("9", (595.3, 841.9)), "letter": ("1", (612.0, 792.0))}
FOOTER = re.compile(r"Page \d+ of \d+")

WORDS = ("reviewed the converter layout with the senior engineer and found two thermal hot spots that the "
         "simulation had missed; I now run the thermal model before every layout review and have shown the "
         "team how to read its output, which has cut one design iteration from each board this quarter").split()


def _text(n: int, rng_words: int) -> str:
    return " ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(rng_words))


def _long_record(path: Path) -> Path:
    """A long record: 30 activities with reflections of 20 to 80 words, and 10 objectives."""
    profile = load_profile("iet")
    categories = [t.label for t in profile.categories]
    skills = [t.label for t in profile.skill_types]
    activities = [{"start_date": date(2025, 1 + i % 12, 1 + i % 27), "title": f"Course {i}: " + _text(i, 6),
                   "provider": _text(i + 3, 3), "reflection": _text(i, 20 + (i * 13) % 61),
                   "further_action": _text(i + 5, 8) if i % 3 else "", "category": categories[i % len(categories)],
                   "skill_type": skills[i % len(skills)], "competences": "A1, B2", "hours": 1 + i % 7,
                   "objective": f"O{1 + i % 10}"} for i in range(30)]
    objectives = [{"ref": f"O{i}", "objective": _text(i, 9), "why": _text(i + 2, 7), "competences": "A1",
                   "target_date": date(2025, 12, 31), "status": "Planned", "evaluation": _text(i + 4, 10)}
                  for i in range(1, 11)]
    build_workbook(profile, {"name": "Sam Taylor", "membership_number": "00999999",
                             "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31)},
                   objectives, activities).save(path)
    return path


def _imported(workbook: Path, work: Path) -> Path:
    """The long record's activities as a member's own CSV, brought in by `cpd import` as a member does."""
    import csv
    from click.testing import CliRunner
    from addin.cli import cli
    from addin.workbook.reader import read_workbook
    record = read_workbook(workbook).require()
    with open(work / "my-log.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Date", "Activity", "Provider", "What I learnt", "Next steps", "Type", "Hours"])
        for a in record.activities:
            out.writerow([a.start_date.isoformat(), a.title, a.provider, a.reflection, a.further_action,
                          a.category, a.hours])
    made = CliRunner().invoke(cli, ["import", str(work / "my-log.csv"), str(work / "imported.xlsx"),
                                    "--profile", "iet"])
    assert made.exit_code == 0, made.output
    return work / "imported.xlsx"


def _on_paper(src: Path, out: Path, size: str) -> Path:
    """The workbook with every sheet's paper set to ``size`` (as a member's Excel does for their printer)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'paperSize="\d+"', b'paperSize="' + size.encode() + b'"', data)
            zout.writestr(info, data)
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Each workbook on each paper as a PDF: {(name, paper): [(page width, height, [(word, height)])]}."""
    require_soffice()
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed") if not __import__("os").environ.get("CI") \
            else pytest.fail("pdftotext is required in CI")
    work = tmp_path_factory.mktemp("print")
    template = work / "template.xlsx"
    shutil.copy(template_path("iet"), template)
    long_record = _long_record(work / "long.xlsx")
    sources = {"template": template, "example-iet": example_path("iet"), "example-ikt": example_path("ikt"),
               "long": long_record, "imported": _imported(long_record, work)}
    files = [_on_paper(src, work / f"{name}-{paper}.xlsx", size)
             for name, src in sources.items() for paper, (size, _) in PAPERS.items()]
    libreoffice(["--convert-to", "pdf", "--outdir", str(work / "pdf"), *map(str, files)], work / "lo", timeout=600)
    shutil.rmtree(PAGES, ignore_errors=True)
    PAGES.mkdir()
    result = {}
    for f in files:
        pdf = work / "pdf" / f"{f.stem}.pdf"
        html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        pages = []
        for page in html.split("<page ")[1:]:
            w, h = map(float, re.match(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
            words = [(html_text.unescape(word), float(y1) - float(y0)) for y0, y1, word in
                     re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
            pages.append((w, h, words))
        result[tuple(f.stem.rsplit("-", 1))] = pages
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(PAGES / f.stem)], check=True)
    return result


def test_every_page_reads_at_9_pt_or_more_on_a4_and_letter(printed):
    for (name, paper), pages in printed.items():
        size = PAPERS[paper][1]
        assert all(sorted((w, h)) == pytest.approx(sorted(size), abs=1) for w, h, _ in pages), (name, paper)
        heights = [h for _, _, words in pages for _, h in words]
        assert statistics.median(heights) >= 9, (name, paper, statistics.median(heights))
        for n, (_, _, words) in enumerate(pages, 1):       # the Record's and the Plan's pages alike
            assert statistics.median(h for _, h in words) >= 9, (name, paper, n)


def test_no_page_is_empty_and_the_record_prints_as_the_form(printed):
    for (name, paper), pages in printed.items():
        texts = [FOOTER.sub("", " ".join(w for w, _ in words)) for _, _, words in pages]
        assert all(len(t.split()) >= 5 for t in texts), (name, paper, [len(t.split()) for t in texts])
        record = [t for t in texts if "Continuing Professional Development Record" in t]
        assert record, (name, paper)
        # the form's pages first: the member's header and the form's columns; the reviewer's after them
        first = record[0]
        for label in ("Name:", "Membership", "Description of development/learning", "Provided by",
                      "What did you learn &", "Any further action?"):      # a header cell's lines, each whole
            assert label in first, (name, paper, label)
        assert "Category" not in first.split("Any further action?")[0]
        reviewer = [t for t in texts if "Mentor comment" in t]
        assert reviewer and all("Category" in t and "Verified on" in t for t in reviewer), (name, paper)
        if name != "template":                  # whose record it is, on the reviewer's pages too
            member = {"long": "Sam Taylor", "imported": ""}.get(name, "Alex Morgan")   # an import has no name yet
            assert all(member in t for t in reviewer), (name, paper)


def test_the_plan_prints_its_used_rows_on_one_page(printed):
    for (name, paper), pages in printed.items():
        plan = [" ".join(w for w, _ in words) for _, _, words in pages
                if " ".join(w for w, _ in words[:2]) == "Development plan"]
        assert len(plan) == 1, (name, paper, len(plan))       # ten objectives (the long record) fit one page
        assert "O10" in plan[0] and "O11" not in plan[0], (name, paper)


def test_the_summary_prints_without_gridlines_or_an_empty_analysis_block(printed):
    for (name, paper), pages in printed.items():
        summary = [" ".join(w for w, _ in words) for _, _, words in pages if words and words[0][0] == "CPD"]
        assert len(summary) == 1, (name, paper)
        assert "Verdict and score" not in summary[0]            # no add-in in LibreOffice: no empty block
    with zipfile.ZipFile(example_path("iet")) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert all(b'gridLines="1"' not in s for s in sheets)


def test_the_form_columns_set_the_scale_and_the_reviewers_columns_follow():
    groups, scale = page_groups([30, 12, 32, 22, 42, 26, 18, 18, 14, 10, 11, 16, 18, 20, 12, 12, 11])
    assert groups[0] == [0, 1, 2, 3, 4, 5] and groups[1] == list(range(6, 17)) and len(groups) == 2
    assert 80 <= scale <= 82          # 11 pt text prints at 9 pt: the six form columns fill a Letter page
    assert page_groups([10] * 3)[1] == 100                       # never enlarged
