"""A record's versions, newest first, each with what changed since the one before it: the activities
added, changed and removed (an activity is the same one while its start date and title are), and the
verdict before and after. For the record's page; the owner and the record's mentors see it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CpdRecord, RecordVersion
from .records import Snapshot, activity_key, contents

SHOWN = 20                # the newest versions listed (each is read back to compare it with the one before)


def _activities(data: dict) -> dict[str, tuple[str, tuple]]:
    """The version's activities by key: (title, everything the member wrote but the row it is on, its spacing
    aside: prose is kept as typed, so a version that differs only in spaces changes no activity)."""
    table = data.get("activities") or {"columns": [], "rows": []}
    cols = table["columns"]
    if "start_date" not in cols or "title" not in cols:
        return {}
    start, title = cols.index("start_date"), cols.index("title")
    row = cols.index("row") if "row" in cols else None
    out: dict[str, tuple[str, tuple]] = {}
    for r in table["rows"]:
        out.setdefault(activity_key(r[start], r[title]),
                       (str(r[title] or "(no title)"),
                        tuple(" ".join(v.split()) if isinstance(v, str) else v for i, v in enumerate(r) if i != row)))
    return out


def history(session: Session, rec: CpdRecord, newest: Snapshot | None = None, shown: int = SHOWN) -> list[dict]:
    """The newest ``shown`` versions, newest first: number, when, verdict and score, the submission that
    made it (if one did), and what changed since the version before (none for the first). ``newest``: the
    newest version as the page already read it (not read again)."""
    versions = session.scalars(select(RecordVersion).where(RecordVersion.record_id == rec.id)
                               .order_by(RecordVersion.number.desc()).limit(shown + 1)).all()[::-1]
    read = {newest.version.id: newest.data} if newest is not None and newest.version is not None else {}
    out: list[dict] = []
    before: dict | None = None
    for i, v in enumerate(versions):
        now = _activities(read[v.id] if v.id in read else contents(v)["record"])
        entry = {"number": v.number, "created_at": v.created_at, "verdict": v.verdict, "score": v.score,
                 "submission": v.submission_id, "first": v.number == 1}
        if before is not None:
            prev = versions[i - 1]
            entry |= {"added": sorted(t for k, (t, _) in now.items() if k not in before),
                      "removed": sorted(t for k, (t, _) in before.items() if k not in now),
                      "changed": sorted(t for k, (t, c) in now.items() if k in before and before[k][1] != c),
                      "verdict_before": prev.verdict, "score_before": prev.score}
        before = now
        out.append(entry)
    return out[::-1][:shown]
