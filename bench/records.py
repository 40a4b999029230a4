"""Real CPD records for the benchmarks: the lengths members write, not "Activity 7" and one fixed sentence.

Every bench takes its workbooks from here, so that each figure is measured on records like the ones the
service receives: titles of 3-15 words, providers of real length, reflections of 20-200 words (most near
60-90, as members write them), a further action on about a third, several UK-SPEC competences, a plan of
four objectives with their reasons, and activities linked to them. ``libreoffice_copy`` re-saves a
workbook through LibreOffice headless (its writer lays the XML out differently from openpyxl's, and
members' files pass through it).

    from records import real_workbook
    data = real_workbook(40, seed=7)          # bytes of a 40-activity IET workbook, the same every run
"""
from __future__ import annotations

import io
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NAME = "Bench Member 0000000000"      # fixed length: bench_service stamps each member's own name in its place

SUBJECTS = ("fatigue assessment", "finite element modelling", "pressure systems safety", "BIM coordination",
            "functional safety (IEC 61508)", "HAZOP facilitation", "asset management", "cable sizing",
            "concrete durability", "geotechnical risk", "project controls", "NEC4 contracts", "carbon accounting",
            "heat pump commissioning", "root cause analysis", "low-voltage design", "structural steel connections",
            "reliability-centred maintenance", "cyber security for OT networks", "flood risk modelling",
            "value engineering", "lean construction", "drainage design", "embedded firmware testing",
            "CDM 2015 duties", "earthing and bonding", "vibration analysis", "procurement strategy")
KINDS = ("Webinar on", "Two-day course in", "Site visit:", "Technical seminar about", "Reading group on",
         "Conference session on", "Mentoring session covering", "Internal workshop on", "Online module in",
         "Lunch-and-learn on", "Peer review of", "Institution branch lecture on")
PROVIDERS = ("IET Birmingham Local Network", "Institution of Civil Engineers", "IMechE Pressure Systems Group",
             "In-house engineering academy", "University of Sheffield CPD unit", "Health and Safety Executive",
             "NEC Users' Group", "BSI Training Academy", "Coursera (Imperial College London)",
             "Mentor: J. Okafor CEng MIET", "TÜV SÜD National Engineering Laboratory", "Atkins Knowledge Hub",
             "Building Research Establishment", "Self-directed reading (IEEE Transactions)")
WORDS = ("the", "design", "team", "project", "learnt", "how", "to", "apply", "method", "client", "risk", "site",
         "we", "I", "review", "load", "calculation", "standard", "approach", "used", "changed", "checked",
         "assumptions", "results", "report", "safety", "cost", "programme", "and", "of", "for", "with", "this",
         "which", "later", "improved", "our", "process", "understanding", "colleagues", "next", "quarter",
         "specification", "tolerance", "model", "data", "failure", "mode", "maintenance", "inspection",
         "regulation", "practice", "guidance", "meeting", "workshop", "example", "case", "study", "lessons",
         "in", "on", "at", "from", "a", "an", "more", "than", "before", "after", "because", "so", "that",
         "commissioning", "temporary", "works", "foundation", "settlement", "monitoring", "sensor", "telemetry",
         "switchgear", "protection", "relay", "coordination", "harmonics", "transformer", "substation", "retrofit",
         "insulation", "thermal", "bridging", "condensation", "ventilation", "airflow", "pump", "valve", "pipework",
         "corrosion", "coating", "weld", "bolted", "connection", "stiffness", "buckling", "deflection", "crack",
         "width", "reinforcement", "cover", "durability", "chloride", "stakeholder", "consultation", "budget",
         "contractor", "subcontractor", "tender", "evaluation", "compensation", "event", "early", "warning",
         "schedule", "critical", "path", "float", "baseline", "earned", "value", "forecast", "variance",
         "verification", "validation", "requirement", "traceability", "firmware", "regression", "coverage",
         "hazard", "mitigation", "likelihood", "severity", "barrier", "permit", "isolation", "competence",
         "supervision", "graduate", "apprentice", "feedback", "presentation", "confidence", "negotiation",
         "sustainability", "embodied", "carbon", "lifecycle", "whole-life", "circular", "reuse", "recycled",
         "drawings", "markups", "clash", "detection", "federated", "model", "revision", "register", "handover")
ACTIONS = ("Apply the checklist on the next bridge inspection", "Share notes with the design team",
           "Book the advanced module for spring", "Update our calculation template", "None planned",
           "Discuss with mentor at next review", "Read the revised standard when published")
CODES = ("A1", "A2", "B1", "B2", "B3", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "E1", "E2", "E3", "E4", "E5")
OBJECTIVES = (("O1", "Lead a design review for a high-voltage substation project",
               "Moving into a lead engineer role next year"),
              ("O2", "Become competent in finite element analysis of welded joints",
               "Fatigue failures on two recent projects"),
              ("O3", "Understand NEC4 contract administration", "Taking on project management duties"),
              ("O4", "Build mentoring and coaching skills", "Supporting two graduate engineers this year"))


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def prose(rng: random.Random, words: int) -> str:
    """``words`` words in sentences of 8-22 words, the way a reflection reads."""
    out, left = [], words
    while left > 0:
        n = min(left, rng.randint(8, 22))
        out.append(sentence(rng, n))
        left -= n
    return " ".join(out)


def reflection_words(rng: random.Random) -> int:
    """20-200 words, most near 70-120 (a log-normal clipped to the range)."""
    return max(20, min(200, int(rng.lognormvariate(4.5, 0.5))))


