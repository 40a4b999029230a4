"""The record as data and its one serialisation: built column by column, the same cells as one activity's own;
written by orjson where installed, the same bytes as the standard library's."""
from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

import addin.record_json as record_json
from addin import assess, dumps, record_data
from addin.export import activity_rows
from addin.intake import build_record
from gen import random_records


def standard(data) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def records(n: int = 60):
    for i, profile, header, rows in random_records(random.Random(27), n):
        if rows and i % 3 == 0:      # text a sheet may hold: quotes, backslashes, controls, accents, emoji
            rows[0]["reflection"] = 'Said "no" \\ then\x01 left\ttabs \u2028 é 😀 ünïcode\nnext line'
            rows[0]["title"] = "</script> & 'quoted'"
        record, _ = build_record(header, [], [(9 + k, r) for k, r in enumerate(rows)], profile)
        if record is not None:
            yield profile, record


def test_every_activity_row_is_what_the_activity_alone_gives():
    seen = 0
    for profile, record in records():
        data = record_data(record, profile)
        for table, acts in (("activities", record.activities), ("drafts", record.drafts)):
            if not acts:
                assert table == "drafts" and "drafts" not in data
                continue
            columns = data[table]["columns"]
            for row, a in zip(data[table]["rows"], acts, strict=True):
                alone = activity_rows((a,), profile)[0] | {"row": a.row}
                assert row == [v.isoformat() if isinstance(v, date) else v for v in (alone[f] for f in columns)]
                seen += 1
    assert seen > 500


def test_dumps_writes_the_standard_library_s_bytes():
    assert record_json.orjson is not None           # the service's install: orjson writes
    for profile, record in records():
        data = record_data(record, profile)
        readiness = {"readiness": assess(record, profile).to_dict()}
        assert dumps(data) == standard(data)
        assert dumps(readiness) == standard(readiness)
        assert json.loads(dumps(data)) == data


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_is_the_same_number_and_the_same_text_where_members_write_them(x):
    written = dumps({"hours": x})
    assert json.loads(written)["hours"] == x
    if x == 0 or 1e-4 <= abs(x) < 1e16:
        assert written == standard({"hours": x})


def test_what_orjson_will_not_write_the_standard_library_writes():
    data = {"counts": {2025: 3}, "big": 10 ** 30, "hours": 1.5}
    assert dumps(data) == standard(data) == b'{"counts":{"2025":3},"big":' + str(10 ** 30).encode() + b',"hours":1.5}'


def test_without_orjson_the_standard_library_writes():
    code = ("import sys; sys.modules['orjson'] = None\n"
            "from addin.record_json import dumps, orjson\n"
            "assert orjson is None\n"
            "sys.stdout.buffer.write(dumps({'t': 'é \\x01 😀', 'h': [1.5, 1e-05], 'n': None}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert out == standard({"t": "é \x01 😀", "h": [1.5, 1e-05], "n": None})
    assert math.isclose(json.loads(out)["h"][1], 1e-05)
