"""Excel desktop without macros in the member's workbook: the CPD add-in (`cpd excel install`), and the
Check and Submit macros on a workbook that became macro-enabled when functions were imported into it.

Nothing here runs Excel: the macros (``addin.xlwings_udfs.CPD_CHECK``/``CPD_SUBMIT``, the code Excel
calls) run against a stand-in for xlwings' Book/Sheet/Range (``xlwings_standin``), itself checked
against xlwings' classes."""
from __future__ import annotations

import gzip
import inspect
import io
import json
import re
import threading
import zipfile

import olefile
import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser
from werkzeug.serving import make_server

import xlwings_standin as standin
from addin import CpdError, read_workbook
from addin.excel import book as excel_book
from addin.excel.install import template_addin
from addin.submit import Settings
from conftest import RECEIVER_SECRET
from sync_service import db
from sync_service.delivery import Endpoint, run_once
from sync_service.models import Submission
from sync_service.receiver import received_documents
from workbook_templates import example_path, template_path

EXAMPLE = example_path("iet").read_bytes()
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"


def xlwings_vba_project() -> bytes:
    """The VBA project xlwings ships in its stand-alone quickstart workbook: xlwings' own modules."""
    path = template_addin().parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def as_xlsm(xlsx: bytes) -> bytes:
    """The member's workbook as importing xlwings functions leaves it: saved macro-enabled, with a VBA
    project (xlwings' own; Excel alone writes the imported xlwings_udfs module into one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", f'<Default Extension="bin" ContentType="{VBA_CONTENT_TYPE}"/>'
                                    f"</Types>".encode())
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft'
                                    b'.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            dst.writestr(info, data)
        dst.writestr("xl/vbaProject.bin", xlwings_vba_project())
    return out.getvalue()


def has_vba(data: bytes) -> bool:
    return VBA_Parser("book.xlsm", data=data).detect_vba_macros()


# -- the stand-in holds to xlwings' API ---------------------------------------------------------------
@pytest.mark.parametrize("mine", list(standin.STANDS_IN_FOR))
def test_the_standin_offers_only_what_xlwings_has(mine):
    """Every public name of the stand-in is on xlwings' class of that name, of the same kind (property or
    method), and a method's parameters are xlwings' (so a renamed method or parameter fails here)."""
    theirs = getattr(xlwings.main, standin.STANDS_IN_FOR[mine])
    names = [n for n in vars(mine) if not n.startswith("_") or n in ("__getitem__", "__iter__")]
    names = [n for n in names if n not in ("written", "alerts", "cell")]
    assert names
    for name in names:
        ours, real = inspect.getattr_static(mine, name), inspect.getattr_static(theirs, name, None)
        assert real is not None, f"xlwings.{theirs.__name__} has no {name}"
        assert isinstance(ours, property) == isinstance(real, property), name
        if callable(ours) and not isinstance(ours, property):
            mine_params = list(inspect.signature(ours).parameters)
            real_params = list(inspect.signature(real).parameters)
            assert mine_params == real_params[:len(mine_params)], (name, mine_params, real_params)


def test_the_macros_use_only_what_the_standin_offers():
    """The names the Excel glue calls on xlwings objects are all in the stand-in (and so, by the test above,
    in xlwings)."""
    source = inspect.getsource(excel_book)
    used = set(re.findall(r"\.(sheets|used_range|options|value|formula|row|column|range|app|alert|name)\b", source))
    offered = {n for cls in standin.STANDS_IN_FOR for n in vars(cls)}
    assert used and used <= offered, used - offered


# -- Check and Submit on a macro-enabled workbook -------------------------------------------------------
@pytest.fixture
def caller(monkeypatch):
    """Make ``xw.Book.caller()`` (what Excel's call gives the macros) return a stand-in book."""
    holder = {}
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: holder["book"]))
    return holder


