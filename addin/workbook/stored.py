"""A checked package's parts as a zip stored uncompressed: what python-calamine reads of a small workbook.

``inspect_package`` has inflated every part once already, checked its size and its checksum and looked
for a DTD. python-calamine would inflate each sheet it reads again (twice: once for its cells, once for
its merged cells): a real 40-activity workbook's Record and Plan sheets open and read in 780 us as sent,
in 490 from the same parts stored. The parts are written here as they were checked, with the checksums
the checks verified, so writing them costs one copy (19 us for that workbook; ``zipfile`` computes each
checksum again and writes a part at a time: 180 us).
"""
from __future__ import annotations

import struct
from collections.abc import Iterable

_LOCAL = struct.Struct("<4s5H3L2H")          # a part's local header (as package.py reads it)
_CENTRAL = struct.Struct("<4s6H3L5H2L")      # its entry in the central directory
_END = struct.Struct("<4s4H2LH")             # the end of the central directory
_VERSION = 20                                # version 2.0: stored or deflated, no zip64
_DOS_DATE = (1 << 5) | 1                     # 1 January 1980, midnight: the parts' times are not read
_UTF8_NAME = 0x800
MAX_STORED_BYTES = 0xFFFFFFFF // 2           # far inside what a zip without zip64 can say


def stored_zip(parts: Iterable[tuple[str, bytes | bytearray, int]]) -> bytes:
    """A zip of ``parts`` (name, bytes, CRC-32 of the bytes), each stored, in the order given."""
    chunks: list[bytes | bytearray] = []
    central: list[bytes] = []
    offset = 0
    for name, body, crc in parts:
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else _UTF8_NAME
        size = len(body)
        head = _LOCAL.pack(b"PK\x03\x04", _VERSION, flags, 0, 0, _DOS_DATE, crc, size, size, len(raw), 0)
        chunks += (head, raw, body)
        central.append(_CENTRAL.pack(b"PK\x01\x02", _VERSION, _VERSION, flags, 0, 0, _DOS_DATE, crc, size, size,
                                     len(raw), 0, 0, 0, 0, 0, offset) + raw)
        offset += len(head) + len(raw) + size
        if offset > MAX_STORED_BYTES:
            raise ValueError("too large to store without zip64")
    directory = b"".join(central)
    end = _END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join(chunks) + directory + end
