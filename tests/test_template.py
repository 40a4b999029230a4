"""The template workbooks: rebuilt identically, opened by LibreOffice, and its native
formulas giving the engine's figures (one truth)."""
from __future__ import annotations

import io
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from addin.profile import list_profiles, load_profile
from addin.readiness import assess
from addin.workbook.reader import load_record
from gen import random_records
from conftest import libreoffice, require_soffice
from workbook_templates import example_path, template_path
from workbook_templates.__main__ import EXAMPLES
from addin.workbook.summary import SUMMARY_CATEGORY_ROW, SUMMARY_CELLS
from addin.workbook.template import build_workbook
from workbook_templates.example import example_workbook

RANDOM_RECORDS = 200


def _value(v):
    """A cell's value as compared: an array formula by its range and text."""
    return ("array", v.ref, v.text) if isinstance(v, ArrayFormula) else v


def fingerprint(source) -> dict:
    """Everything a member sees or relies on: cells, formats, validations, merges, layout."""
    wb = openpyxl.load_workbook(source)
    out = {"sheets": wb.sheetnames, "names": sorted(wb.defined_names)}
    for ws in wb.worksheets:
        cells = {c.coordinate: (_value(c.value), c.data_type, c.number_format)
                 for row in ws.iter_rows() for c in row if c.value is not None}
        out[ws.title] = {
            "state": ws.sheet_state, "cells": cells, "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes, "titles": ws.print_title_rows,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "orientation": ws.page_setup.orientation, "charts": len(ws._charts),
        }
    return out


@pytest.mark.parametrize("pid", [p.id for p in list_profiles()])
def test_committed_template_is_what_the_code_builds(pid):
    buf = io.BytesIO()
    build_workbook(load_profile(pid)).save(buf)
    assert fingerprint(template_path(pid)) == fingerprint(buf), \
        "template out of date: run python -m workbook_templates"


@pytest.mark.parametrize("pid", EXAMPLES)
def test_committed_example_is_what_the_code_builds(pid):
    buf = io.BytesIO()
    example_workbook(pid).save(buf)
    assert fingerprint(example_path(pid)) == fingerprint(buf)


@pytest.mark.parametrize("pid", [p.id for p in list_profiles()])
def test_every_template_has_the_verification_columns_and_the_reader_reads_them(pid, tmp_path):
    """A mentor's verification (Verified by, Verified on) has its columns in every profile's template."""
    from datetime import date
    from addin import read_workbook
    wb = openpyxl.load_workbook(template_path(pid))
    ws = wb["Record"]
    heads = {c.value: c.column for c in ws[9] if c.value}
    assert {"Verified by", "Verified on", "Mentor comment"} <= set(heads)
    for field, value in (("Start date", date(2025, 3, 1)), ("Description of development/learning activity", "Course"),
                         ("Verified by", "Dr Sam Patel"), ("Verified on", date(2025, 4, 2))):
        ws.cell(10, heads[field]).value = value
    ws["F3"], ws["F4"] = date(2025, 1, 1), date(2025, 12, 31)
    buf = io.BytesIO()
    wb.save(buf)
    activity = read_workbook(buf.getvalue()).record.activities[0]
    assert (activity.verified_by, activity.verified_on) == ("Dr Sam Patel", date(2025, 4, 2))


