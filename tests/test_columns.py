"""Tables as columns: blank rows and blank cells as a reader means them, whatever form a blank
takes; and the column-at-a-time intake gives each row what that row alone would give."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.columns import BLANK, Columns, canonical_blanks, from_grid, from_mappings
from addin.errors import CpdError
from addin.intake import build_activities, framework_for
from addin.profile import load_profile

BLANKS = [None, "", " ", "\t", "  \n "]
CELLS = st.one_of(
    st.sampled_from(BLANKS),
    st.sampled_from([0.0, 1.0, 2.5, -1.0, float("nan"), True, False, 45658.0]),
    st.sampled_from([date(2025, 3, 1), datetime(2025, 3, 1, 9, 30), date(2024, 12, 30)]),
    st.sampled_from(["Course", " Course ", "Training courses", "two", "E4, B2", "O1", "1 day", "2h",
                     "12/03/2025", "=1+2", "a  b", "x\ty", "line\nbreak", "TRUE"]),
)


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=0, max_size=5), max_size=12), st.lists(st.integers(0, 5), max_size=4))
def test_rows_with_nothing_in_any_field_are_dropped_and_blanks_are_one_value(grid, mapped):
    fields = {i: f"f{i}" for i in dict.fromkeys(mapped)}
    table = from_grid(grid, range(10, 10 + len(grid)), fields)
    expected_rows, expected = [], {f: [] for f in fields.values()}
    for k, cells in enumerate(grid):
        values = {f: (cells[i] if i < len(cells) else None) for i, f in fields.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        expected_rows.append(10 + k)
        for f, v in values.items():
            expected[f].append(BLANK if is_blank(v) else v)
    assert table.rows == expected_rows
    if expected_rows:
        # compare by identity-or-equality so NaN cells count as themselves
        assert {f: [repr(v) for v in c] for f, c in table.values.items()} == \
               {f: [repr(v) for v in c] for f, c in expected.items()}


def test_blanked_cells_read_as_blank_and_a_row_of_only_those_is_dropped():
    grid = [["2025-03-01", 3.0], ["", "=1+2 cached"], ["2025-03-02", 4.0]]
    table = from_grid(grid, [10, 11, 12], {0: "start_date", 1: "hours"}, blanked=[(1, 1), (2, 1)])
    assert table.rows == [10, 12] and table.values["hours"] == [3.0, BLANK]


def test_a_text_over_the_limit_is_refused_with_its_cell():
    grid = [["ok", 1.0], [date(2025, 1, 1), "x" * 50]]
    with pytest.raises(CpdError) as err:
        from_grid(grid, [10, 11], {0: "title", 1: "hours"}, max_chars=40, sheet="Record",
                  cell_name=lambda i, r: f"{'AB'[i]}{r}")
    assert err.value.code == "cell_too_long" and (err.value.sheet, err.value.cell) == ("Record", "B11")


def test_mappings_and_grids_give_the_same_columns():
    rows = [(20, {"title": "A", "hours": 2.0}), (21, {"hours": 0.0}), (22, {}), (23, {"title": "  "})]
    table = from_mappings(rows)
    assert table.rows == [20, 21] and table.values == {"title": ["A", BLANK], "hours": [2.0, 0.0]}
    assert table.mappings() == [(20, {"title": "A", "hours": 2.0}), (21, {"hours": 0.0})]


ACTIVITY_CELLS = {
    "start_date": st.sampled_from(["", date(2025, 3, 1), datetime(2025, 3, 2, 8), 45730.0, "12/03/2025", "soon",
                                   0.0, True]),
    "end_date": st.sampled_from(["", date(2025, 3, 5), date(2025, 2, 1), "2025-03-20", "later"]),
    "hours": st.sampled_from(["", 2.0, 0.0, 7.5, "2h", "90 min", "1 day", "two", -1.0, 6000.0, float("nan"), 3,
                              True]),
    "category": st.sampled_from(["", "Training courses", "training-courses", "Self study", "Knitting", 1.0, True]),
    "skill_type": st.sampled_from(["", "Personal technical", "Juggling"]),
    "competences": st.sampled_from(["", "E4, B2", "e4", "Z9", "A1; Z9", 4.0]),
    "objective": st.sampled_from(["", "O1", "O7", 1.0]),
    "title": st.sampled_from(["", "Course", "  spaced   out ", "tab\there", 12345.0, date(2025, 1, 2)]),
    "reflection": st.sampled_from(["", "Learnt", "line\nbreak  kept", "  spaced   out ", "tab\there", 12345.0]),
    "verified_on": st.sampled_from(["", date(2025, 4, 1), "yesterday"]),
}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional=ACTIVITY_CELLS), min_size=1, max_size=12))
def test_each_row_gives_what_it_would_give_alone(rows):
    """Converting a whole column at once (distinct values once each) never lets one row's value
    change another row's activity or problems."""
    profile = load_profile("iet")
    fw = framework_for(profile)
    kw = dict(fw=fw, title="CEng", objective_refs={"O1"})
    whole = from_mappings([(10 + k, r) for k, r in enumerate(rows)])
    acts, problems = build_activities(whole, profile, **kw)
    alone_acts, alone_problems = [], []
    for k, r in enumerate(rows):
        one = from_mappings([(10 + k, r)])
        if len(one):
            a, p = build_activities(one, profile, **kw)
            alone_acts += a
            alone_problems += p
    assert acts == alone_acts
    assert [(p.row, p.field, p.code, p.message) for p in problems] == \
           [(p.row, p.field, p.code, p.message) for p in alone_problems]


