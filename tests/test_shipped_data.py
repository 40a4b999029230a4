"""The shipped profiles and frameworks are read through compiled twins that say exactly what their TOML says, and
only while they were made from the file as it is."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path

import pytest

from addin import shipped_data
from addin.profile import load_profile

ROOT = Path(__file__).resolve().parent.parent


def typed(value):
    """The value with each leaf's type beside it (1 and 1.0 and True differ)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize("path", shipped_data.shipped(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_file_has_a_current_twin_that_says_what_the_toml_says(path):
    twin = shipped_data.twin_of(path)
    assert twin.is_file() and twin.read_bytes() == shipped_data.compiled(path), \
        f"{twin} is not current: run python -m addin.shipped_data"
    data = shipped_data.read(path)
    assert typed(data) == typed(tomllib.loads(path.read_text(encoding="utf-8")))


def test_there_is_a_twin_for_every_profile_and_framework_and_no_other():
    assert {p.parent for p in shipped_data.shipped()} == set(shipped_data.FOLDERS)   # profiles and frameworks
    twins = sorted(p for folder in shipped_data.FOLDERS for p in (folder / "compiled").glob("*"))
    assert twins == sorted(shipped_data.twin_of(p) for p in shipped_data.shipped())


def test_a_check_reads_its_profile_and_framework_without_parsing_toml():
    code = ("import sys; from addin.profile import load_profile; from addin.frameworks import load_framework; "
            "p = load_profile('iet'); load_framework(p.competence_framework); "
            "print(p.short_name, 'tomllib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["IET", "False"]


@pytest.fixture
def own_copy(tmp_path, monkeypatch):
    """A copy of the shipped profiles, with their twins, taken as a shipped folder."""
    folder = tmp_path / "profiles"
    shutil.copytree(shipped_data.FOLDERS[0], folder)
    monkeypatch.setattr(shipped_data, "FOLDERS", (*shipped_data.FOLDERS, folder))
    return folder


def test_an_edited_file_is_read_as_it_now_is_not_as_its_twin_says(own_copy):
    path = own_copy / "iet.toml"
    assert shipped_data.read(path)["short_name"] == "IET"
    path.write_text(path.read_text(encoding="utf-8").replace('short_name = "IET"', 'short_name = "IET (edited)"'),
                    encoding="utf-8")
    assert shipped_data.read(path)["short_name"] == "IET (edited)"
    assert load_profile(str(path)).short_name == "IET (edited)"


@pytest.mark.parametrize("twin_bytes", [b"", b"not json", b'{"crc32": "x", "data": {}}', b'{"data": []}', b"\xff" * 9])
def test_a_broken_twin_is_passed_over(own_copy, twin_bytes):
    shipped_data.twin_of(own_copy / "ice.toml").write_bytes(twin_bytes)
    assert typed(shipped_data.read(own_copy / "ice.toml")) == \
        typed(tomllib.loads((own_copy / "ice.toml").read_text(encoding="utf-8")))


def test_a_missing_twin_is_passed_over_and_a_bad_file_still_refused(own_copy):
    shipped_data.twin_of(own_copy / "ei.toml").unlink()
    assert shipped_data.read(own_copy / "ei.toml")["id"] == "ei"
    (own_copy / "ei.toml").write_text("id = [unclosed", encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError):
        shipped_data.read(own_copy / "ei.toml")
    (own_copy / "ei.toml").write_bytes(b'id = "\xff"')
    with pytest.raises(UnicodeDecodeError):
        shipped_data.read(own_copy / "ei.toml")


def test_a_twin_beside_a_members_own_profile_is_never_read(tmp_path):
    path = tmp_path / "mine.toml"
    shutil.copy(shipped_data.FOLDERS[0] / "iet.toml", path)
    (tmp_path / "compiled").mkdir()
    forged = {"crc32": zlib.crc32(path.read_bytes()), "data": {"id": "forged"}}   # made from these very bytes
    shipped_data.twin_of(path).write_text(json.dumps(forged), encoding="utf-8")
    assert shipped_data.read(path)["id"] == "iet"