def test_template_layout_a_member_relies_on():
    wb = openpyxl.load_workbook(template_path("iet"))
    assert wb.sheetnames == ["Record", "Plan", "Summary", "Guidance", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    rec = wb["Record"]
    assert [rec.cell(row=9, column=c).value for c in range(1, 7)] == [
        "Start date", "End date", "Description of development/learning activity", "Provided by",
        "What did you learn & how did/will you apply it?", "Any further action?"]
    assert rec["B4"].number_format == "@"                       # membership number is text
    assert rec.freeze_panes == "A10" and rec.print_title_rows == "$1:$9"     # the header on every page
    assert rec.page_setup.orientation == "landscape"
    lists = {dv.formula1 for dv in rec.data_validations.dataValidation}
    assert "Lists!$A$2:$A$7" in lists and "Lists!$C$2:$C$4" in lists
    assert len(wb["Summary"]._charts) == 1
    guidance = " ".join(str(c.value) for c in wb["Guidance"]["A"] if c.value)
    assert "How could you have done it differently or better?" in guidance
    assert "30 hours" in guidance


def _recalculate(files: list[Path], out: Path, workers: int = 2) -> None:
    """Open the files in LibreOffice headless and save them: it recalculates every formula.

    The files are split between `workers` LibreOffice processes (each needs its own profile)."""
    batches = [files[w::workers] for w in range(workers) if files[w::workers]]

    def convert(w: int):
        return libreoffice(["--calc", "--convert-to", "xlsx", "--outdir", str(out), *map(str, batches[w])],
                           out.parent / f"lo-profile-{w}", check=False)

    with ThreadPoolExecutor(len(batches)) as pool:
        runs = list(pool.map(convert, range(len(batches))))
    missing = [f.name for f in files if not (out / f.name).exists()]
    said = [f"exit {r.returncode}: {r.stderr[:700]}{' ... ' + r.stderr[-300:] if len(r.stderr) > 1000 else r.stderr[700:]}"
            for r in runs if r.returncode or r.stderr.strip()]                      # how it ended, a crash's first lines
    assert not missing, f"LibreOffice did not open {missing[:5]}: {said}"


def _native(path: Path, profile) -> dict:
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    values = {k: ws[ref].value for k, ref in SUMMARY_CELLS.items()}
    values["by_category"] = {t.id: ws.cell(row=SUMMARY_CATEGORY_ROW + i, column=2).value
                             for i, t in enumerate(profile.categories)}
    values["activities_by_category"] = {t.id: ws.cell(row=SUMMARY_CATEGORY_ROW + i, column=3).value
                                        for i, t in enumerate(profile.categories)}
    r = SUMMARY_CATEGORY_ROW + len(profile.categories) + 2
    values["by_skill_type"] = {t.id: ws.cell(row=r + 1 + i, column=2).value for i, t in enumerate(profile.skill_types)}
    return values


def _engine(source) -> tuple[dict, object]:
    record, profile = load_record(source)
    r = assess(record, profile)
    t = r.totals
    return {
        "target": r.target if r.target is not None else "No minimum",
        "hours": t.hours, "carried": r.counted_hours - t.counted, "counted": r.counted_hours,
        "remaining": max(0.0, r.target - r.counted_hours) if r.target is not None else None,
        "categories_covered": len(r.coverage["categories"]["covered"]), "activities": len(t.activities),
        "drafts": len(r.drafts), "draft_hours": r.draft_hours,
        "by_category": {c.id: t.by_category.get(c.id, 0.0) for c in profile.categories},
        "activities_by_category": {c.id: sum(1 for a in t.activities if a.category == c.id)
                                   for c in profile.categories},
        "by_skill_type": {s.id: t.by_skill_type.get(s.id, 0.0) for s in profile.skill_types},
    }, profile


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-6
    return a == b


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """The examples and RANDOM_RECORDS random records across the profiles, recalculated in one LibreOffice run."""
    src = tmp_path_factory.mktemp("filled")
    rng = random.Random(20261123)
    files = [example_path(pid) for pid in EXAMPLES]
    for i, profile, header, rows in random_records(rng, RANDOM_RECORDS):
        path = src / f"random-{i:03d}-{profile.id}.xlsx"
        build_workbook(profile, header, (), rows).save(path)
        files.append(path)
    out = src / "out"
    _recalculate(files, out)
    return [(f, out / f.name) for f in files]


def test_libreoffice_opens_every_template(tmp_path):
    files = [template_path(p.id) for p in list_profiles()]
    _recalculate(files, tmp_path / "out")
    for f in files:
        wb = openpyxl.load_workbook(tmp_path / "out" / f.name, data_only=True)
        assert wb.sheetnames[:4] == ["Record", "Plan", "Summary", "Guidance"]
        assert wb["Summary"][SUMMARY_CELLS["hours"]].value == 0


def test_native_formulas_equal_the_engine_for_every_record(recalculated):
    mismatches = []
    for original, recalc in recalculated:
        expected, profile = _engine(original)
        got = _native(recalc, profile)
        if not _same(expected, got):
            diff = {k: (expected[k], got[k]) for k in expected if not _same(expected[k], got[k])}
            mismatches.append((original.name, diff))
    assert not mismatches, mismatches[:3]
    assert len(recalculated) == RANDOM_RECORDS + len(EXAMPLES)


def test_without_the_addin_the_analysis_block_says_how_to_turn_it_on(recalculated):
    from addin.workbook.summary import ENABLE_ADDIN
    recalc = dict((o.name, r) for o, r in recalculated)["example-iet.xlsx"]
    ws = openpyxl.load_workbook(recalc, data_only=True)["Summary"]
    label = next(c.row for c in ws["A"] if c.value == "Analysis (CPD add-in)")
    assert ws.cell(row=label + 1, column=1).value == ENABLE_ADDIN
    results = [ws.cell(row=r, column=c).value for r in range(label + 2, label + 12) for c in (2, 3, 4)]
    assert all(v in (None, "") for v in results)      # blank, not an error, without the add-in
    assert ws.cell(row=label + 2, column=1).value in (None, "")     # no label over an empty block, on paper too


def test_the_example_summary_shows_the_hand_figures(recalculated):
    recalc = dict((o.name, r) for o, r in recalculated)["example-iet.xlsx"]
    got = _native(recalc, load_profile("iet"))
    assert got["target"] == 30 and abs(got["hours"] - 46.9) < 1e-9 and got["categories_covered"] == 6


def test_a_workbook_saved_by_libreoffice_reads_the_same_on_the_quick_path(recalculated):
    """LibreOffice writes shared strings and its own XML: the sheet scan still proves its extent
    quickly, and the reader gives the same record as from the file before LibreOffice saved it."""
    import zipfile

    from addin.form.limits import Limits
    from addin.workbook.reader import read_workbook
    from addin.workbook.sheetscan import within_limits
    for original, recalc in recalculated[:20]:
        with zipfile.ZipFile(recalc) as z:
            assert within_limits(z.read("xl/worksheets/sheet1.xml"), Limits()) is not None, recalc.name
        before, after = read_workbook(original), read_workbook(recalc)
        assert after.problems == before.problems == [], (recalc.name, after.problems[:3])
        assert after.record.activities == before.record.activities, recalc.name


def _written_workbooks(tmp_path):
    """The example, and a member's own layout imported: as the project writes workbooks."""
    from test_one_reading import own_layout
    from addin.cli import cli
    from click.testing import CliRunner
    imported = tmp_path / "imported.xlsx"
    res = CliRunner().invoke(cli, ["import", str(own_layout(tmp_path / "mine.xlsx")), str(imported)])
    assert res.exit_code == 0, res.output
    return {"example": example_path("iet"), "imported": imported}


def test_written_workbooks_show_dates_and_labels_whole(tmp_path):
    """Dates as 'd mmm yyyy' (12 wide), labels in column A not cut, long text wrapped in rows tall enough,
    the Guidance sheet's rows as tall as their text."""
    from addin.form.layout import HEADER_FIELDS, TABLE_HEADER_ROW
    for name, path in _written_workbooks(tmp_path).items():
        wb = openpyxl.load_workbook(path)
        ws = wb["Record"]
        longest = max(len(h.label) for h in HEADER_FIELDS if h.label_col == 1)
        assert ws.column_dimensions["A"].width >= longest, name
        heads = {c.value: c.column for c in ws[TABLE_HEADER_ROW] if c.value}
        reflection = heads["What did you learn & how did/will you apply it?"]
        rows = range(TABLE_HEADER_ROW + 1, ws.max_row + 1)
        dates = [ws.cell(r, heads["Start date"]) for r in rows if ws.cell(r, heads["Start date"]).value]
        assert dates and all(c.number_format == "d mmm yyyy" for c in dates), name
        texts = [ws.cell(r, reflection) for r in rows if ws.cell(r, reflection).value]
        assert texts and all(c.alignment.wrap_text for c in texts), name
        tall = [r for r in rows if len(str(ws.cell(r, reflection).value or "")) > 60]
        assert tall and all((ws.row_dimensions[r].height or 0) >= 30 for r in tall), name
        guidance = wb["Guidance"]
        assert all((guidance.row_dimensions[r].height or 0) >= 15 for r in range(1, guidance.max_row + 1))


def test_libreoffice_renders_them_with_no_hashes_and_whole_labels(tmp_path):
    """The template, the example and an imported workbook printed by LibreOffice to PDF (kept beside the
    test as artefacts, with PNG pages): no '###' where a date did not fit, every label whole."""
    import shutil
    require_soffice()
    if not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdftotext) is required in CI: .ci/run installs it")
        pytest.skip("poppler-utils is not installed (pdftotext): the render check is skipped")
    books = {**_written_workbooks(tmp_path), "template": template_path("iet")}
    out = tmp_path / "renders"
    out.mkdir()
    for name, path in books.items():
        shutil.copy(path, out / f"{name}.xlsx")
        libreoffice(["--convert-to", "pdf", "--outdir", str(out), str(out / f"{name}.xlsx")], tmp_path / "lo",
                    timeout=180)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(out / f"{name}.pdf"), str(out / name)], check=True,
                       timeout=120)
        text = subprocess.run(["pdftotext", "-layout", str(out / f"{name}.pdf"), "-"], check=True,
                              capture_output=True, text=True, timeout=60).stdout
        assert "###" not in text, name
        for label in ("Membership number:", "Member / associate / grade:", "Registration title:"):
            assert label in text, (name, label)
        if name != "template":
            assert "10 Feb 2025" in text or "3 Feb 2025" in text, name          # dates as "1 Jan 2025"


