"""Hostile and damaged workbooks: each refused with its code, fast, in bounded memory; the
last three read correctly. Each file is read in a fresh process that reports its own time and
peak memory (VmHWM, the whole process), so the figures are the reader's, not the suite's."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import corpus
from addin.errors import CpdError
from addin.workbook.reader import read_workbook

ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS = 1.0
MAX_PEAK_MB = 150

PROBE = """
import json, sys, time
sys.path.insert(0, {root!r})
from addin.errors import CpdError
from addin.workbook.reader import read_workbook
from addin.readiness import assess
from addin.workbook import package
package.INFLATE_WITH_ISAL = {with_isal}
t = time.perf_counter()
try:
    read = read_workbook(sys.argv[1])
    if read.record is not None:
        assess(read.record, read.profile)
    out = {{"code": None, "problems": [str(p) for p in read.problems],
           "hours": [a.hours for a in read.record.activities], "titles": [a.title for a in read.record.activities]}}
except CpdError as exc:
    out = {{"code": exc.code, "message": str(exc)}}
out["seconds"] = time.perf_counter() - t
out["isal"] = package._isal() is not None
# VmHWM: this process's own peak resident memory (ru_maxrss would carry the parent's peak across exec)
out["peak_mb"] = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps(out))
"""


# Every part inflated by zlib (where isal is not installed), or by ISA-L (the reader's choice where it is)
INFLATERS = {"zlib": False, "isal": True}


def read_in_child(path: Path, inflater: str = "zlib") -> dict:
    code = PROBE.format(root=str(ROOT), with_isal=INFLATERS[inflater])
    proc = subprocess.run([sys.executable, "-c", code, str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    made = {}
    for name, (make, _) in corpus.REFUSED.items():
        made[name] = folder / f"{name}.xlsx"
        made[name].write_bytes(make())
    for name, make in corpus.READ_CORRECTLY.items():
        made[name] = folder / f"{name}.xlsx"
        made[name].write_bytes(make())
    return made


@pytest.mark.parametrize("inflater", list(INFLATERS))
@pytest.mark.parametrize("name", list(corpus.REFUSED))
def test_hostile_file_is_refused_fast_in_bounded_memory(files, name, inflater):
    result = read_in_child(files[name], inflater)
    if inflater == "isal" and not result["isal"]:
        if os.environ.get("CI"):
            pytest.fail("isal is a dependency on this machine's architecture; the install lacks it")
        pytest.skip("isal is not installed here: the reader inflates with zlib alone")
    assert result["code"] == corpus.REFUSED[name][1], result
    assert result["seconds"] < MAX_SECONDS, result
    assert result["peak_mb"] < MAX_PEAK_MB, result


def test_understated_dimension_gives_every_row(files):
    result = read_in_child(files["understated_dimension"])
    assert result["code"] is None and result["problems"] == [] and result["hours"] == [3.0] * 5
    assert result["seconds"] < MAX_SECONDS and result["peak_mb"] < MAX_PEAK_MB


def test_overstated_dimension_is_read_as_the_cells_say(files):
    result = read_in_child(files["overstated_dimension"])
    assert result["code"] is None and result["problems"] == [] and result["hours"] == [3.0] * 3
    assert result["seconds"] < MAX_SECONDS and result["peak_mb"] < MAX_PEAK_MB


def test_forged_cached_formula_is_reported_not_believed(files):
    result = read_in_child(files["forged_cached_formula"])
    assert result["problems"] == ["Record!J10: enter a value, not a formula: formula results are not trusted"]
    assert 999 not in result["hours"] and result["hours"] == [None, 3.0, 3.0]


def test_injection_strings_stay_text(files):
    result = read_in_child(files["injection_strings"])
    assert result["code"] is None and result["problems"] == []
    assert result["titles"][:4] == corpus.INJECTIONS[:4]


def test_injection_strings_are_written_back_as_text(tmp_path, files):
    """Rebuilding a workbook from what was read keeps each injection string a text cell."""
    import openpyxl
    from addin.workbook.template import build_workbook
    from addin.profile import load_profile
    read = read_workbook(files["injection_strings"])
    rows = [{"start_date": a.start_date, "title": a.title} for a in read.record.activities]
    path = tmp_path / "out.xlsx"
    build_workbook(load_profile("iet"), {}, [], rows).save(path)
    ws = openpyxl.load_workbook(path)["Record"]
    cells = [ws.cell(row=10 + i, column=3) for i in range(len(rows))]
    assert [c.data_type for c in cells] == ["s"] * len(rows)
    assert [c.value for c in cells][:4] == corpus.INJECTIONS[:4]


def test_cli_refuses_a_hostile_file_in_one_clean_line(cpd, files):
    res = cpd("check", files["billion_laughs"])
    assert res.exit_code == 2
    assert res.output.startswith("error [dtd_not_allowed]: part 'xl/worksheets/sheet1.xml' declares a DTD")
    assert "Traceback" not in res.output


def test_far_cell_is_named(files):
    with pytest.raises(CpdError) as err:
        read_workbook(files["far_cell"])
    assert (err.value.sheet, err.value.cell) == ("Record", "XFD1048576")


def test_a_cell_longer_than_excel_allows_is_refused():
    """openpyxl caps text at Excel's 32,767 characters, so the long cell is forged in the XML."""
    reflection = corpus.ROW["reflection"].encode()
    forged = corpus.pack([(n, b.replace(reflection, b"x" * 40_000, 1) if n == corpus.SHEET else b)
                          for n, b in corpus.parts_of(corpus.valid_workbook(1))])
    assert b"x" * 40_000 in dict(corpus.parts_of(forged))[corpus.SHEET]
    with pytest.raises(CpdError) as err:
        read_workbook(forged)
    assert err.value.code == "cell_too_long" and f"{err.value.sheet}!{err.value.cell}" == "Record!E10"


