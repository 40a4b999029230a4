"""A recalculation builds again only the activity rows that changed (``addin.functions.recalc``), and what
every function answers is what building the whole range answers: after any sequence of edits (cells
changed to good and bad values, rows inserted, deleted, blanked, added past the end, the registration
title or the plan changed), as xlwings and Office.js pass the ranges."""
from __future__ import annotations

import threading
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin import xlwings_udfs as udf
from addin.functions import ranges, recalc, sheet
from addin.functions.ranges import _table, as_grid, header_values, record_from_ranges, resolve_profile
from addin.grid.record import ACTIVITY_HEADERS, PLAN_HEADERS
from addin.intake import build_record
from test_functions import excel_ranges, officejs
from workbook_templates import example_path

VALUES = ["", None, "Training courses", "Soft skills", "Technical", "nonsense", 3.5, 0, -2, 250.0, "1h30", "two",
          "2025-03-01", datetime(2025, 4, 1), datetime(2024, 2, 1), 45700, 0.0, True, "B1, C2", "Z9", "O1", "O99",
          "Draft", "Confirmed", "  spaced   text ", "What I learnt and how I applied it at work", "brief"]


@pytest.fixture(scope="module")
def ranges_of_example():
    return excel_ranges(example_path("iet"))


def forget() -> None:
    ranges.RECALC.clear()
    sheet.ASSESSED.clear()


@pytest.fixture
def counted(monkeypatch):
    """(built, assessed): the sheet rows of each table the functions build, and one item a verdict worked out;
    nothing remembered at the start."""
    built, assessed = [], []
    real_build, real_assess = recalc.build_activities, recalc.assess
    monkeypatch.setattr(recalc, "build_activities", lambda table, *a, **k: built.append(table.rows)
                        or real_build(table, *a, **k))
    monkeypatch.setattr(recalc, "assess", lambda *a: assessed.append(1) or real_assess(*a))
    forget()
    return built, assessed


def whole(rec, acts, plan):
    """The record and problems as a build of the whole range gives them, through the one table reader."""
    header = header_values(as_grid(rec))
    profile = resolve_profile(None, header)
    table = _table(as_grid(acts), ACTIVITY_HEADERS, 9, "activities")
    objectives = _table(as_grid(plan), PLAN_HEADERS, 9, "plan").mappings()
    return build_record(header, objectives, table, profile, plan_known=True, typed=True)


def answers(rec, acts, plan):
    p1, p2 = rec[0][5], rec[1][5]
    return [udf.CPD_READINESS(rec, acts, plan), udf.CPD_CRITERIA(rec, acts, plan), udf.CPD_HOURS(acts, p1, p2),
            udf.CPD_HOURS_BY(acts, "competence", p1, p2), udf.CPD_COVERAGE(acts, p1, p2, "competence", None, "CEng")]


def apply(edit, rec, acts, plan):
    kind, i, j, value = edit
    data = len(acts) - 1
    k = 1 + i % max(data, 1)
    if kind == "set" and data:
        acts[k][j % len(acts[k])] = value
    elif kind == "insert":
        acts.insert(k, list(acts[1 + (i * 7) % max(data, 1)]) if data else [None] * len(acts[0]))
    elif kind == "delete" and data:
        del acts[k]
    elif kind == "blank" and data:
        acts[k] = [None] * len(acts[k])
    elif kind == "append":
        acts.extend([None] * len(acts[0]) for _ in range(i % 5))
        acts.append([datetime(2025, 5, 1), None, "Added", None, "Learnt a lot from this day out", None,
                     "Training courses", "Technical", "B1", 2.0] + [None] * (len(acts[0]) - 10))
    elif kind == "truncate":
        del acts[max(1, len(acts) - 1 - i % 8):]
    elif kind == "registration":
        rec[2][5] = ["CEng", "IEng", "EngTech", None][i % 4]
    elif kind == "plan":
        plan[1 + i % 4] = [None] * len(plan[1])


EDITS = st.lists(st.tuples(st.sampled_from(["set", "set", "set", "insert", "delete", "blank", "append", "truncate",
                                            "registration", "plan"]),
                           st.integers(0, 200), st.integers(0, 16), st.sampled_from(VALUES)), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS, js=st.booleans())