def real_rows(rng: random.Random, profile, n: int, start: date = date(2025, 1, 1)) -> list[dict]:
    rows = []
    for _ in range(n):
        first = start + timedelta(days=rng.randint(0, 360))
        kind, subject = rng.choice(KINDS), rng.choice(SUBJECTS)
        extra = rng.randint(0, 8)
        title = f"{kind} {subject}" + ("" if not extra else " - " + " ".join(rng.choice(WORDS) for _ in range(extra)))
        row = {"start_date": first, "title": title, "provider": rng.choice(PROVIDERS),
               "hours": rng.choice([0.5, 1, 1.5, 2, 3, 3.5, 6, 7, 7.5, 14]),
               "reflection": prose(rng, reflection_words(rng)),
               "category": rng.choice(profile.categories).label,
               "competences": ", ".join(sorted(rng.sample(CODES, rng.randint(1, 4))))}
        if rng.random() < 0.3:
            row["end_date"] = first + timedelta(days=rng.randint(1, 3))
        if profile.skill_types:
            row["skill_type"] = rng.choice(profile.skill_types).label
        if rng.random() < 0.35:
            row["further_action"] = rng.choice(ACTIONS)
        if rng.random() < 0.7:
            row["objective"] = rng.choice(OBJECTIVES)[0]
        if rng.random() < 0.4:
            row["evidence"] = f"https://evidence.example.org/cert/{rng.randrange(10 ** 8):08d}.pdf"
        rows.append(row)
    return rows


def real_plan() -> list[dict]:
    return [{"ref": ref, "objective": objective, "why": why, "competences": "B2, E3",
             "target_date": date(2025, 12, 31), "status": "In progress"} for ref, objective, why in OBJECTIVES]


def real_record(n: int, seed: int = 7, profile_id: str = "iet"):
    """(profile, header, plan, rows): an IET CEng member's 2025 record of ``n`` real activities."""
    from addin.profile import load_profile
    profile = load_profile(profile_id)
    header = {"name": NAME, "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31),
              "status": "Active", "registration": "CEng"}
    return profile, header, real_plan(), real_rows(random.Random(seed), profile, n)


def workbook_bytes(profile, header: dict, plan: list[dict], rows: list[dict]) -> bytes:
    """The .xlsx bytes of a record in the product's template."""
    from addin.workbook.template import build_workbook
    buf = io.BytesIO()
    build_workbook(profile, header, plan, rows).save(buf)
    return buf.getvalue()


def real_workbook(n: int, seed: int = 7, profile_id: str = "iet") -> bytes:
    """The .xlsx bytes of a real ``n``-activity record in the product's template."""
    return workbook_bytes(*real_record(n, seed, profile_id))


def libreoffice_copy(data: bytes) -> bytes | None:
    """The workbook re-saved by LibreOffice headless (Calc's own .xlsx writer), or None without LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in" / "record.xlsx", Path(tmp) / "out"
        src.parent.mkdir()
        src.write_bytes(data)
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--calc",
                        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src)],
                       check=True, capture_output=True, timeout=600)
        return (out / "record.xlsx").read_bytes()


def corpus(sizes=(40, 2000, 20000), libreoffice: bool = True) -> dict[str, bytes]:
    """The benches' real corpus: one workbook per size, and each re-saved by LibreOffice where it is here."""
    files = {}
    for n in sizes:
        data = real_workbook(n, seed=n)
        files[f"real {n:,}"] = data
        copy = libreoffice_copy(data) if libreoffice else None
        if copy is not None:
            files[f"real {n:,} (LibreOffice)"] = copy
    return files


def documented_ranges(n: int, seed: int = 7, serials: bool = False) -> tuple[list, list, list]:
    """The ranges a real ``n``-activity workbook passes to ``=CPD.READINESS(Record!A3:F7, Record!A9:Q5009,
    Plan!A4:G54)``, as the spreadsheet passes them: every cell of each range (trailing rows blank), dates as
    date objects and blanks as None (xlwings) or, with ``serials``, dates as serial numbers and blanks as ""
    (Office.js)."""
    import python_calamine
    from datetime import datetime
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(real_workbook(n, seed)))
    epoch = datetime(1899, 12, 30)
    blank = "" if serials else None

    def cell(v):
        if isinstance(v, datetime):
            v = v.date()
        if isinstance(v, date):
            return (v - epoch.date()).days if serials else v
        if isinstance(v, float) and v.is_integer():
            return v
        return v

    def block(sheet: str, first_row: int, last_row: int, columns: int) -> list:
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        out = []
        for r in range(first_row - 1, last_row):
            src = rows[r] if r < len(rows) else []
            out.append([blank if c >= len(src) or src[c] == "" else cell(src[c]) for c in range(columns)])
        return out
    return block("Record", 3, 7, 6), block("Record", 9, 5009, 17), block("Plan", 4, 54, 7)


def long_reflections_workbook(n: int = 20000, seed: int = 11) -> bytes:
    """A real ``n``-activity workbook whose every reflection is long (180-200 words): the largest sheet a
    member's log is likely to have (the limit on a sheet's XML must let it through)."""
    profile, header, plan, rows = real_record(n, seed)
    rng = random.Random(seed)
    for row in rows:
        row["reflection"] = prose(rng, rng.randint(180, 200))
    return workbook_bytes(profile, header, plan, rows)