def test_prose_is_kept_as_typed_and_other_text_has_its_spaces_collapsed():
    cells = {"start_date": date(2025, 3, 1), "title": "  Power   electronics\tcourse ",
             "reflection": "  Learnt topologies.  Now\tapplied. ", "further_action": " Next:  the lab day ",
             "description": 12345.0, "provider": " IET  Academy "}
    (act,), problems = build_activities(from_mappings([(10, cells)]), load_profile("iet"))
    assert not problems
    assert (act.title, act.provider) == ("Power electronics course", "IET Academy")
    assert (act.reflection, act.further_action, act.description) == ("Learnt topologies.  Now\tapplied.",
                                                                      "Next:  the lab day", "12345")


def test_a_column_read_again_gives_the_same_activities_and_problems():
    """The competences a column converted are remembered between tables (a recalculation reads them again):
    a column of only remembered values is looked up whole, and a value with a problem is never remembered
    without it."""
    profile = load_profile("iet")
    kw = dict(fw=framework_for(profile), title="IEng")
    rows = [(10 + k, {"start_date": date(2025, 3, 1), "competences": c})
            for k, c in enumerate(["E4, B2", "Z9", "A1; Z9", "", "E4, B2"])]
    good = [r for r in rows if "Z9" not in r[1]["competences"]]
    first, second = (build_activities(from_mappings(rows), profile, **kw) for _ in range(2))
    assert first == second
    assert [(p.row, p.code) for p in second[1]] == [(11, "competence_unknown"), (12, "competence_unknown")]
    assert [a.competences for a in second[0]] == [("E4", "B2"), (), ("A1",), (), ("E4", "B2")]
    again = build_activities(from_mappings(good), profile, **kw)       # every value remembered: looked up whole
    assert again == build_activities(from_mappings(good), profile, **kw)
    assert again[1] == [] and [a.competences for a in again[0]] == [("E4", "B2"), (), ("E4", "B2")]


def test_an_empty_table_gives_nothing():
    assert build_activities(Columns(), load_profile("iet")) == ([], [])


@pytest.mark.parametrize("column, expected, types", [
    ((None, None, None), ["", "", ""], {str}),                       # a column left blank, as a transpose gives it
    ([None, None], ["", ""], {str}),                                 # and as a list
    (("a", "b c", ""), ("a", "b c", ""), {str}),                     # text, none only spaces: as it came
    (("a", " \t", "b"), ["a", "", "b"], {str}),                      # text only of spaces is blank
    ((None, "a", "  "), ["", "a", ""], {str}),                       # blanks as None among text
    ((None, 2.0, " "), ["", 2.0, ""], {str, float}),                 # among numbers
    ((1.0, 2.0), (1.0, 2.0), {float}),
    ((None, date(2025, 1, 1)), ["", date(2025, 1, 1)], {str, date}),
])
def test_a_column_s_blanks_are_one_value_whatever_the_column_holds(column, expected, types):
    values, found = canonical_blanks(column)
    assert values == expected and type(values) is type(expected) and found == types
    if values == column and isinstance(column, tuple):
        assert values is column                                      # nothing to change: not copied