def test_after_any_edits_every_function_answers_as_a_build_of_the_whole_range(ranges_of_example, edits, js):
    rec, acts, plan = ([list(r) for r in grid] for grid in ranges_of_example)
    if js:
        rec, acts, plan = officejs(rec), officejs(acts), officejs(plan)
    forget()
    answers(rec, acts, plan)                              # remembered before the edits
    for edit in edits:
        apply(edit, rec, acts, plan)
        fresh = [[list(r) for r in grid] for grid in (rec, acts, plan)]      # as the spreadsheet passes them: new
        try:
            expected = whole(*fresh)
        except Exception as exc:          # noqa: BLE001 (no header left, say): the function's message instead
            expected = exc
        if not isinstance(expected, Exception):
            record, _, problems = record_from_ranges(fresh[1], fresh[0], fresh[2])
            assert (record, problems) == expected
        remembered = answers(*fresh)
        forget()
        assert remembered == answers(*fresh)


def test_a_range_changed_in_place_between_calls_is_read_again(ranges_of_example):
    """The rows are kept as copies: a caller's own lists, changed after a call, are no answer of the last."""
    rec, acts, plan = ([list(r) for r in grid] for grid in ranges_of_example)
    p1, p2 = rec[0][5], rec[1][5]
    before = udf.CPD_HOURS(acts, p1, p2)
    row = next(r for r in acts[1:] if r[9])
    row[9] += 10.0
    assert udf.CPD_HOURS(acts, p1, p2) == pytest.approx(before + 10.0)
    row[9] = "ten"
    assert "hours must be a number, found 'ten'" in udf.CPD_HOURS(acts, p1, p2)


def test_an_edit_builds_only_its_own_row_and_an_unchanged_recalculation_none(ranges_of_example, counted):
    rec, acts, plan = ([list(r) for r in grid] for grid in ranges_of_example)
    built, assessed = counted
    first = udf.CPD_READINESS(rec, acts, plan)
    assert built == [list(range(10, 18))] and len(assessed) == 1        # the example's 8 activities
    again = [[list(r) for r in grid] for grid in (rec, acts, plan)]          # new lists, the same values
    assert udf.CPD_READINESS(*again) == first              # the second time: built again, and remembered whole
    assert built == [list(range(10, 18))] * 2 and len(assessed) == 2
    again = [[list(r) for r in grid] for grid in (rec, acts, plan)]
    assert udf.CPD_READINESS(*again) == first and udf.CPD_CRITERIA(*again)[0][0] == "Criterion"
    assert len(built) == 2 and len(assessed) == 2       # from the third: nothing built or worked out again
    acts[3][9] = 9.5                                     # sheet row 12's hours
    udf.CPD_READINESS(rec, acts, plan)
    assert built[2:] == [[12]] and len(assessed) == 3


def test_callers_in_threads_each_get_their_own_ranges_answer(ranges_of_example):
    rec, acts, plan = ranges_of_example
    p1, p2 = rec[0][5], rec[1][5]
    grids = []
    for n in range(6):                                   # six ranges, more than are remembered
        grid = [list(r) for r in acts]
        for row in grid[1:]:
            if isinstance(row[9], float):
                row[9] += n
        grids.append(grid)
    forget()
    expected = [udf.CPD_HOURS(g, p1, p2) for g in grids]
    assert len(set(expected)) == 6
    found: dict[int, set] = {n: set() for n in range(6)}

    def caller(n: int) -> None:
        for k in range(40):
            grid = [list(r) for r in grids[(n + k) % 6]]
            found[(n + k) % 6].add(udf.CPD_HOURS(grid, p1, p2))

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == {n: {expected[n]} for n in range(6)}


def test_ranges_of_the_same_shape_called_in_turn_each_build_only_their_own_edits(ranges_of_example, counted):
    """Two members' records with the same profile, title and plan (or one member's two logs), recalculated
    in turn: each call is compared with its own range, not the last one seen, and builds only its edit."""
    rec, acts, plan = ranges_of_example
    mine = [list(r) for r in acts]
    theirs = [list(r) for r in acts]
    for row in theirs[1:9]:
        row[2] = f"{row[2]} (their copy)"
    built, _ = counted
    for _ in range(2):                                   # each seen twice: remembered whole
        udf.CPD_READINESS(rec, mine, plan)
        udf.CPD_READINESS(rec, theirs, plan)
    assert [len(rows) for rows in built] == [8, 8, 8, 8]
    answered = []
    for k, grid in enumerate([mine, theirs, mine, theirs]):
        grid[1 + k][9] = 4.0 + k
        answered.append(udf.CPD_CRITERIA(rec, [list(r) for r in grid], plan))
    assert built[4:] == [[10], [11], [12], [13]]
    forget()
    assert answered[2:] == [udf.CPD_CRITERIA(rec, grid, plan) for grid in (mine, theirs)]


