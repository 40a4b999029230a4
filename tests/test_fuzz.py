"""Random damage to a valid workbook: only the reader's own error type ever escapes.

Two kinds of damage: raw byte mutations of the file (most break the zip), and mutations of
the sheet and workbook XML repacked into a valid zip (these reach the XML readers)."""
from __future__ import annotations

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corpus
from addin.errors import CpdError
from addin.readiness import assess
from addin.workbook.reader import read_workbook

VALID = corpus.valid_workbook()
PARTS = corpus.parts_of(VALID)
XML_PARTS = [n for n, _ in PARTS if n.endswith(".xml") or n.endswith(".rels")]
FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_refuse(data: bytes) -> None:
    try:
        read = read_workbook(data)
    except CpdError as exc:
        assert exc.code and exc.message
        return
    if read.record is not None:
        assess(read.record, read.profile)


mutation = st.tuples(st.integers(min_value=0), st.sampled_from(["flip", "set", "delete", "insert", "cut"]),
                     st.binary(min_size=1, max_size=8))


def mutate(data: bytes, edits) -> bytes:
    buf = bytearray(data)
    for pos, op, blob in edits:
        if not buf:
            break
        i = pos % len(buf)
        if op == "flip":
            buf[i] ^= blob[0] or 1
        elif op == "set":
            buf[i:i + len(blob)] = blob
        elif op == "delete":
            del buf[i:i + len(blob)]
        elif op == "insert":
            buf[i:i] = blob
        else:
            del buf[i:]
    return bytes(buf)


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=6))
def test_byte_mutations_only_raise_the_readers_error(edits):
    read_or_refuse(mutate(VALID, edits))


@FUZZ
@given(st.sampled_from(XML_PARTS), st.lists(mutation, min_size=1, max_size=4))
def test_xml_mutations_only_raise_the_readers_error(part, edits):
    repacked = corpus.pack([(n, mutate(b, edits) if n == part else b) for n, b in PARTS])
    read_or_refuse(repacked)


def test_the_unmutated_workbook_reads():
    read = read_workbook(VALID)
    assert read.problems == [] and len(read.record.activities) == 3
    assert zipfile.ZipFile(io.BytesIO(VALID)).testzip() is None