@pytest.fixture
def live_service(service):
    server = make_server("127.0.0.1", 0, service, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_cpd_submit_from_an_xlsm_sends_a_macro_free_copy_that_the_service_accepts(
        live_service, receiver_server, caller, monkeypatch, tmp_path):
    app, url = live_service
    xlsm = as_xlsm(EXAMPLE)
    assert has_vba(xlsm)
    assert "VBA/xlwings" in ["/".join(s) for s in olefile.OleFileIO(xlwings_vba_project()).listdir()]
    with pytest.raises(CpdError) as refused:                   # the file itself is refused, and says what to do
        read_workbook(xlsm)
    assert refused.value.code == "macros_not_allowed" and "CPD_SUBMIT" in refused.value.message

    sent = []
    real_submit = excel_book.submit_file
    monkeypatch.setattr(excel_book, "submit_file", lambda data, s: sent.append(data) or real_submit(data, s))
    monkeypatch.setenv("CPD_CONFIG", str(tmp_path / "config.toml"))
    Settings(url, app.config["TOKENS"]["a"]).save()
    book = caller["book"] = standin.Book(xlsm)
    from addin.xlwings_udfs import CPD_SUBMIT
    CPD_SUBMIT()                                              # what the button runs in Excel
    assert not book.alerts, book.alerts

    (data,) = sent                                            # what went over the wire: no macros at all
    assert not has_vba(data)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not any("vba" in n.lower() for n in names)
    assert b"macroEnabled" not in zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    assert read_workbook(data).require().activities == read_workbook(EXAMPLE).require().activities

    written = {ref: v for _, ref, v in book.written}
    assert written["I3"].startswith("READY (100/100) at ")
    sub_id = written["I4"]
    assert sub_id.startswith("sub_") and written["I5"] == "queued"

    with app.app_context():                                   # the service's copy: the document, no VBA
        body = gzip.decompress(db.session().get(Submission, sub_id).body)
    assert b"vba" not in body.lower() and b"Attribute VB_" not in body
    assert run_once(app.extensions["cpd_sessions"], Endpoint(receiver_server[0], (RECEIVER_SECRET,))) == "delivered"
    delivered = json.dumps(received_documents(receiver_server[1])[sub_id])
    assert "vba" not in delivered.lower() and "Power electronics design course" in delivered


def test_cpd_check_writes_the_verdict_and_a_problem_goes_in_the_sheet(caller):
    from addin.xlwings_udfs import CPD_CHECK
    book = caller["book"] = standin.Book(as_xlsm(EXAMPLE))
    CPD_CHECK()
    assert [(s, ref) for s, ref, _ in book.written] == [("Record", "I3")]
    assert book.written[0][2].startswith("READY (100/100) at ") and not book.alerts

    wb = openpyxl.load_workbook(io.BytesIO(EXAMPLE))
    ws = wb["Record"]
    hours = [c.column for c in ws[9] if c.value == "CPD hours"][0]
    ws.cell(11, hours).value = "two"
    ws.cell(12, hours).value = "=1+1"                          # a formula in an input cell: never trusted
    buf = io.BytesIO()
    wb.save(buf)
    bad = caller["book"] = standin.Book(as_xlsm(buf.getvalue()))
    CPD_CHECK()
    col = openpyxl.utils.get_column_letter(hours)
    (line,) = [v for _, ref, v in bad.written if ref == "I3"]
    assert line.startswith(f"NOT CHECKED: Record!{col}11: hours must be a number") and "(and 1 more)" in line
    (title, message), = bad.alerts
    assert title == "CPD check" and f"Record!{col}11" in message and f"Record!{col}12" in message
    assert "formula" in message


def test_cpd_submit_reports_a_service_it_cannot_reach_in_the_sheet(caller, monkeypatch, tmp_path):
    from addin.xlwings_udfs import CPD_SUBMIT
    from ports import free_port
    monkeypatch.setenv("CPD_CONFIG", str(tmp_path / "config.toml"))
    Settings(f"http://127.0.0.1:{free_port()}", "cpd_x").save()
    book = caller["book"] = standin.Book(EXAMPLE, name="CPD record.xlsx")
    CPD_SUBMIT()
    (line,) = [v for _, ref, v in book.written if ref == "I3"]
    assert line.startswith("NOT CHECKED: cannot reach the CPD service") and "nothing was submitted" in line
    assert book.alerts[0][0] == "CPD submit"


def test_the_book_is_read_where_its_used_range_starts():
    """A used range that does not start at A1 (xlwings gives it from its first used cell) reads the same."""
    wb = openpyxl.load_workbook(io.BytesIO(EXAMPLE))
    wb["Record"].delete_rows(1, 1)                            # nothing in row 1 once the title moves
    wb["Record"].insert_rows(1)
    buf = io.BytesIO()
    wb.save(buf)
    book = standin.Book(buf.getvalue())
    assert book.sheets["Record"].used_range.row == 2
    assert excel_book.read_book(book).require().activities == read_workbook(EXAMPLE).require().activities


# -- the add-in, and its install ----------------------------------------------------------------------
def test_cpd_excel_install_puts_the_addin_and_its_settings_in_place(cpd, tmp_path):
    res = cpd("excel", "install", "--xlstart", tmp_path / "XLSTART", "--home", tmp_path / "home",
              "--python", r"C:\Python311\python.exe")
    assert res.exit_code == 0, res.output
    addin = tmp_path / "XLSTART" / "cpd.xlam"
    assert f"installed at {addin}" in res.output and "ImportPythonUDFsToAddin" in res.output
    with zipfile.ZipFile(addin) as built, zipfile.ZipFile(template_addin()) as xlwings_template:
        assert built.read("xl/vbaProject.bin") == xlwings_template.read("xl/vbaProject.bin")     # xlwings' own VBA
        assert sorted(built.namelist()) == sorted(xlwings_template.namelist())
        assert b'<sheet name="myaddin.conf"' in built.read("xl/workbook.xml")           # its settings sheet is on
        settings = config_sheet(built)                                    # as xlwings reads it: A = key, B = value
    assert settings["UDF Modules"] == "addin.xlwings_udfs"
    assert settings["Interpreter_Win"] == r"C:\Python311\python.exe"
    config = (tmp_path / "home" / ".myaddin" / "myaddin.conf").read_text()
    assert '"UDF MODULES","addin.xlwings_udfs"' in config and r'"INTERPRETER_WIN","C:\Python311\python.exe"' in config


def config_sheet(xlam: zipfile.ZipFile) -> dict:
    """The add-in's configuration sheet, column A's keys to column B's values (openpyxl does not open .xlam)."""
    from defusedxml.ElementTree import fromstring
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    shared = [si.findtext("m:t", namespaces=ns) for si in fromstring(xlam.read("xl/sharedStrings.xml"))]
    rows = {}
    for c in fromstring(xlam.read("xl/worksheets/sheet1.xml")).iter(f"{{{ns['m']}}}c"):
        col, row = re.match(r"([A-Z]+)(\d+)", c.get("r")).groups()
        if c.get("t") == "s":
            value = shared[int(c.findtext("m:v", namespaces=ns))]
        elif c.get("t") == "inlineStr":
            value = c.findtext("m:is/m:t", namespaces=ns)
        else:
            value = c.findtext("m:v", namespaces=ns)
        rows.setdefault(row, {})[col] = value
    return {r["A"]: r.get("B") for r in rows.values() if r.get("A")}


def test_cpd_excel_install_without_excel_says_what_it_needs(cpd, tmp_path):
    res = cpd("excel", "install", "--home", tmp_path / "home")
    assert res.exit_code == 2 and "excel_not_found" in res.output and "--xlstart" in res.output


def test_the_analysis_block_names_the_addins_functions():
    """The template's Analysis formulas call CPD_READINESS and CPD_CRITERIA, which the add-in's UDF module
    declares as worksheet functions (the LibreOffice test shows the fallback line without them)."""
    import addin.xlwings_udfs as udfs
    # worksheet functions are those under @xw.func (off Windows the decorator leaves no mark to look for)
    declared = set(re.findall(r"@xw\.func\n(?:@xw\.arg[^\n]*\n)*def (CPD_\w+)\(", inspect.getsource(udfs)))
    assert {"CPD_HOURS", "CPD_READINESS", "CPD_CRITERIA"} <= declared and "CPD_SUBMIT" not in declared
    ws = openpyxl.load_workbook(template_path("iet"))["Summary"]
    called = set()
    for row in ws.iter_rows():
        for c in row:
            text = getattr(c.value, "text", c.value)
            if isinstance(text, str):
                called |= set(re.findall(r"(?<![_A-Z])(CPD_[A-Z_]+)\(", text))
    assert called == {"CPD_READINESS", "CPD_CRITERIA"} and called <= declared
