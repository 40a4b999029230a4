"""Where things are in the template: sheets, header fields, table columns.

Pure data shared by the template builder, the writer and the reader. The reader
finds columns by header name (and synonyms), never by position, so a member may
reorder or add columns.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from msgspec import Struct

from ..profile import TEMPLATE_COLUMNS_EXTRA, Profile
from ..values import Cell, normalise

RECORD_SHEET = "Record"
PLAN_SHEET = "Plan"
SUMMARY_SHEET = "Summary"
GUIDANCE_SHEET = "Guidance"
LISTS_SHEET = "Lists"

TABLE_HEADER_ROW = 9            # activity table header on the Record sheet
TABLE_ROWS = 5000               # rows the Summary formulas and drop-downs cover
PLAN_HEADER_ROW = 4
PLAN_ROWS = 50
HEADER_SCAN_ROWS = 40           # how far down the reader looks for the table header


class HeaderField(Struct, frozen=True):
    """One labelled value in a sheet's header block: its label's cell; the value is beside it."""
    field: str
    label: str
    row: int
    label_col: int                # the label's column; the value is in the next column
    synonyms: tuple[str, ...] = ()

    @property
    def value_col(self) -> int:
        return self.label_col + 1


# The tracker form's header (name, membership number, member / associate,
# period) and what the engine needs besides, in two blocks above the table:
# labels in A and E, values in B and F. The reader finds labels anywhere in the
# rows above the table and takes the first value to their right.
HEADER_FIELDS = (
    HeaderField("name", "Name:", 3, 1, ("member name", "full name")),
    HeaderField("membership_number", "Membership number:", 4, 1, ("membership no", "member number",
                                                                   "membership no.")),
    HeaderField("grade", "Member / associate / grade:", 5, 1, ("grade", "membership grade", "member associate")),
    HeaderField("registration", "Registration title:", 6, 1, ("registration", "professional registration")),
    HeaderField("status", "Status:", 7, 1, ("professional status", "activity status")),
    HeaderField("period_start", "Covering the period from:", 3, 5, ("period from", "from", "period start")),
    HeaderField("period_end", "To:", 4, 5, ("period to", "period end", "to")),
    HeaderField("profile", "Institution profile:", 5, 5, ("profile", "institution")),
    HeaderField("carried_over", "Hours carried over from last period:", 6, 5, ("carried over", "carry over")),
    HeaderField("leave_days", "Days on leave or not practising:", 7, 5, ("leave days", "days on leave")),
)
# What only some bodies ask besides the log, in the row above the table of their templates
# ([template] add_header): Engineers Ireland's annual declaration, ICE's job summary, Engineers
# Australia's areas of practice and whether the member is an academic, IMechE's audit statement.
# Fields sharing a cell are never asked by one profile (the profile check says so).
OPTIONAL_HEADER_FIELDS = (
    HeaderField("declared_on", "Declaration made on:", 8, 1, ("declaration", "declared on", "declaration date")),
    HeaderField("job_summary", "Job summary:", 8, 5, ("job summary (200 words)",)),
    HeaderField("practice_areas", "Areas of practice:", 8, 1, ("area of practice", "practice areas")),
    HeaderField("academic", "Academic (yes or no):", 8, 5, ("academic",)),
    HeaderField("audit_statement", "Audit statement:", 8, 1, ("statement", "cpd statement")),
)
HEADER = {h.field: h for h in HEADER_FIELDS + OPTIONAL_HEADER_FIELDS}

# An activity's Status: a draft (captured from a calendar or a certificate, or added from a phone) is shown
# with what it would add and counted nowhere until the member confirms it; blank is confirmed, so a log
# kept before the column existed reads as it always did.
DRAFT, CONFIRMED = "Draft", "Confirmed"
ACTIVITY_STATUSES = (DRAFT, CONFIRMED)

# The Submission area, right of the header: what Check and Submit write back (labels in H, values in I).
SUBMISSION_AREA = (("last_check", "Last check:", "I3"), ("submission_id", "Submission id:", "I4"),
                   ("submission_status", "Submission status:", "I5"), ("submitted_at", "Submitted at:", "I6"),
                   ("receipt", "Receipt:", "I7"))
SUBMISSION_CELLS = {key: cell for key, _, cell in SUBMISSION_AREA}


class Column(Struct, frozen=True):
    """One column of the tracker form's activity log: its header, width, kind and the headers it also answers to."""
    field: str
    header: str
    width: int
    synonyms: tuple[str, ...] = ()
    kind: str = "text"            # text | date | number | list
    form: bool = False            # one of the tracker form's own columns


