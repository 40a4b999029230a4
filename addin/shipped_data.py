"""The TOML files that ship with the product (the institution profiles, the competence frameworks), read through
their compiled twins.

Each shipped file ``<folder>/<name>.toml`` has a twin, ``<folder>/compiled/<name>.json``: what ``tomllib`` makes
of it, as JSON, with the CRC-32 of the TOML bytes it was made from. ``read`` gives the twin's data when that
checksum is the file's own, and otherwise parses the TOML, so an edited file is always read as it now is; the
twin only saves a command ``tomllib``'s import and parse (about 27 million instructions of a ``cpd check``'s
342). The TOML files hold only strings, whole numbers, numbers with a point and true/false, which JSON keeps
apart as they are. Remake the twins after editing a shipped file (a test fails until they are current)::

    python -m addin.shipped_data
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import msgspec

FOLDERS = (Path(__file__).parent / "profiles", Path(__file__).parent / "frameworks")


class _Twin(msgspec.Struct):
    crc32: int
    data: dict[str, Any]


def twin_of(path: Path) -> Path:
    return path.parent / "compiled" / f"{path.stem}.json"


def read(path: Path) -> dict[str, Any]:
    """The parsed content of a TOML file: a shipped file's compiled twin where it was made from these bytes,
    else ``tomllib``'s parse (which raises ``tomllib.TOMLDecodeError``, or ``UnicodeDecodeError`` for bytes
    that are not UTF-8, as ``tomllib.loads`` does)."""
    raw = path.read_bytes()
    if path.parent in FOLDERS:
        try:
            twin = msgspec.json.decode(twin_of(path).read_bytes(), type=_Twin)
        except (OSError, msgspec.DecodeError):
            twin = None
        if twin is not None and twin.crc32 == zlib.crc32(raw):
            return twin.data
    return _parsed(raw)


def _parsed(raw: bytes) -> dict[str, Any]:
    import tomllib                                  # only when a file is parsed: most commands never are
    return tomllib.loads(raw.decode("utf-8"))


def compiled(path: Path) -> bytes:
    """The twin of a TOML file, as ``read`` takes it."""
    raw = path.read_bytes()
    return msgspec.json.format(msgspec.json.encode(_Twin(zlib.crc32(raw), _parsed(raw))), indent=1) + b"\n"


def shipped() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in folder.glob("*.toml"))


def main() -> None:
    """Write every shipped file's twin."""
    for path in shipped():
        twin = twin_of(path)
        twin.parent.mkdir(exist_ok=True)
        twin.write_bytes(compiled(path))
        print(f"wrote {twin.relative_to(Path(__file__).parent.parent)}")


if __name__ == "__main__":
    main()
