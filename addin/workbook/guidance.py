"""The Guidance sheet's text, drawn from the institutions' own guidance
(the IET's CPD review FAQ and 'Recording your CPD', the IKT tracker notes)."""
from __future__ import annotations

from ..model import Status
from ..profile import Profile

REFLECTION_PROMPTS = (
    "What were the key points that you remember and were relevant to you?",
    "Did the activity go as planned - and if not, why not?",
    "How could you have done it differently or better?",
    "How will you change what you do or how you behave as a result of this activity?",
    "Did it meet your needs? Do you feel you have learned enough, or is there more you want to find out?",
    "What follow-up actions do you need to take?",
)


REFLECTION_STEPS = (
    "What? What did you do, and what did you learn?",
    "So what? Why does it matter to your work, and what did it change in how you see it?",
    "Now what? How did or will you apply it, and what will you do next?",
)


def guidance_lines(profile: Profile) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = [("title", f"Guidance: keeping your CPD record ({profile.short_name})")]
    add = lines.append
    add(("heading", "How to use this workbook"))
    add(("text", "1. Fill in your name, membership number, grade and status, and the period the record covers, "
                 "at the top of the Record sheet. Keep the Institution profile as it is."))
    add(("text", "2. Write your development objectives on the Plan sheet. Each has a Ref (O1, O2, ...)."))
    add(("text", "3. Add one row per activity on the Record sheet, as you do it: dates, what it was, who provided "
                 "it, what you learnt and how you did or will apply it, any further action. Then the columns a "
                 "reviewer asks for: category, skill type, competences, hours, the objective it serves."))
    add(("text", "4. The Summary sheet adds up your hours and categories with ordinary formulas. For the full "
                 "review (each criterion with what to fix) run 'cpd check' on the file, or use the add-in."))
    add(("text", "A row whose Status is Draft (captured by 'cpd capture' from your calendar or a certificate) "
                 "counts nowhere until you have checked it and set its Status to Confirmed (or cleared it)."))
    for spec in profile.criteria:
        if spec.kind == "evidence":
            which = "formal CPD" if spec.params["formal_only"] else f"every activity that claims {profile.unit}"
            add(("text", f"Keep evidence of {which} (a certificate, proof of attendance or assessment): "
                         f"{profile.short_name} may ask for it. 'cpd evidence add' keeps the file beside the workbook "
                         "and names it in the Evidence column; or say there where the proof is."))
        elif spec.kind == "declaration":
            add(("text", f"5. {profile.short_name} asks for its {spec.params['what']} each period: make it before the "
                         "period ends and enter the day you made it in 'Declaration made on' (above the activities)."))
        elif spec.kind == "job_summary":
            add(("text", f"5. {profile.short_name} asks for a summary of your job, at most {spec.params['max_words']} "
                         "words: your role, its responsibilities and the work you did in the period, in 'Job "
                         "summary' (above the activities)."))
    add(("heading", "What counts as CPD"))
    for t in profile.categories:
        if t.credited:
            add(("text", f"{t.label}: {t.credit_text(profile.unit)}."))
    counting = [t for t in profile.categories if t.max_hours != 0]
    excluded = [t for t in profile.categories if t.max_hours == 0]
    capped = [t for t in profile.categories if t.max_hours]
    add(("text", "These kinds of activity count: " + "; ".join(t.label for t in counting) + "."))
    for t in capped:
        add(("text", f"{t.label}: at most {t.max_hours:g} {profile.unit} count."))
    for t in excluded:
        add(("text", f"{t.label} does not count for {profile.short_name}; record it only for yourself."))
    formal_asked = any(c.kind == "formal_hours" for c in profile.criteria)
    if profile.unit == "hours" and not excluded and not capped and not formal_asked:
        add(("text", "Activities do not need to be accredited. It is not just about attending courses: coaching, "
                     "mentoring, e-learning, networking, committees, reading and research count when you show what "
                     "you learnt."))
    formal = [t.label for t in profile.categories if t.formal]
    if formal_asked and formal:
        add(("text", "Formal CPD is: " + "; ".join(formal) + ". The rest is informal."))
    add(("heading", "How much"))
    if profile.hours:
        unit = profile.hours.unit
        parts = [f"{Status(s).label}: {h:g} {unit}" for s, h in profile.hours.required.items()]
        add(("text", f"{profile.short_name} {profile.hours.basis} {unit} per period: " + "; ".join(parts) + "."))
        if profile.exempt_statuses:
            add(("text", f"Exempt from the review: {'; '.join(profile.exemptions())} (set your status at the top of "
                         "the Record)."))
        else:
            add(("text", f"No status exempts you from a {profile.short_name} review by itself."))
        if profile.hours.carry_over_max:
            only = [t.label for t in profile.categories if t.id in profile.hours.carry_over_from]
            add(("text", f"At most {profile.hours.carry_over_max:g} {unit} earned over the requirement may be carried "
                         "to the next period, once" + (f", and only {' or '.join(only)} hours" if only else "")
                         + "; the workbook works it out from the log's earlier periods."))
        if profile.hours.pro_rating == "leave_days":
            add(("text", "Days on leave or not practising reduce the target in proportion (365 days a year)."))
        if unit == "PDH":
            add(("text", "1 PDH is one contact hour of learning (not of travel or breaks). Keep the certificate or "
                         "other evidence of each activity: the board asks for it if you are audited."))
        else:
            add(("text", "Count the learning that is relevant to you. An activity that runs across the start or end "
                         "of the period counts in proportion to its days inside it."))
    else:
        add(("text", f"{profile.short_name} sets no minimum hours: the record is judged on what you learnt and "
                     f"how you applied it (reflective learning), not on time spent."))
    add(("heading", "Reflecting on an activity"))
    add(("text", "After each activity, note what you gained, in three steps:"))
    for step in REFLECTION_STEPS:
        add(("text", f"  - {step}"))
    add(("text", "Questions that help (the IET's):"))
    for q in REFLECTION_PROMPTS:
        add(("text", f"  - {q}"))
    if profile.competence_framework != "none":
        add(("heading", "Linking to competences"))
        add(("text", "Decide which UK-SPEC competences (A1 to E5) each activity develops and list their codes "
                     "in the Competences column, e.g. 'B2, E4'. EngTech has B1-B2 and C1-C3 only."))
    add(("heading", f"What a {profile.short_name} review looks for"))
    for c in profile.criteria:
        add(("text", f"  - {c.title}" + (" (advice)" if c.severity == "warn" else "")))
    for note in profile.guidance_notes:             # what the body says that no criterion checks
        add(("text", note))
    add(("heading", "The add-in"))
    add(("text", "The Summary sheet's figures work everywhere. The Analysis block below them, and functions such "
                 "as CPD.READINESS and CPD.CRITERIA, need the CPD add-in:"))
    add(("text", "  - Excel on Windows with Python: run 'cpd excel install' for the CPD add-in (CPD_READINESS, "
                 "CPD_CRITERIA, ... and the CPD_CHECK and CPD_SUBMIT macros); this workbook stays .xlsx. Do not "
                 "import functions into the workbook itself."))
    add(("text", "  - Excel on the web or on a Mac: add the CPD tracker add-in from your CPD service "
                 "(Home > Add-ins > Upload My Add-in, with the manifest at /addin/manifest.xml); open CPD check "
                 "for the Check and Submit buttons."))
    add(("text", "  - LibreOffice and Google Sheets: the Summary figures work as they are; run 'cpd check' on the "
                 "file for the full review."))
    add(("heading", "Reviewing your plan"))
    add(("text", "Review your activities over the previous 12 months at least once a year, for example with your "
                 "annual appraisal or with a mentor, and then set your objectives for the coming year."))
    add(("text", f"Source: {profile.source}."))
    return lines