def test_the_service_compares_a_callers_ranges_only_with_what_the_same_address_sent(ranges_of_example, client,
                                                                                    counted):
    """The endpoint's callers are anonymous: each address is one, and its ranges are never compared with (nor
    its answer taken from) another address's, though both sent the same values."""
    rec, acts, plan = (officejs(grid) for grid in ranges_of_example)
    built, assessed = counted

    def call(addr: str):
        answer = client.post("/api/v1/functions/READINESS", json={"args": [rec, acts, plan]},
                             environ_base={"REMOTE_ADDR": addr})
        assert answer.status_code == 200
        return answer.json["result"]

    first = call("192.0.2.10")
    assert call("192.0.2.10") == first and len(built) == 2            # the second time: remembered whole
    assert call("192.0.2.10") == first and len(built) == 2 and len(assessed) == 2     # the same address: remembered
    assert call("192.0.2.99") == call("192.0.2.99") == first                          # another: built, worked out
    assert len(built) == 4 and len(assessed) == 4
    acts[3][9] = 9.5
    call("192.0.2.99")
    assert built[4:] == [[12]]                                                         # its own range, edited


def test_ranges_seen_once_are_built_as_if_nothing_were_remembered(ranges_of_example, counted):
    """Callers each sending a range once (the service's, one member after another) have it built whole each
    time and nothing of it kept but a few rows, by which a range coming again after many others is known."""
    rec, acts, plan = ranges_of_example
    grids = []
    for n in range(recalc.SEEN_KEPT):
        grid = [list(r) for r in acts]
        for row in grid[1:9]:
            row[2] = f"{row[2]} ({n})"
        grids.append(grid)
    built, _ = counted
    answers_once = [udf.CPD_CRITERIA(rec, [list(r) for r in g], plan) for g in grids]
    assert list(map(len, built)) == [8] * len(grids) and ranges.RECALC.ranges == [] and sheet.ASSESSED.last == []
    udf.CPD_CRITERIA(rec, [list(r) for r in grids[0]], plan)            # the first, again: remembered whole
    assert udf.CPD_CRITERIA(rec, [list(r) for r in grids[0]], plan) == answers_once[0]
    assert list(map(len, built)) == [8] * (len(grids) + 1)
    forget()
    assert answers_once == [udf.CPD_CRITERIA(rec, g, plan) for g in grids]


def test_at_most_the_rows_kept_are_remembered_and_a_longer_range_is_built_whole(ranges_of_example, counted,
                                                                                 monkeypatch):
    """Memory is bounded by rows, not ranges: the newest ranges are kept while their rows fit, and a range
    longer than the rows kept in all is built whole at every call (and answers the same)."""
    rec, acts, plan = ranges_of_example
    theirs = [list(r) for r in acts]
    for row in theirs[1:9]:
        row[2] = f"{row[2]} (their copy)"
    built, _ = counted
    monkeypatch.setattr(ranges.RECALC, "rows_kept", 10)            # room for one of the two 8-row ranges
    for grid in (acts, acts, acts, theirs, theirs, theirs, acts):
        udf.CPD_READINESS(rec, [list(r) for r in grid], plan)
    assert list(map(len, built)) == [8, 8, 8, 8, 8]                # each built twice, then remembered; the
    assert [len(b.cells) for b in ranges.RECALC.ranges] == [8]     # first, pushed out by the second, again
    monkeypatch.setattr(ranges.RECALC, "rows_kept", 5)             # shorter than either range
    forget()
    answers_seen = [udf.CPD_CRITERIA(rec, [list(r) for r in acts], plan) for _ in range(4)]
    assert list(map(len, built)) == [8] * 9 and ranges.RECALC.ranges == []
    forget()
    assert answers_seen == [udf.CPD_CRITERIA(rec, acts, plan)] * 4
