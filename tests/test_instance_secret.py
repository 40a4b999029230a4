"""The instance's session-signing key when the service's processes start together on a fresh install (`cpd
serve`'s workers and `cpd worker`s, as systemd or a container starts them): each gets the one key, none fails,
none reads it half written. (Before: a process found the file made by another and failed to make its own, or
read it before its key was written, in 59 of 100 such starts of eight processes.)"""
from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

import pytest

from processes import at_once
from sync_service import _instance_secret, create_app

PROCESSES = 8


@pytest.mark.parametrize("links", [True, False], ids=["hard links", "no hard links"])
def test_processes_starting_together_share_one_whole_key(tmp_path, monkeypatch, links):
    if not links:                                      # a file system that cannot make them (the forks inherit it)
        def no_link(*_):
            raise PermissionError(1, "Operation not permitted")
        monkeypatch.setattr(os, "link", no_link)
    for attempt in range(30):                          # each a fresh install, its processes let go at once
        folder = str(tmp_path / f"instance{attempt}")
        got = at_once(functools.partial(_instance_secret, Path(folder)), PROCESSES)
        assert [g for g in got if g[0] == "error"] == [], attempt
        keys = {g[1] for g in got}
        assert len(keys) == 1 and len(keys.pop()) == 64, attempt             # one key, whole, for every process
        key_file = os.path.join(folder, "secret_key")
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        assert sorted(os.listdir(folder)) == ["secret_key"]                 # nothing else left behind


def test_the_app_signs_with_the_kept_key_and_an_empty_key_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CPD_INSTANCE_PATH", str(tmp_path / "inst"))
    url = f"sqlite:///{tmp_path}/cpd.sqlite3"
    first = create_app({"DATABASE_URL": url}).config["SECRET_KEY"]
    assert first == (tmp_path / "inst" / "secret_key").read_text() and len(first) == 64
    assert create_app({"DATABASE_URL": url}).config["SECRET_KEY"] == first          # kept, not made again
    (tmp_path / "inst" / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="is empty; remove it"):
        create_app({"DATABASE_URL": url})


def test_a_key_being_written_is_waited_for(tmp_path):
    """Where hard links cannot be made, the key is made in place: a process that finds the file before its key
    is written waits for it."""
    import threading
    folder = tmp_path / "inst"
    folder.mkdir()
    (folder / "secret_key").write_text("")
    writer = threading.Timer(0.2, (folder / "secret_key").write_text, args=("ab" * 32,))
    writer.start()
    try:
        assert _instance_secret(folder) == "ab" * 32
    finally:
        writer.join()
