"""Random CPD records for the one-truth and property tests (seeded: failures reproduce)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from addin.model import STATUS_LABELS, Status


def random_header(rng: random.Random, profile) -> dict:
    year = rng.choice([2024, 2025])
    if profile.period.kind == "calendar_year":
        start, end = date(year, 1, 1), date(year, 12, 31)
    else:
        start = date(year, rng.randint(1, 12), 1)
        end = start.replace(year=start.year + profile.period.years) - timedelta(days=1)
    header = {"period_start": start, "period_end": end,
              "status": STATUS_LABELS[rng.choice([Status.ACTIVE, Status.ACTIVE, Status.PARTIALLY_ACTIVE])]}
    if profile.hours and profile.hours.pro_rating != "none" and rng.random() < 0.5:
        header["leave_days"] = rng.randint(0, 120)
    if profile.hours and profile.hours.carry_over_max and rng.random() < 0.5:
        header["carried_over"] = round(rng.uniform(0, 30), 1)
    return header


def random_activity(rng: random.Random, profile, start: date, end: date) -> dict:
    span = (end - start).days
    first = start + timedelta(days=rng.randint(-40, span + 40))
    row = {"start_date": first, "title": f"Activity {rng.randint(1, 999)}",
           "hours": rng.choice([0, 0.5, 1, 1.25, 2, 3.5, 6, 7.5, 12, round(rng.uniform(0, 40), 2)])}
    if rng.random() < 0.35:
        row["end_date"] = first + timedelta(days=rng.randint(0, 60))
    if rng.random() < 0.9:
        row["category"] = rng.choice(profile.categories).label
    if profile.skill_types and rng.random() < 0.85:
        row["skill_type"] = rng.choice(profile.skill_types).label
    if profile.topics and rng.random() < 0.5:
        row["topics"] = rng.choice(profile.topics).label
    if rng.random() < 0.8:
        row["reflection"] = "Learnt something useful and applied it at work" if rng.random() < 0.8 else "brief"
    if rng.random() < 0.1:
        row["hours"] = None
    return row


def random_rows(rng: random.Random, profile, header: dict, n: int) -> list[dict]:
    return [random_activity(rng, profile, header["period_start"], header["period_end"]) for _ in range(n)]


def iet_year(n: int, seed: int, name: str, objective: str | None = None):
    """(profile, header, rows): an IET CEng member's 2025 record of n random activities, each linked to
    ``objective`` when given."""
    from datetime import date
    from addin.profile import load_profile
    profile = load_profile("iet")
    header = {"name": name, "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31),
              "status": "Active", "registration": "CEng"}
    rows = random_rows(random.Random(seed), profile, header, n)
    if objective:
        for r in rows:
            r["objective"] = objective
    return profile, header, rows


def random_records(rng: random.Random, n: int, max_rows: int = 40):
    """(i, profile, header, rows) for n random records, taking the profiles in turn; about one row in eight is
    a draft (Status Draft, counted nowhere), one in sixteen says Confirmed (drawn apart, so the records are
    otherwise the ones ``rng`` always gave)."""
    from addin.profile import list_profiles
    profiles = list_profiles()
    for i in range(n):
        profile = profiles[i % len(profiles)]
        header = random_header(rng, profile)
        rows = random_rows(rng, profile, header, rng.randint(0, max_rows))
        status = random.Random(i)
        for row in rows:
            roll = status.random()
            if roll < 0.125:
                row["status"] = "Draft"
            elif roll < 0.1875:
                row["status"] = "Confirmed"
        yield i, profile, header, rows
