"""The small JSON files ``cpd sheets`` reads: a service account's key, the member's kept sign-in, the OAuth
client's file, the kept access token. Each is read whole up to 64 KiB (none is larger) and decoded by msgspec."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

MAX_BYTES = 64 * 1024

Unreadable = (OSError, msgspec.DecodeError)      # what reading one can raise: a missing or bad file, or not JSON


def json_file(path: str | Path) -> Any:
    """What the JSON file at ``path`` holds (its first 64 KiB); raises one of ``Unreadable``."""
    with open(path, "rb") as fh:
        return msgspec.json.decode(fh.read(MAX_BYTES))
