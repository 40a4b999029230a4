"""Cell references: column letters and numbers (A = 1, XFD = 16,384)."""
from __future__ import annotations

import re

CELL_REF = re.compile(r"([A-Za-z]+)([0-9]+)")          # letters in either case, a row number of any length


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in (letters if isinstance(letters, str) else letters.decode()).upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out
