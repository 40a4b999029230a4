"""[MS-OVBA] 2.4.1 compression, which a VBA project's source and ``dir`` streams are stored in.

Written here because the one Python package that offers it (``ms-ovba-compression`` 1.0.1, which
``ms-ovba`` uses) gives wrong output for anything past a few hundred bytes: its own decompressor cannot
read it back, and neither can oletools'. This follows the specification's algorithm (2.4.1.3.6 to
2.4.1.3.19): a signature byte, then a chunk per 4,096 bytes, each a run of token sequences (a flag byte
and up to eight literals or copy tokens), the copy tokens' split between offset and length set by how far
into the chunk they are. ``tests/test_excel_desktop.py`` checks every output against oletools'
decompressor, on the add-in's real modules and on random data.
"""
from __future__ import annotations

CHUNK = 4096


def _copy_split(position: int) -> tuple[int, int]:
    """(bit count of the offset, the longest copy) for a copy token at ``position`` bytes into its chunk."""
    bits = max((position - 1).bit_length(), 4)
    return bits, (0xFFFF >> bits) + 3


def _chunk(data: bytes) -> bytes:
    """One compressed chunk (header and data) of at most 4,096 decompressed bytes."""
    out = bytearray()
    heads: dict[bytes, list[int]] = {}             # three-byte prefix -> where it starts in this chunk
    i, n = 0, len(data)
    while i < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if i >= n:
                break
            best_len = best_off = 0
            bits, longest = _copy_split(i) if i >= 1 else (0, 0)
            if i >= 1 and i + 3 <= n:
                limit = min(longest, n - i)
                for start in reversed(heads.get(data[i:i + 3], ())):
                    length = 3
                    while length < limit and data[start + length] == data[i + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, i - start
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                step = best_len
            else:
                out.append(data[i])
                step = 1
            for k in range(i, i + step):
                if k + 3 <= n:
                    heads.setdefault(data[k:k + 3], []).append(k)
            i += step
        out[flag_at] = flags
    if len(out) > CHUNK:           # no smaller compressed: stored raw, padded to 4,096 bytes (2.4.1.3.10)
        return (0x3000 | (CHUNK + 2 - 3)).to_bytes(2, "little") + data + bytes(CHUNK - n)
    return ((len(out) + 2 - 3) | 0xB000).to_bytes(2, "little") + bytes(out)


def compress(data: bytes) -> bytes:
    """``data`` as an [MS-OVBA] CompressedContainer."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _chunk(data[start:start + CHUNK])
    return bytes(out)
