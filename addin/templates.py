"""The template workbooks, as the core offers them: a profile's blank template (built once into the
``workbook_templates`` package's files, found as package data), and a record written as a values-only
template workbook (``workbook.template``)."""
from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

from .model import Annotation, Record
from .profile import Profile


def template_path(profile_id: str) -> Path:
    """The built blank template for a profile (``workbook_templates/template-<id>.xlsx``), as package data:
    the core reads the file, and never imports the package that builds the examples."""
    return Path(str(files("workbook_templates").joinpath(f"template-{profile_id}.xlsx")))


def example_path(profile_id: str) -> Path:
    """The filled-in example for a profile (``workbook_templates/example-<id>.xlsx``), as package data."""
    return template_path(profile_id).with_name(f"example-{profile_id}.xlsx")


def values_workbook(record: Record, profile: Profile, annotations: Iterable[Annotation] = ()) -> bytes:
    """The record as a template workbook of values only: no formulas, no macros, nothing hidden; with
    mentors' annotations as cell comments and in the verification columns."""
    from .workbook.template import record_workbook
    return record_workbook(record, profile, annotations)