def test_xml_parsers_refuse_entities_even_behind_the_package_checks():
    """Defence in depth: the XML parsers openpyxl would use refuse entity expansion too."""
    import io
    import openpyxl
    import addin.workbook.writer  # noqa: F401  (asserts defusedxml at import)
    from defusedxml.common import EntitiesForbidden
    from openpyxl.xml.functions import fromstring, iterparse
    assert openpyxl.xml.DEFUSEDXML
    bomb = corpus.DTD_LAUGHS + b"<a>&lol9;</a>"
    with pytest.raises(EntitiesForbidden):        # sheets are parsed with iterparse: defusedxml
        list(iterparse(io.BytesIO(bomb)))
    with pytest.raises(Exception) as err:          # other parts: lxml's safe parser, or defusedxml
        fromstring(bomb)
    assert "entit" in str(err.value).lower() or isinstance(err.value, EntitiesForbidden)


@pytest.mark.parametrize("name", ["../../evil.xml", "xl/../../evil.xml", "/evil.xml", "C:/evil.xml", "c:evil.xml",
                                  "xl\\evil.xml", "xl/evil\x01.xml", "xl/evil\x1f.xml", "xl/\tevil.xml"])
def test_an_unsafe_part_name_is_refused(name):
    """A part named outside the package (a parent folder, a root, a drive, a backslash) or with a control
    character in its name is refused before any part is read."""
    with pytest.raises(CpdError) as err:
        read_workbook(corpus.pack(corpus.parts_of(corpus.valid_workbook()) + [(name, b"<a/>")]))
    assert err.value.code == "bad_part_name" and repr(name) in err.value.message


@pytest.mark.parametrize("name", ["xl/a..b.xml", "xl/media/C.png", "docProps/custom~1.xml", "xl/évaluation.xml"])
def test_a_safe_part_name_with_dots_drive_like_letters_or_accents_is_read(name):
    read = read_workbook(corpus.pack(corpus.parts_of(corpus.valid_workbook()) + [(name, b"<a/>")]))
    assert read.record is not None and len(read.record.activities) == 3
