"""Every grid a record is read from, read one way.

A grid is named sheets of cell values: an ``.xlsx`` workbook, the ranges an add-in function
is given, a file being imported (``.csv``, a Word table), or a Google Sheet's values. Each
comes through a small cell-source interface (``source.CellSource``); one header finder
(``headers``) finds the activity table by its header names; one table scan (``table``)
turns the rows under it into columns; one cell map (``cells.CellMap``) names the cell of
every ``(row, field)``, for every message and every write-back; and ``record.read_record``
builds the record from any source, so every grid meets the same intake and engine.
"""
from .cells import CellMap, cell_name
from .headers import HeaderNames, find_header
from .record import GridRead, read_record
from .source import CellSource, ValuesSource, ranges_source

__all__ = ["CellMap", "CellSource", "GridRead", "HeaderNames", "ValuesSource", "cell_name", "find_header",
           "ranges_source", "read_record"]
