"""Mentors' annotations as a record shows them: the text of a place's notes, and an activity's verification.

Pure functions over ``addin.model.Annotation``; the workbook writer, the Google Sheets write and the
pages all word notes the same way through them.
"""
from __future__ import annotations

from collections.abc import Iterable

from .model import Annotation


def note_text(notes: Iterable[Annotation]) -> str:
    """Several annotations on one place as one note: author, date, what they wrote or that they verified."""
    lines = []
    for a in sorted(notes, key=lambda a: a.written_at):
        said = a.comment or ""
        if a.verified:
            said = "Verified." + (f" {said}" if said else "")
        lines.append(f"{a.author} ({a.written_at.day} {a.written_at:%b %Y}): {said}")
    return "\n\n".join(lines)


def note_field(fields: Iterable[str]) -> str:
    """Which of an activity table's columns carries the mentors' notes: Mentor comment, else the title."""
    return "mentor_comment" if "mentor_comment" in set(fields) else "title"


def verification(notes: Iterable[Annotation]) -> Annotation | None:
    """The latest verification among an activity's annotations, if any."""
    verified = [a for a in notes if a.verified]
    return max(verified, key=lambda a: a.written_at) if verified else None