def test_the_reflection_cells_and_the_review_ask_the_same_questions(tmp_path):
    """What? / So what? / Now what?: in the reflection cells' input message, the Guidance sheet and the
    reflection criterion's hint (no generated text: the same words everywhere)."""
    from addin.readiness.criteria import REFLECTION_HINT
    wb = openpyxl.load_workbook(template_path("iet"))
    ws = wb["Record"]
    col = [c.column_letter for c in ws[9] if c.value == "What did you learn & how did/will you apply it?"][0]
    prompts = [dv for dv in ws.data_validations.dataValidation if dv.showInputMessage and f"{col}10" in dv.sqref]
    assert [dv.prompt for dv in prompts] == [REFLECTION_HINT]
    guidance = " ".join(str(c.value) for c in wb["Guidance"]["A"] if c.value)
    assert "What? What did you do" in guidance and "So what?" in guidance and "Now what?" in guidance
    from addin import assess, read_workbook
    from conftest import fill_workbook
    path = tmp_path / "r.xlsx"
    path.write_bytes(template_path("iet").read_bytes())
    fill_workbook(path, [{"start_date": "2025-03-01", "title": "Course", "hours": 2, "reflection": "Good"}],
                  header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    read = read_workbook(path)
    (c,) = [c for c in assess(read.require(), read.profile).criteria if c.id == "reflection"]
    assert REFLECTION_HINT in c.hint


def test_an_exempt_members_summary_asks_for_no_hours(tmp_path):
    """A status the profile exempts shows 'Exempt' as the target and nothing still needed (LibreOffice)."""
    from conftest import fill_workbook
    path = tmp_path / "exempt.xlsx"
    path.write_bytes(template_path("iet").read_bytes())
    fill_workbook(path, [{"start_date": "2025-03-01", "title": "Course", "hours": 2}],
                  header={"period_start": "2025-01-01", "period_end": "2025-12-31",
                          "status": "Not professionally active"})
    out = tmp_path / "out"
    libreoffice(["--convert-to", "xlsx", "--outdir", str(out), str(path)], tmp_path / "lo", timeout=180)
    summary = openpyxl.load_workbook(out / "exempt.xlsx", data_only=True)["Summary"]
    assert summary[SUMMARY_CELLS["target"]].value == "Exempt"
    assert summary[SUMMARY_CELLS["remaining"]].value in (None, "")
    assert summary[SUMMARY_CELLS["hours"]].value == 2


def test_the_summary_chart_draws_hours_by_category_against_the_target_as_the_engine_counts_them(recalculated):
    """The chart's figures (Lists!K:M, formulas on the Summary's cells) after LibreOffice recalculates the
    example: each category's hours and all hours counted as the engine counts them, and the target beside
    each; the chart is bars and a target line."""
    example = next(r for o, r in recalculated if o.name == "example-iet.xlsx")
    record, profile = load_record(example_path("iet"))
    result = assess(record, profile)
    lists = openpyxl.load_workbook(example, data_only=True)["Lists"]
    rows = [r for r in lists.iter_rows(min_row=2, min_col=11, max_col=13, values_only=True) if r[0] is not None]
    labels = {t.id: t.label for t in profile.categories}
    expected = [(labels[k], v) for k, v in result.totals.by_category.items() if k in labels]
    expected.append(("All counted", result.counted_hours))
    assert [(a, round(b, 4)) for a, b, _ in rows] == [(a, round(b, 4)) for a, b in expected]
    assert {c for _, _, c in rows} == {result.target}
    chart = openpyxl.load_workbook(example_path("iet"))["Summary"]._charts[0]
    assert chart.type == "col" and len(chart.series) == 1 and len(chart._charts) == 2      # bars, then the line


def test_every_formula_fits_in_excel(tmp_path):
    """Excel refuses a formula over 8,192 characters (LibreOffice and Google Sheets take longer ones): every
    template's, and a log kept for North Carolina (which credits by activity) with the other US boards."""
    from addin.workbook.template import build_workbook
    books = [openpyxl.load_workbook(template_path(p.id)) for p in list_profiles()]
    books.append(build_workbook(load_profile("us-nc"), also=(load_profile("us-tx"), load_profile("us-sc"))))
    longest = max((len(c.value), ws.title, c.coordinate) for wb in books for ws in wb for row in ws.iter_rows()
                  for c in row if isinstance(c.value, str) and c.value.startswith("="))
    assert longest[0] <= 8192, longest