ACTIVITY_COLUMNS = (
    Column("start_date", "Start date", 12, ("date", "dates", "from", "start", "date from"), "date", True),
    Column("end_date", "End date", 12, ("to", "end", "finish", "date to", "finish date"), "date", True),
    Column("title", "Description of development/learning activity", 32,
           ("activity", "description of activity", "name of activity", "title", "activity name", "description",
            "name and type of activity"), "text", True),
    Column("provider", "Provided by", 22, ("provider", "provided by (e.g. name of mentor/coach, course provider, "
                                            "research/relevant publication etc)", "organiser", "course provider")),
    Column("reflection", "What did you learn & how did/will you apply it?", 42,
           ("reflection", "what did you learn", "lessons learnt", "learning outcome", "outcome",
            "what did you learn and how did/will you apply it?", "reflection (lessons learnt)")),
    Column("further_action", "Any further action?", 26, ("further action", "follow-up", "follow up",
                                                         "next steps")),
    Column("category", "Category", 18, ("type", "activity type", "type of activity", "twaves", "cpd type"), "list"),
    Column("skill_type", "Skill type", 18, ("skill", "skills", "skill category"), "list"),
    Column("competences", "Competences", 14, ("competence", "competencies", "uk-spec", "uk spec", "uk-spec codes")),
    Column("topics", "Topics", 18, ("topic", "subject area", "focus area")),
    Column("hours", "CPD hours", 10, ("hours", "cpd hours", "time", "duration", "pdh", "time spent",
                                      "number of cpd hours"),
           "number"),
    Column("objective", "Objective", 11, ("plan objective", "objective ref", "objective link")),
    Column("evidence", "Evidence", 16, ("evidence link", "evidence / link", "link")),
    Column("description", "Notes", 18, ("notes", "details", "comments")),
    Column("mentor_comment", "Mentor comment", 20, ("mentor comments", "reviewer comment", "manager comment")),
    Column("verified_by", "Verified by", 12, ("verifier",)),
    Column("verified_on", "Verified on", 12, ("verification date", "date verified"), "date"),
    Column("location", "Location", 18, ("venue", "place", "where")),
    Column("instructor", "Instructor or speaker", 20, ("instructor", "speaker", "presenter", "instructor's name",
                                                        "speaker's name")),
    Column("status", "Status", 11, ("draft or confirmed", "entry status"), "list"),
    Column("bodies", "For", 12, ("for bodies", "counts for", "bodies", "institutions", "for institution")),
)

PLAN_COLUMNS = (
    Column("ref", "Ref", 7, ("objective ref", "no", "no.", "#")),
    Column("objective", "Development objective", 40, ("objective", "objectives", "goal")),
    Column("why", "Why (the need it meets)", 34, ("why", "reason", "need")),
    Column("competences", "Competences", 14, ("competence", "uk-spec")),
    Column("target_date", "Target date", 12, ("target", "by when", "due"), "date"),
    Column("status", "Status", 14, ("progress",), "list"),
    Column("evaluation", "Evaluation (how far was it met?)", 40, ("evaluation", "outcome", "review")),
)


def columns_for(profile: Profile, also: tuple[Profile, ...] = ()) -> tuple[Column, ...]:
    """The activity columns a profile's template has; with ``also`` (a log kept for several bodies), every
    column any of them has, and the For column that marks an activity for some of them only."""
    if also:
        fields = {c.field for p in (profile, *also) for c in columns_for(p)} | {"bodies"}
        return tuple(c for c in ACTIVITY_COLUMNS if c.field in fields)
    omit = set(profile.omit_columns) | {"bodies"} | (set(TEMPLATE_COLUMNS_EXTRA) - set(profile.extra_columns))
    if not profile.topics:
        omit.add("topics")
    if not profile.skill_types:
        omit.add("skill_type")
    if profile.competence_framework == "none":
        omit.add("competences")
    return tuple(c for c in ACTIVITY_COLUMNS if c.field not in omit)


def hours_header(profile: Profile) -> str:
    return f"CPD {profile.unit}"


def header_names(columns: Iterable[Column]) -> dict[str, str]:
    """Normalised header text -> field, for every header and synonym."""
    table: dict[str, str] = {}
    for col in columns:
        for name in (col.header, *col.synonyms):
            table.setdefault(normalise(name.rstrip(":?")), col.field)
    table.setdefault("cpd pdh", "hours")
    return table


def label_names() -> dict[str, str]:
    table: dict[str, str] = {}
    for h in HEADER_FIELDS + OPTIONAL_HEADER_FIELDS:
        for name in (h.label, *h.synonyms):
            table.setdefault(normalise(name.rstrip(":")), h.field)
    return table


_LABEL_NAMES: dict[str, str] | None = None


def _is_label_text(value: Cell) -> bool:
    return isinstance(value, str) and value.rstrip().endswith(":")


def labelled_values(cells: Sequence[Cell]) -> list[tuple[str, int, int | None]]:
    """(field, label index, value index or None) for each header label in a row of cells.

    The value is the first non-blank cell to the right of the label, unless another label
    (known, or any text ending in a colon) comes first: then the field is blank."""
    global _LABEL_NAMES
    if _LABEL_NAMES is None:
        _LABEL_NAMES = label_names()
    found, seen = [], set()
    for i, v in enumerate(cells):
        if not isinstance(v, str):
            continue
        f = _LABEL_NAMES.get(normalise(v.strip().rstrip(":")))
        if f is None or f in seen:
            continue
        seen.add(f)
        value_at = None
        for j in range(i + 1, len(cells)):
            v2 = cells[j]
            if _is_label_text(v2) or (isinstance(v2, str) and _LABEL_NAMES.get(normalise(v2.strip().rstrip(":")))):
                break
            if v2 is not None and not (isinstance(v2, str) and not v2.strip()):
                value_at = j
                break
        found.append((f, i, value_at))
    return found
