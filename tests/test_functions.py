"""The worksheet functions, called the ways Excel calls them: directly through the xlwings
functions with Excel-shaped ranges, and over HTTP with the payload Office.js sends. Both give
exactly the engine's figures."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime

import openpyxl
import pytest

from addin import xlwings_udfs as udf
from addin.functions import FUNCTIONS
from addin.profile import load_profile
from addin.readiness import assess
from addin.workbook.reader import read_workbook
from gen import random_header, random_rows
from sync_service.officejs import build
from workbook_templates import example_path
from addin.workbook.template import build_workbook

EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_ranges(path):
    """The ranges as xlwings passes them: datetimes for dates, None for blanks."""
    wb = openpyxl.load_workbook(path)
    rec = [[c.value for c in row] for row in wb["Record"]["A3:F7"]]
    acts = [[c.value for c in row] for row in wb["Record"]["A9:Q200"]]
    plan = [[c.value for c in row] for row in wb["Plan"]["A4:G54"]]
    return rec, acts, plan


def officejs(values):
    """The same ranges as Office.js passes them: serial numbers for dates, "" for blanks."""
    def cell(v):
        if isinstance(v, datetime):
            return (v - EXCEL_EPOCH).days
        return "" if v is None else v
    return [[cell(v) for v in row] for row in values]


def engine(path):
    read = read_workbook(path)
    return read.record, read.profile, assess(read.record, read.profile)


def expected_criteria(result):
    return [["Criterion", "Status", "Reason", "Hint"]] + [[c.title, c.status.upper(), c.reason, c.hint or ""]
                                                          for c in result.criteria]


@pytest.fixture(scope="module")
def example():
    return excel_ranges(example_path("iet")), engine(example_path("iet"))


def test_xlwings_functions_give_the_engines_figures(example):
    (rec, acts, plan), (record, profile, result) = example
    p1, p2 = rec[0][5], rec[1][5]
    t = result.totals
    assert udf.CPD_HOURS(acts, p1, p2) == t.hours == pytest.approx(46.9)
    assert udf.CPD_HOURS(acts, p1, p2, "Training courses") == t.by_category["training"]
    assert udf.CPD_HOURS(acts, p1, p2, None, "soft skills") == t.by_skill_type["soft"]
    assert udf.CPD_HOURS_BY(acts, "competence", p1, p2)[1:] == [[k, v] for k, v in t.by_competence.items()]
    assert udf.CPD_COVERAGE(acts, p1, p2)[1:7] == [[c.label, "covered", t.by_category[c.id]]
                                                   for c in profile.categories]
    assert udf.CPD_TARGET("iet", "Active") == 30 and udf.CPD_TARGET("IKT") == "No minimum"
    assert udf.CPD_READINESS(rec, acts, plan) == [["READY", result.score]]
    assert udf.CPD_CRITERIA(rec, acts, plan) == expected_criteria(result)


def test_a_function_holds_the_collector_off_while_it_runs_and_leaves_it_as_it_found_it(example, monkeypatch):
    import gc

    from addin.functions import ranges, recalc, sheet
    (rec, acts, plan), _ = example
    seen = []
    real = recalc.assess
    monkeypatch.setattr(recalc, "assess", lambda *a: seen.append(gc.isenabled()) or real(*a))
    ranges.RECALC.clear()
    sheet.ASSESSED.clear()               # nothing remembered: the call works the verdict out
    assert gc.isenabled()
    assert udf.CPD_READINESS(rec, acts, plan)[0][0] == "READY" and seen == [False] and gc.isenabled()
    refused = udf.CPD_READINESS(rec, [["Start date"], ["soon"]], plan)        # no header row: a message
    assert isinstance(refused, str) and "header row" in refused and gc.isenabled()
    gc.disable()
    try:
        udf.CPD_READINESS(rec, acts, plan)
        assert not gc.isenabled()                    # off already: the caller's choice, kept
    finally:
        gc.enable()


def test_blank_cells_as_empty_strings_and_dates_as_serials_give_the_same(example):
    (rec, acts, plan), (record, profile, result) = example
    assert udf.CPD_READINESS(officejs(rec), officejs(acts), officejs(plan)) == [["READY", result.score]]
    assert udf.CPD_HOURS(officejs(acts), 45658, 46022) == result.totals.hours


def test_trailing_blank_rows_of_any_shape_change_nothing_and_a_row_after_them_counts(example):
    (rec, acts, plan), (record, profile, result) = example
    p1, p2 = rec[0][5], rec[1][5]
    width = len(acts[0])
    js = officejs(acts)
    tails = {
        "None rows": acts + [[None] * width] * 3000,
        "empty-text rows": js + [[""] * width] * 3000,
        "mixed blanks": acts + [[None] * width, [""] * width, [None, ""] * (width // 2) + [None]] * 700,
        "tuples": [tuple(r) for r in acts] + [(None,) * width] * 2500,
    }
    for name, grid in tails.items():
        assert udf.CPD_READINESS(rec, grid, plan) == [["READY", result.score]], name
        assert udf.CPD_HOURS(grid, p1, p2) == result.totals.hours, name
    # one activity after 2,047 blank rows (past every block the blank tail is cut in) is still counted
    last = next(r for r in acts[1:] if r[9])
    late = acts + [[None] * width] * 2047 + [list(last)]
    more = udf.CPD_HOURS(acts + [list(last)], p1, p2)
    assert more > result.totals.hours
    assert udf.CPD_HOURS(late, p1, p2) == more == udf.CPD_HOURS(officejs(late), 45658, 46022)


def test_a_serial_number_that_is_no_date_names_its_row(example):
    (rec, acts, plan), _ = example
    js = [list(r) for r in officejs(acts)]
    js[3][0] = 0
    js[4][1] = 99_999_999.5
    js[5][0] = True                       # a TRUE cell is not the serial 1
    answer = udf.CPD_HOURS(js, 45658, 46022)
    assert answer.startswith("Fix 3 values: ") and "row 12: " in answer and "found the number 0" in answer
    assert "row 13: " in answer and "row 14: " in answer


def test_a_date_column_of_serial_numbers_reads_its_blanks_text_and_bad_numbers_as_one_of_dates_does(example):
    """Office.js's date columns (serial numbers, "" blanks) are read by looking each cell up; a text date, a
    number that is no date and a TRUE cell still get their own message, the same as from date cells."""
    (rec, acts, plan), _ = example
    js = [list(r) for r in officejs(acts)]
    excel = [list(r) for r in acts]
    for grid, blank in ((js, ""), (excel, None)):
        grid[3][1] = "2025-03-01"              # row 12: a date typed as text
        grid[4][1] = blank                     # row 13: no end date (a one-day activity)
    js[5][1], excel[5][1] = 0, 0               # row 14: the serial 0 is no date
    js[6][1], excel[6][1] = True, True         # row 15: TRUE is not the serial 1
    answer = udf.CPD_HOURS(js, 45658, 46022)
    assert answer == udf.CPD_HOURS(excel, 45658, 46022)
    assert answer.startswith("Fix 3 values: row 12: ") and "is text ('2025-03-01')" in answer
    assert "row 14: " in answer and "found the number 0" in answer and "row 15: " in answer
    del js[6], excel[6]                        # no TRUE: the serials are looked up, not converted one by one
    answer = udf.CPD_HOURS(js, 45658, 46022)
    assert answer == udf.CPD_HOURS(excel, 45658, 46022) and answer.startswith("Fix 2 values: row 12: ")
    assert "row 14: end date must be a date, found the number 0" in answer


def test_a_bad_row_is_a_readable_message_with_its_row(example):
    (rec, acts, plan), _ = example
    bad = [list(r) for r in acts]
    bad[3][9] = "two"
    assert udf.CPD_HOURS(bad, rec[0][5], rec[1][5]) == "Fix 1 value: row 12: hours must be a number, found 'two'"
    crit = udf.CPD_CRITERIA(rec, bad, plan)
    assert crit[0][1] == "INVALID" and "row 12" in crit[0][2]
    assert udf.CPD_HOURS([["nothing", "here"]], rec[0][5], rec[1][5]).startswith("the activities range needs")
    assert udf.CPD_HOURS_BY(acts, "colour", 1, 2) == [["'by' must be one of category, skill type, competence, "
                                                      "objective, topic; found 'colour'"]]
    assert udf.CPD_TARGET("iet", "asleep").startswith("Status must be")
    assert udf.CPD_READINESS([["Name:", "x"]], acts).startswith("give the period")


def test_a_competence_code_is_judged_for_the_title_asked_at_every_recalculation(example):
    """What a competences cell converts to is remembered between calls for its framework and title: the same
    cell ("A1, B3") is refused for EngTech and counted for CEng, in any order and however often."""
    (rec, acts, plan), _ = example
    p1, p2 = rec[0][5], rec[1][5]
    refused = ("Fix 1 value: row 16: B3 is not UK-SPEC 4th edition competence code for EngTech (valid: A1, A2, B1, "
               "B2, C1, C2, C3, D1, D2, D3, E1, E2, E3, E4, E5)")
    for title in ("EngTech", "CEng", "EngTech", "CEng"):
        answer = udf.CPD_COVERAGE(acts, p1, p2, "competence", None, title)
        if title == "EngTech":
            assert answer == [[refused]]
        else:
            assert answer[0] == ["Competence", "Coverage", "Hours"] and ["B3", "covered", 6.0] in answer


def test_functions_equal_the_engine_on_random_records(tmp_path):
    rng = random.Random(7)
    for i in range(25):
        profile = load_profile(rng.choice(["iet", "rics", "ea", "istructe", "us-pe"]))
        header = random_header(rng, profile)
        rows = random_rows(rng, profile, header, rng.randint(0, 30))
        path = tmp_path / f"r{i}.xlsx"
        build_workbook(profile, header, [], rows).save(path)
        rec, acts, plan = excel_ranges(path)
        record, prof, result = engine(path)
        p1, p2 = header["period_start"], header["period_end"]
        assert udf.CPD_HOURS(acts, p1, p2, None, None, profile.id) == result.totals.hours
        assert udf.CPD_CRITERIA(rec, acts, plan) == expected_criteria(result)


def post(base, name, args):
    req = urllib.request.Request(f"{base}/api/v1/functions/{name}", data=json.dumps({"args": args}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_http_endpoint_with_the_officejs_payload(example, live_server):
    (rec, acts, plan), (record, profile, result) = example
    r, a, p = officejs(rec), officejs(acts), officejs(plan)
    assert post(live_server, "READINESS", [r, a, p, None, None]) == (200, {"result": [["READY", result.score]]})
    assert post(live_server, "CRITERIA", [r, a, p]) == (200, {"result": expected_criteria(result)})
    status, body = post(live_server, "HOURS", [a, r[0][5], r[1][5], "Volunteering", None, None, None])
    assert status == 200 and body["result"] == result.totals.by_category["volunteering"]
    status, body = post(live_server, "hours_by", [a, "category", r[0][5], r[1][5]])
    assert body["result"][1] == ["Training courses", result.totals.by_category["training"]]


def test_whole_hours_as_json_brings_them_count_as_the_same_numbers(example):
    """Office.js's JSON (and the Sheets API's) gives a whole number of hours as an int: the same totals as
    the float, and the same refusals for an int out of range or a true/false."""
    (rec, acts, plan), (record, profile, result) = example
    r, a = officejs(rec), officejs(acts)
    col = a[0].index("CPD hours")
    ints = [[int(v) if k == col and isinstance(v, float) and v.is_integer() else v for k, v in enumerate(row)]
            for row in a]
    assert sum(isinstance(row[col], int) for row in ints[1:]) >= 3
    hours = FUNCTIONS["HOURS"].run
    assert hours(ints, r[0][5], r[1][5]) == hours(a, r[0][5], r[1][5]) == result.totals.hours
    bad = [row[:] for row in ints]
    bad[1][col], bad[2][col], bad[3][col] = -1, 10_000, True
    refused = hours(bad, r[0][5], r[1][5])
    assert refused.startswith("Fix 3 values: ") and "row 10: hours cannot be negative, found -1" in refused
    assert "row 11: hours for one activity must be at most" in refused and "found 10000" in refused
    assert "row 12: hours must be a number, found 'True'" in refused


_RUN_IN_NODE = """
const fs = require("fs"), vm = require("vm");
globalThis.window = { CPD_SERVICE_URL: process.argv[1] };
vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"));      // the served functions.js, as Excel loads it
const [name, args] = JSON.parse(fs.readFileSync(0, "utf8"));
globalThis[name](...args).then((result) => process.stdout.write(JSON.stringify(result)));
"""


def test_the_office_js_functions_send_a_range_without_its_trailing_blank_rows(example, app, live_server):
    """functions.js as Excel runs it (in Node.js, against the service on a real port): the documented range
    A9:Q5009 holding 2,000 activities sends only its rows up to the last one used (a tenth of the body, over a
    third of its parsing), blank rows between activities kept in place; the answer is the same."""
    from flask import request
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is required in CI")
        pytest.skip("Node.js is not installed")
    (rec, acts, plan), (record, profile, result) = example
    r, a, p = officejs(rec), officejs(acts), officejs(plan)
    used = max(i for i, row in enumerate(a) if any(c != "" for c in row)) + 1
    blank = [""] * len(a[0])
    documented = a[:used] + [blank] * 4800                # as Excel passes Record!A9:Q5009
    documented[2:2] = [blank]                             # a blank row between activities stays
    seen = []
    app.before_request(lambda: seen.append(json.loads(request.get_data())["args"])
                       if request.path.startswith("/api/v1/functions/") else None)
    js = build.STATIC / "functions.js"
    for name, expected in (("READINESS", [["READY", result.score]]), ("CRITERIA", expected_criteria(result))):
        run = subprocess.run([node, "-e", _RUN_IN_NODE, live_server, str(js)], check=True, capture_output=True,
                             text=True, input=json.dumps([name, [r, documented, p]]), timeout=60)
        assert json.loads(run.stdout) == expected
    assert [len(args[1]) for args in seen] == [used + 1, used + 1]
    assert seen[0][1] == documented[:used + 1] and seen[0][0] == r and seen[0][2] == p


def test_http_endpoint_refuses_bad_requests_with_codes(client):
    assert client.post("/api/v1/functions/NOPE", json={"args": []}).get_json()["error"]["code"] == "unknown_function"
    res = client.post("/api/v1/functions/HOURS", data="not json", content_type="application/json")
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "bad_request"
    res = client.post("/api/v1/functions/HOURS", json={"args": [1]})
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "bad_arguments"
    res = client.post("/api/v1/functions/HOURS", data=b"{" + b" " * (21 * 1024 * 1024) + b"}",
                      content_type="application/json")
    assert res.status_code == 413 and res.get_json()["error"]["code"] == "too_large"
    res = client.get("/api/v1/functions/HOURS")
    assert res.status_code == 405 and res.get_json()["error"]["code"] == "method_not_allowed"
    listing = client.get("/api/v1/functions").get_json()["functions"]
    assert [f["name"] for f in listing] == [f"CPD.{n}" for n in FUNCTIONS]


def test_the_committed_javascript_is_generated_from_the_registry():
    assert (build.STATIC / "functions.js").read_text() == build.functions_js()


def test_the_metadata_describes_every_function():
    meta = json.loads((build.STATIC / "functions.json").read_text())
    got = {f["id"]: f for f in meta["functions"]}
    assert list(got) == list(FUNCTIONS)
    for name, fn in FUNCTIONS.items():
        params = got[name]["parameters"]
        assert [p["name"] for p in params] == [p.name for p in fn.params]
        assert [bool(p.get("optional")) for p in params] == [p.optional for p in fn.params]
        assert [p.get("dimensionality") == "matrix" for p in params] == [p.kind == "range" for p in fn.params]
        assert (got[name]["result"].get("dimensionality") == "matrix") == (fn.returns == "table")


def require_node_tools():
    """The npm tools .ci/run installs; on a machine without Node.js the checks skip, saying why."""
    tools = [build.HERE / "node_modules" / ".bin" / t for t in ("custom-functions-metadata", "office-addin-manifest",
                                                                 "office-addin-manifest-converter")]
    if shutil.which("npx") and all(t.exists() for t in tools) and build.schema_path().exists():
        return
    if os.environ.get("CI"):
        pytest.fail("Node.js and the add-in's npm tools are required in CI (.ci/run runs npm install)")
    pytest.skip("Node.js or the add-in's npm tools are not installed (cd sync_service/officejs && npm install)")


def test_custom_functions_metadata_regenerates_the_same_json(tmp_path):
    require_node_tools()
    out = tmp_path / "functions.json"
    build.metadata(build.STATIC / "functions.js", out)
    assert json.loads(out.read_text()) == json.loads((build.STATIC / "functions.json").read_text())


def test_the_manifest_is_served_with_the_services_address(client, app, tmp_path):
    app.config["PUBLIC_URL"] = "https://cpd.example.org"
    res = client.get("/addin/manifest.xml")
    assert res.status_code == 200
    root = ET.fromstring(res.data)
    ns = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1",
          "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0"}
    assert root.find("o:DisplayName", ns).get("DefaultValue") == "CPD tracker"
    urls = {u.get("id"): u.get("DefaultValue") for u in root.iter("{%s}Url" % ns["bt"])}
    assert urls["Functions.Script.Url"] == "https://cpd.example.org/addin/functions.js"
    assert urls["Functions.Metadata.Url"] == "https://cpd.example.org/addin/functions.json"
    for url in urls.values():
        assert client.get(url.replace("https://cpd.example.org", "")).status_code == 200
    assert b"{BASE_URL}" not in res.data



def test_the_manifest_validates_offline_against_microsofts_schema(client, app):
    """The served XML manifest, converted by Microsoft's office-addin-manifest-converter (npm), validates
    against the unified manifest's JSON schema from @microsoft/app-manifest (npm); and the served
    manifest.json is that conversion, validating too. Nothing goes online."""
    import jsonschema
    require_node_tools()
    app.config["PUBLIC_URL"] = "https://cpd.example.org"
    schema = json.loads(build.schema_path().read_text())
    check = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    converted = build.convert(client.get("/addin/manifest.xml").text)
    errors = [f"{list(e.path)}: {e.message}" for e in check.iter_errors(converted)]
    assert not errors, errors
    served = client.get("/addin/manifest.json")
    assert served.status_code == 200 and served.json == converted          # the committed file is up to date
    assert not list(check.iter_errors(served.json))
    assert served.json["id"] == "5b1d3f7e-8c2a-4e61-9d0b-2f6a7c4e9b13" and "{BASE_URL}" not in served.text
    assert served.json["validDomains"] == ["https://cpd.example.org"]
    broken = {**converted, "id": "not-a-guid", "surprise": True}            # the check can fail
    assert len(list(check.iter_errors(broken))) == 2


def test_office_addin_manifest_reads_the_manifest(client, app, tmp_path):
    """office-addin-manifest parses it and finds its fields. (Its full 'validate' sends the file
    to Microsoft's online service, which this machine cannot reach.)"""
    require_node_tools()
    app.config["PUBLIC_URL"] = "https://cpd.example.org"
    path = tmp_path / "manifest.xml"
    path.write_bytes(client.get("/addin/manifest.xml").data)
    tool = build.HERE / "node_modules" / ".bin" / "office-addin-manifest"
    info = subprocess.run([str(tool), "info", str(path)], capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stdout + info.stderr
    for expected in ("CPD tracker", "5b1d3f7e-8c2a-4e61-9d0b-2f6a7c4e9b13", "0.1.0.0", "https://cpd.example.org"):
        assert expected in info.stdout, info.stdout
