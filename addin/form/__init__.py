"""The tracker form, as data: where things are on it (``layout``: sheets, header cells, table columns,
the Submission area), how a cell is named (``refs``), and how large a form may be (``limits``). Pure
Python, below every grid: the readers, the writers and the record's data all use it."""
