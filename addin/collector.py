"""The cyclic garbage collector held off while a call makes and drops many objects."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector held off for the block.

    Reading a workbook, building a record from a formula's ranges or drawing a report makes tens of
    thousands of short-lived objects with no reference cycles (cell values, rows, activities);
    reference counting frees them, and the collector's passes over them would only cost time (a
    tenth of a whole read, 5-10% of a worksheet function's call). The block that turned it off turns
    it back on; if it was off already (the caller's choice, or another thread's block), it stays so."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
