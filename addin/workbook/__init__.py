"""Workbook I/O: the template layout, the reader and the writer."""
