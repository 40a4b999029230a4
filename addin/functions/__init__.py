"""The spreadsheet functions: one registry feeding the xlwings module (Excel desktop) and the
Office.js endpoint (Excel on the web and Mac). They call the readiness engine; they never
re-implement a rule."""
from .registry import FUNCTIONS, call

__all__ = ["FUNCTIONS", "call"]
