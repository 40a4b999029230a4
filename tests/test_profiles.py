"""Loading profiles: the shipped ones, and a member's own file with every problem named."""
from __future__ import annotations

import json

import pytest

from addin.errors import ProfileError
from addin.model import Status
from addin.profile import CRITERION_PARAMS, list_profiles, load_profile
from addin.readiness.criteria import KINDS


def test_shipped_profiles_load_and_iet_is_default():
    ids = [p.id for p in list_profiles()]
    assert ids[0] == "iet"
    assert set(ids) == {"iet", "ikt", "engc", "ea", "rics", "istructe", "ei", "ice", "imeche", "us-pe", "us-nc", "us-sc",
                        "us-tx", "us-ny"}


def test_the_30_hour_rule_is_iet_data():
    iet = load_profile("iet")
    assert iet.target(Status.ACTIVE) == 30 and iet.target(Status.PARTIALLY_ACTIVE) == 10
    assert Status.NOT_PROFESSIONALLY_ACTIVE in iet.exempt_statuses
    assert [t.label for t in iet.categories] == ["Training courses", "Work experience", "Academic study",
                                                  "Volunteering", "Events and seminars", "Self-study"]


def test_every_criterion_kind_has_an_implementation():
    assert set(KINDS) == set(CRITERION_PARAMS)


@pytest.mark.parametrize("name", ["IET", "iet", "US PE", "us-pe", "Engineers Ireland"])
def test_profiles_are_found_by_id_or_name(name):
    assert load_profile(name).id in ("iet", "us-pe", "ei")


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ProfileError) as err:
        load_profile("bcs")
    assert err.value.code == "profile_unknown" and "iet" in err.value.message


BAD = """
id = "bad"
name = "Bad"
colour = "red"
[period]
kind = "fortnightly"
[hours]
required = { active = "thirty" }
[[categories]]
id = "a"
label = "A"
[[categories]]
id = "b"
label = "a"
[[criteria]]
id = "x"
kind = "magic"
[[criteria]]
id = "y"
kind = "topic_hours"
params = { topic = "ethics", min_hours = 2, maximum = 3 }
[[criteria]]
id = "z"
kind = "skill_mix"
severity = "fatal"
params = { min_share = 1.5 }
"""


def test_a_bad_profile_reports_every_problem_with_its_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(ProfileError) as err:
        load_profile(str(path))
    messages = [p.message for p in err.value.problems]
    expected = ["colour: unknown key", "period.kind: must be one of", "hours.required.active: must be a number",
                "categories[2].aliases: 'a' already names 'a'", "criteria[1].kind: unknown kind 'magic'",
                "criteria[2].params.maximum: unknown key", "criteria[2].params.topic: unknown topic 'ethics'",
                "criteria[3].severity: must be 'fail' or 'warn'", "criteria[3].params.min_share: must be a share"]
    for e in expected:
        assert any(e in m for m in messages), (e, messages)
    assert all(m.startswith("bad.toml: ") for m in messages)


def test_not_toml_and_missing_file(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text("id = [unclosed")
    with pytest.raises(ProfileError) as err:
        load_profile(str(path))
    assert err.value.code == "profile_not_toml"
    with pytest.raises(ProfileError) as err:
        load_profile(str(tmp_path / "none.toml"))
    assert err.value.code == "profile_not_found"


def test_cli_lists_shows_and_validates_profiles(cpd, tmp_path):
    out = cpd("profiles")
    assert out.exit_code == 0
    assert "iet       IET       30 hours per calendar year" in out.output
    assert "us-pe" in out.output and "15 PDH per calendar year" in out.output
    assert "us-tx" in out.output and "15 PDH per licence year" in out.output
    data = json.loads(cpd("profiles", "--json").output)
    assert data[0]["id"] == "iet" and data[0]["hours"]["required"] == {"active": 30.0, "partially_active": 10.0}
    shown = json.loads(cpd("profiles", "show", "ea").output)
    assert shown["period"] == {"kind": "rolling_years", "years": 3}
    good = tmp_path / "mine.toml"
    good.write_text(load_profile("iet").path and open(load_profile("iet").path).read().replace('"iet"', '"mine"'))
    ok = cpd("profiles", "validate", good)
    assert ok.exit_code == 0 and "valid profile 'mine'" in ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    res = cpd("profiles", "validate", bad)
    assert res.exit_code == 2 and "[profile_unknown_key]" in res.output


def test_check_with_a_custom_profile_file(cpd, example_iet, tmp_path):
    text = open(load_profile("iet").path).read().replace("active = 30", "active = 60").replace('"iet"', '"strict"')
    path = tmp_path / "strict.toml"
    path.write_text(text)
    res = cpd("check", example_iet, "--profile", path, "--as-of", "2025-12-01")
    assert res.exit_code == 1
    assert "46.9 of 60 hours" in res.output and "add 13.1 hours before 31 Dec 2025" in res.output
