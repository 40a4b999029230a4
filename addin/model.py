"""The CPD model: member, period, plan objectives, activities, the record.

Plain typed values. Building them from untrusted cell values, with a reason for
every rejected value, is ``addin.intake``'s job.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from msgspec import Struct, field


class Status(str, Enum):
    ACTIVE = "active"
    PARTIALLY_ACTIVE = "partially_active"
    NOT_PROFESSIONALLY_ACTIVE = "not_professionally_active"
    NEW_LICENSEE = "new_licensee"                 # US boards: the first renewal after licensure
    MILITARY_DUTY = "military_duty"               # US boards: on active duty in the armed forces
    INACTIVE_LICENCE = "inactive_licence"         # US boards: a licence the board holds as inactive (Texas)
    BOARD_EXEMPTION = "board_exemption"           # US boards: exempted by the board (South Carolina: disability)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.ACTIVE: "Active",
    Status.PARTIALLY_ACTIVE: "Partially active",
    Status.NOT_PROFESSIONALLY_ACTIVE: "Not professionally active",
    Status.NEW_LICENSEE: "New licensee (first renewal)",
    Status.MILITARY_DUTY: "On active military duty",
    Status.INACTIVE_LICENCE: "Inactive licence",
    Status.BOARD_EXEMPTION: "Exempted by the Board",
}
# The statuses every profile offers; a profile adds those it names as exempt (the US boards' own).
BASE_STATUSES = (Status.ACTIVE, Status.PARTIALLY_ACTIVE, Status.NOT_PROFESSIONALLY_ACTIVE)

OBJECTIVE_STATUSES = ("Planned", "In progress", "Achieved", "Partly achieved", "Dropped")


def shift_years(d: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 Feb becomes 28 Feb."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


class Period(Struct, frozen=True):
    """A CPD period, both ends inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlap_days(self, start: date, end: date) -> int:
        lo, hi = max(start, self.start), min(end, self.end)
        return max(0, (hi - lo).days + 1)

    @classmethod
    def years_ending(cls, end: date, years: int) -> "Period":
        """The `years`-long period that ends on `end`."""
        return cls(shift_years(end, -years) + timedelta(days=1), end)

    @classmethod
    def years_starting(cls, start: date, years: int) -> "Period":
        return cls(start, shift_years(start, years) - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.start.day} {self.start:%b %Y} to {self.end.day} {self.end:%b %Y}"


class Member(Struct, frozen=True):
    """Who the record belongs to and what the rules need to know of them: grade, status, registration, carry-over."""
    name: str | None = None
    membership_number: str | None = None
    grade: str | None = None
    status: Status = Status.ACTIVE
    registration: str | None = None      # CEng, IEng, EngTech, or none
    carried_over: float = 0.0            # hours brought forward from the last period
    leave_days: int = 0                  # days in the period on leave or not practising
    declared_on: date | None = None      # the day the body's annual declaration was made (Engineers Ireland)
    job_summary: str | None = None       # the member's job summary (ICE: at most 200 words)
    practice_areas: tuple[str, ...] = ()  # the areas the member practises in (Engineers Australia: 50 h each)
    academic: bool = False               # an academic (Engineers Australia: 40 h of industry involvement)
    audit_statement: str | None = None   # the statement the member chooses at audit (IMechE)


class Objective(Struct, frozen=True):
    """One objective of the development plan: what, why, the competences it serves, its target date and status."""
    ref: str
    objective: str | None = None
    why: str | None = None
    competences: tuple[str, ...] = ()
    target_date: date | None = None
    status: str | None = None
    evaluation: str | None = None
    row: int | None = None


class Activity(Struct, frozen=True, gc=False):   # gc=False: it holds no other object that could hold it back
    """One logged CPD activity, as the member entered it, with the sheet row it came from."""
    row: int
    start_date: date
    end_date: date
    title: str | None = None
    provider: str | None = None
    reflection: str | None = None        # what was learnt and how it was / will be applied
    further_action: str | None = None
    category: str | None = None          # profile category id
    skill_type: str | None = None        # profile skill type id
    competences: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()         # profile topic ids
    hours: float | None = None
    objective: str | None = None         # Objective.ref
    evidence: str | None = None
    description: str | None = None       # notes
    mentor_comment: str | None = None
    verified_by: str | None = None
    verified_on: date | None = None
    bodies: tuple[str, ...] = ()         # profile ids this activity counts for; () = every body the log is kept for
    location: str | None = None          # where it took place (US boards' log)
    instructor: str | None = None        # instructor's or speaker's name (US boards' log)
    draft: bool = False                  # Status 'Draft': shown, counted nowhere until confirmed

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class Record(Struct, frozen=True):
    """A member's CPD record for one period: the member, the period, the confirmed activities, drafts and the plan."""
    member: Member
    period: Period
    activities: tuple[Activity, ...] = ()   # the confirmed activities: what every rule and sum counts
    objectives: tuple[Objective, ...] = ()
    profile_id: str | None = None
    drafts: tuple[Activity, ...] = ()       # activities marked Draft (captured, not yet confirmed): counted nowhere

    @property
    def every_activity(self) -> tuple[Activity, ...]:
        """Confirmed activities and drafts, by row: what the log holds."""
        if not self.drafts:
            return self.activities
        return tuple(sorted(self.activities + self.drafts, key=lambda a: a.row))
    meta: dict[str, Any] = field(default_factory=dict)   # what a reader noted of the file: not part of the record

    def __eq__(self, other: object) -> bool:
        """Equal records hold the same member, period, activities, plan and profile (``meta`` aside)."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def _compared(self) -> tuple[object, ...]:
        return (self.member, self.period, self.activities, self.objectives, self.profile_id, self.drafts)

    __hash__ = None   # type: ignore[assignment]   # a record holds meta, a dict


class Annotation(Struct, frozen=True):
    """A mentor's note on a record: a comment and/or a verification, against one activity (by its sheet
    row), one plan objective (by its ref), or the record as a whole (neither)."""

    author: str                          # how the mentor is named: their name, or "a former mentor"
    written_at: datetime
    comment: str | None = None
    verified: bool = False               # only against an activity
    activity_row: int | None = None
    objective: str | None = None
