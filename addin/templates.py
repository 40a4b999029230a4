"""The template workbooks, as the core offers them: a profile's blank template, and a record written
as a values-only template workbook (built by ``workbook_templates``)."""
from __future__ import annotations

from pathlib import Path

from collections.abc import Iterable

from .model import Annotation, Record
from .profile import Profile


def template_path(profile_id: str) -> Path:
    """The built blank template for a profile (``workbook_templates/template-<id>.xlsx``)."""
    from workbook_templates import template_path as path
    return path(profile_id)


def values_workbook(record: Record, profile: Profile, annotations: Iterable[Annotation] = ()) -> bytes:
    """The record as a template workbook of values only: no formulas, no macros, nothing hidden; with
    mentors' annotations as cell comments and in the verification columns."""
    from workbook_templates.builder import record_workbook
    return record_workbook(record, profile, annotations)
