"""The filled example workbooks: a fictional member's year of CPD.

Alex Morgan is invented. The README, the docs and the tests use these files.
"""
from __future__ import annotations

from datetime import datetime as d

from addin.profile import load_profile
from addin.workbook.template import build_workbook

MEMBER = {
    "name": "Alex Morgan",
    "membership_number": "00123456",
    "grade": "Member",
    "registration": "CEng",
    "status": "Active",
    "period_start": d(2025, 1, 1),
    "period_end": d(2025, 12, 31),
}

OBJECTIVES = [
    {"ref": "O1", "objective": "Deepen my knowledge of power electronics for EV charging",
     "why": "Leading the charger redesign next year", "competences": "A1, B2", "target_date": d(2025, 12, 31),
     "status": "Achieved", "evaluation": "Completed the course and applied it to the prototype design review"},
    {"ref": "O2", "objective": "Present technical proposals clearly to non-engineers",
     "why": "Feedback from the last project board", "competences": "D2", "target_date": d(2025, 9, 30),
     "status": "Partly achieved", "evaluation": "Two board presentations went well; more practice needed"},
    {"ref": "O3", "objective": "Support the development of graduate engineers",
     "why": "Give back, and improve my own coaching", "competences": "C3, E4", "target_date": d(2025, 12, 31),
     "status": "Achieved", "evaluation": "Mentored one graduate through their first year"},
    {"ref": "O4", "objective": "Gain working knowledge of functional safety (IEC 61508)",
     "why": "Safety case for the new charger", "competences": "E2", "target_date": d(2026, 6, 30),
     "status": "Planned"},
]

ACTIVITIES = [
    {"start_date": d(2025, 2, 10), "end_date": d(2025, 2, 12), "title": "Power electronics design course",
     "provider": "University short course", "category": "Training courses", "skill_type": "Job-specific technical",
     "competences": "A1, B2", "hours": 18, "objective": "O1",
     "reflection": "Learnt converter topologies and loss modelling; applied them to the charger efficiency study.",
     "further_action": "Read the recommended text on magnetics"},
    {"start_date": d(2025, 3, 5), "title": "Reading: magnetics design handbook, chapters 1-4",
     "provider": "Self", "category": "Self-study", "skill_type": "Personal technical", "competences": "A1",
     "hours": 4, "objective": "O1",
     "reflection": "Understood core loss trade-offs; changed our inductor selection checklist as a result.",
     "further_action": "None"},
    {"start_date": d(2025, 4, 22), "title": "Presenting to the project board", "provider": "Own work",
     "category": "Work experience", "skill_type": "Soft skills", "competences": "D2", "hours": 2.5,
     "objective": "O2",
     "reflection": "Kept to three messages and one chart; the board approved the budget. Next time rehearse Q&A.",
     "further_action": "Ask for feedback from the chair"},
    {"start_date": d(2025, 5, 14), "title": "IET local network lecture: grid-scale storage",
     "provider": "IET local network", "category": "Events and seminars", "skill_type": "Personal technical",
     "competences": "A2", "hours": 2, "objective": "O1",
     "reflection": "New view of battery degradation models; shared a summary with my team."},
    {"start_date": d(2025, 1, 15), "end_date": d(2025, 12, 10), "title": "Mentoring a graduate engineer",
     "provider": "Company graduate scheme", "category": "Volunteering", "skill_type": "Soft skills",
     "competences": "C3, E4", "hours": 8, "objective": "O3",
     "reflection": "Learnt to ask rather than tell; my mentee now plans her own CPD and I apply this with my team.",
     "further_action": "Take the coaching skills workshop"},
    {"start_date": d(2025, 6, 3), "title": "Communication skills workshop", "provider": "In-house L&D",
     "category": "Training courses", "skill_type": "Soft skills", "competences": "D1, D2", "hours": 3,
     "objective": "O2",
     "reflection": "Practised structuring a message for the audience; used it in the July design review."},
    {"start_date": d(2025, 9, 8), "end_date": d(2025, 9, 26), "title": "Module: control of power converters",
     "provider": "Open University", "category": "Academic study", "skill_type": "Personal technical",
     "competences": "A1, B3", "hours": 6, "objective": "O1",
     "reflection": "Refreshed small-signal modelling and applied it to tune the charger's current loop."},
    {"start_date": d(2025, 12, 15), "end_date": d(2026, 1, 14), "title": "Functional safety e-learning",
     "provider": "Online course", "category": "Training courses", "skill_type": "Job-specific technical",
     "competences": "E2", "hours": 6.2, "objective": "O4",
     "reflection": "Began the safety lifecycle module; it changed how I write our hazard log entries.",
     "further_action": "Finish the module in January"},
]

IKT_MEMBER = {**MEMBER, "grade": "Member", "registration": None}


def example_workbook(profile_id: str = "iet"):
    """The filled example for a profile (the same year of CPD, in that profile's template)."""
    profile = load_profile(profile_id)
    member = IKT_MEMBER if profile.competence_framework == "none" else MEMBER
    activities = []
    for a in ACTIVITIES:
        row = dict(a)
        row["category"] = _closest(profile, str(row["category"]))
        if not profile.skill_types:
            row.pop("skill_type")
        if profile.competence_framework == "none":
            row.pop("competences")
        activities.append(row)
    return build_workbook(profile, {k: v for k, v in member.items() if v is not None}, OBJECTIVES, activities)


_NEAREST = {"Training courses": "course", "Self-study": "reading", "Work experience": "work",
            "Events and seminars": "seminar", "Volunteering": "mentoring", "Academic study": "academic"}


def _closest(profile, label: str) -> str:
    """The profile's own label for an IET category (templates hold labels, not aliases)."""
    term = profile.lookup("categories", label) or profile.lookup("categories", _NEAREST.get(label, label))
    return term.label if term else profile.categories[-1].label
