"""The docs stay true: every command and option is documented, every criterion kind and error
code is described, and the README's sample report is what cpd prints."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from addin.cli import cli
from addin.profile import CRITERION_PARAMS, list_profiles
from conftest import LONGEST_FILES, fill_workbook

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PROFILES_DOC = (ROOT / "docs" / "profiles.md").read_text()


def _walk(group, prefix=()):
    """Every command, those other parts of the product add through entry points (cpd sheets) too."""
    import click
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*prefix, name), cmd
        if hasattr(cmd, "commands"):
            yield from _walk(cmd, (*prefix, name))


@pytest.mark.parametrize("path,cmd", list(_walk(cli)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_and_option_is_in_the_readme(path, cmd):
    assert f"cpd {' '.join(path)}" in README
    for param in cmd.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert opt in README, f"{opt} of cpd {' '.join(path)} is not in the README"


def test_the_readme_opens_with_the_two_commands():
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e '.[all]' && .venv/bin/cpd serve --demo" in block
    assert "bash .ci/run" in block
    assert "pyproject.toml" in (ROOT / ".ci" / "run").read_text()


def test_the_longest_files_handed_out_first_are_test_files_and_ci_keeps_their_order():
    tests = {path.name for path in (ROOT / "tests").glob("test_*.py")}
    assert set(LONGEST_FILES) <= tests, set(LONGEST_FILES) - tests
    assert "--no-loadscope-reorder" in (ROOT / ".ci" / "run").read_text()


def test_every_criterion_kind_is_documented():
    for kind, params in CRITERION_PARAMS.items():
        assert f"| `{kind}` |" in PROFILES_DOC
        for p in params:
            assert f"`{p}`" in PROFILES_DOC, (kind, p)


def test_every_profile_is_in_the_readme():
    for p in list_profiles():
        assert f"| `{p.id}`" in README


def test_every_error_code_in_the_code_is_in_the_readme():
    codes = set()
    for path in [*(ROOT / "addin").rglob("*.py"), *(ROOT / "google_sheets").rglob("*.py")]:
        text = path.read_text()
        codes |= set(re.findall(r'(?:CpdError|InvalidRecord|ProfileError|BadValue)\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'sink\.add\([^,]+,\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'Problem\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'to_number\([^()]*"([a-z_]+)"\)', text))
    codes |= {"profile_invalid", "profile_unknown_key", "profile_missing_key"}
    missing = sorted(c for c in codes if f"`{c}`" not in README)
    assert not missing


def test_every_error_code_the_service_answers_is_documented():
    api = "".join((ROOT / "docs" / name).read_text()
                  for name in ("submission-api.md", "google-sheets.md", "mentors.md", "accounts.md"))
    codes = set()
    for path in (ROOT / "sync_service").rglob("*.py"):
        if path.name in ("cli.py", "receiver.py"):
            continue                       # the commands' codes are the CLI's; the receiver's are the protocol's
        text = path.read_text()
        codes |= set(re.findall(r'(?:answer|_error|error)\(\s*\d{3},\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'(?:ServiceError|BadRequest|Unauthenticated|Forbidden|NotFound|Conflict|TooLarge|'
                                r'Unusable|Limited|Unavailable)\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'"code": "([a-z_]+)"', text))
        codes |= set(re.findall(r'CpdError\("([a-z_]+)"', text))
    assert len(codes) > 20
    missing = sorted(c for c in codes if f"`{c}`" not in api + README)
    assert not missing


def test_the_sample_report_in_the_readme_is_what_cpd_prints(cpd, tmp_path):
    path = tmp_path / "me.xlsx"
    cpd("new", path, "--name", "Alex Morgan", "--year", "2025", "--registration", "CEng")
    fill_workbook(path, [
        {"start_date": date(2025, 3, 1), "title": "Course", "hours": 20, "category": "Training courses",
         "skill_type": "Soft skills", "competences": "E4, B2", "objective": "O1",
         "reflection": "Learnt a lot about planning and used it in the next project"},
        {"start_date": date(2025, 6, 2), "title": "Commissioning", "hours": 4, "category": "Work experience",
         "skill_type": "Job-specific technical", "reflection": "Went well"}],
        objectives=[{"objective": "Lead commissioning"}])
    out = cpd("check", path, "--as-of", "2025-11-01").output
    sample = re.search(r"```text\n(CPD readiness.*?)```", README, re.S).group(1).strip().splitlines()
    printed = out.splitlines()
    for line in sample:
        assert line in printed, line


def test_every_function_is_documented_with_its_parameters():
    from addin.functions import FUNCTIONS
    doc = (ROOT / "docs" / "addin.md").read_text()
    for name, fn in FUNCTIONS.items():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `CPD.{name}(")), None)
        assert row, name
        for p in fn.params:
            assert p.name.replace("period_", "") in row, (name, p.name)


def test_profiles_md_lists_every_bodys_rules_with_their_sources():
    """docs/profiles.md's section of every body's rules is what the shipped profiles say (regenerate it with
    python -m addin.profile_docs docs/profiles.md)."""
    from addin.profile import list_profiles
    from addin.profile_docs import section
    doc = (ROOT / "docs" / "profiles.md").read_text()
    assert section() in doc
    for p in list_profiles():
        assert f"### `{p.id}`" in doc
        for c in p.criteria:
            assert c.source and c.source.replace("|", "\\|") in doc, (p.id, c.id)
