"""Errors and problems with stable codes.

A ``Problem`` is one bad value: a stable ``code``, a human ``message`` and,
where it applies, the sheet and cell. ``CpdError`` is raised when a whole input
cannot be used; it carries the problems that made it so.
"""
from __future__ import annotations

from typing import Any

from msgspec import Struct
from msgspec.structs import replace


class Problem(Struct, frozen=True):
    """One thing wrong with the input: a stable code, a human message, and where it is (field, row, sheet, cell)."""
    code: str
    message: str
    field: str | None = None
    row: int | None = None
    sheet: str | None = None
    cell: str | None = None

    @property
    def where(self) -> str | None:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        if self.cell:
            return self.cell
        if self.row is not None:
            return f"row {self.row}"
        return None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def at(self, sheet: str | None, cell: str | None) -> "Problem":
        return replace(self, sheet=sheet, cell=cell)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "row": self.row,
            "sheet": self.sheet,
            "cell": self.cell,
        }


class CpdError(Exception):
    """An input that cannot be used, with a stable code and its problems."""

    def __init__(self, code: str, message: str, problems: list[Problem] | None = None,
                 sheet: str | None = None, cell: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.sheet = sheet
        self.cell = cell
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}: " if self.sheet and self.cell else ""
        return f"{where}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "sheet": self.sheet,
            "cell": self.cell,
            "problems": [p.to_dict() for p in self.problems],
        }


class ProfileError(CpdError):
    """An institution profile file that is not valid."""


class InvalidRecord(CpdError):
    """A record with values that cannot be read (each one a Problem)."""
