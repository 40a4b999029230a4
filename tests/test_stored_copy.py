"""A small workbook is handed to python-calamine as its checked parts stored uncompressed (stored.py): a
zip every reader opens, holding exactly the parts the checks passed, read to the same record as the file
as it came; a large one is read as it came."""
from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from addin import read_workbook, template_path
from addin.workbook import package
from addin.workbook.package import inspect_package
from addin.workbook.stored import stored_zip
from conftest import fill_workbook, libreoffice
from corpus import HEADER, ROW, valid_workbook


def test_the_stored_zip_is_one_zipfile_reads_and_checks():
    parts = [("[Content_Types].xml", b"<Types/>"), ("xl/worksheets/sheet1.xml", b"<worksheet>" + b"x" * 70000),
             ("xl/empty.xml", b""), ("xl/m\u00e9dia/caf\u00e9.xml", "<a>\u00e9t\u00e9</a>".encode())]
    data = stored_zip((name, body, zlib.crc32(body)) for name, body in parts)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None                       # every part's checksum as zipfile computes it
        assert [(i.filename, z.read(i)) for i in z.infolist()] == parts
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}
        assert [i.flag_bits & 0x800 for i in z.infolist()] == [0, 0, 0, 0x800]    # a UTF-8 name says so


def test_a_checksum_that_does_not_match_its_part_is_caught_by_a_reader():
    data = stored_zip([("a.xml", b"<a/>", zlib.crc32(b"<b/>"))])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() == "a.xml"


def test_a_small_workbook_is_read_from_exactly_its_checked_parts_stored():
    data = valid_workbook(5)
    pkg = inspect_package(data)
    with zipfile.ZipFile(io.BytesIO(data)) as sent, zipfile.ZipFile(io.BytesIO(pkg.stored)) as stored:
        assert [(i.filename, i.CRC) for i in stored.infolist()] == [(i.filename, i.CRC) for i in sent.infolist()]
        assert all(stored.read(i.filename) == sent.read(i.filename) for i in sent.infolist())
        assert stored.testzip() is None


def test_a_workbook_over_the_size_is_read_as_it_came(monkeypatch):
    data = valid_workbook(5)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    monkeypatch.setattr(package, "STORED_COPY_BYTES", unpacked - 1)
    assert inspect_package(data).stored == b""
    monkeypatch.setattr(package, "STORED_COPY_BYTES", unpacked)
    assert inspect_package(data).stored != b""


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory) -> bytes:
    """A filled template saved again by LibreOffice: its text in shared strings, its parts its own."""
    tmp = tmp_path_factory.mktemp("lo")
    source = tmp / "record.xlsx"
    source.write_bytes(template_path("iet").read_bytes())
    fill_workbook(source, [{**ROW, "title": f"Course {k}"} for k in range(12)], HEADER)
    libreoffice(["--convert-to", "xlsx", "--outdir", str(tmp / "out"), str(source)], tmp / "profile", timeout=180)
    data = (tmp / "out" / "record.xlsx").read_bytes()
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    return data


@pytest.mark.parametrize("made_by", ["openpyxl", "template", "libreoffice"])
def test_the_record_read_is_the_same_stored_or_as_it_came(monkeypatch, request, made_by):
    data = {"openpyxl": lambda: valid_workbook(40), "template": lambda: template_path("ice").read_bytes(),
            "libreoffice": lambda: request.getfixturevalue("saved_by_libreoffice")}[made_by]()
    assert inspect_package(data).stored
    stored = read_workbook(data)
    monkeypatch.setattr(package, "STORED_COPY_BYTES", 0)
    assert inspect_package(data).stored == b""
    as_sent = read_workbook(data)
    assert stored.record == as_sent.record and stored.problems == as_sent.problems
    assert (stored.cells, stored.submission, stored.notes) == (as_sent.cells, as_sent.submission, as_sent.notes)
    if made_by != "template":
        assert len(stored.record.activities) >= 12
