"""A draft from a certificate's text: a PDF certificate (its text by pdfplumber), a LinkedIn Learning or
similar completion certificate, or what an Open Badge says of itself.

Each field is taken only where the text states it: after its label ("Course title:", "Provider:",
"Date of completion:"), in the phrase certificates use ("has successfully completed ..."), or as a
platform names itself (LinkedIn Learning). Nothing is guessed: a field the text does not state stays
blank and is listed for the member to fill in.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import CpdError
from ..profile import Profile
from .found import Found, dates_stated, hours_stated, topics_named

MAX_PAGES = 20                  # a certificate is a page or two; a longer PDF is read this far
TITLE_LABELS = ("course title", "course name", "title of course", "programme title", "program title", "webinar title",
                "event title", "activity title", "title", "course", "programme", "program", "webinar", "event",
                "activity", "module")
PROVIDER_LABELS = ("approved provider", "course provider", "training provider", "provider", "provided by",
                   "presented by", "issued by", "sponsor", "sponsored by", "organised by", "organized by", "offered by",
                   "awarding body", "issuer")
INSTRUCTOR_LABELS = ("instructor", "instructors", "presenter", "presenters", "speaker", "speakers", "tutor", "trainer",
                     "lecturer")
LOCATION_LABELS = ("location", "venue", "place", "held at")
# Platforms that print their own name on their certificates (and nothing after a "Provider:" label).
PLATFORMS = ("LinkedIn Learning", "Coursera", "Udemy", "edX", "Pluralsight", "FutureLearn", "PDHengineer",
             "PDH Academy", "RedVector", "Engineering Institute of Technology", "Autodesk University",
             "Skillsoft", "Udacity", "Codecademy", "Khan Academy", "SunCam", "PDH Online", "CEUfast")
_COMPLETED = re.compile(r"(?:has\s+)?(?:successfully\s+)?(?:completed|attended|participated\s+in|"
                        r"for\s+(?:successfully\s+)?(?:completing|attending|participating\s+in|the\s+completion\s+of|"
                        r"completion\s+of))\s*(?:the\s+(?:course|webinar|programme|program|seminar|workshop)\s*)?:?"
                        r"\s*(.*)", re.I)
_OPEN_END = re.compile(r"\b(?:the|of|and|for|in|on|to|a|an|at|by|with)$|[&,-]$", re.I)     # a line that goes on
_QUOTES = "\"'“”‘’«»"


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(_QUOTES + " .,;:").strip()


def _labelled(lines: list[str], labels: tuple[str, ...]) -> str | None:
    """The value after the first of ``labels`` that begins a line ("Provider: IStructE"), or the next line
    when the label stands alone."""
    for label in labels:
        pattern = re.compile(rf"^\s*{re.escape(label)}\s*(?::|-|–)\s*(.*)$", re.I)
        bare = re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$", re.I)
        for i, line in enumerate(lines):
            m = pattern.match(line)
            if m and _clean(m.group(1)):
                value = m.group(1)
                for more in lines[i + 1:i + 3]:     # a value wrapped onto the next lines: "... bridge / replacement"
                    if ":" in more or not (more[:1].islower() or _OPEN_END.search(value)):
                        break
                    value = f"{value} {more}"
                return _clean(value)
            if (m or bare.match(line)) and i + 1 < len(lines) and _clean(lines[i + 1]):
                return _clean(lines[i + 1])
    return None


_GENERIC = re.compile(r"^(?:the\s+|a\s+|an\s+)?(?:live\s+|online\s+|on-demand\s+|following\s+)*(?:course|webinar|"
                      r"programme|program|seminar|workshop|event|training|session|module|conference)?$", re.I)
_ENDS_TITLE = re.compile(r"^(?:course\s+)?completed\s+on\b|^date\b|^on\s+\d|^provider\b|^presented\b|^issued\b|"
                         r"^\d+(?:\.\d+)?\s*(?:pdh|hours?|cpd)\b", re.I)


def _quoted(lines: list[str], i: int) -> str:
    """The line at ``i``, joined with the lines after it while a quotation it opens is not closed."""
    text = lines[i]
    j = i
    while text.lstrip()[:1] in _QUOTES and text.rstrip()[-1:] not in _QUOTES and j + 1 < len(lines) and j < i + 3:
        j += 1
        text = f"{text} {lines[j]}"
    return _clean(text)


def _title(lines: list[str]) -> str | None:
    found = _labelled(lines, TITLE_LABELS)
    if found:
        return found
    for i, line in enumerate(lines):
        if line.lower().startswith("congratulations") and i + 1 < len(lines):      # LinkedIn Learning's layout:
            title = [lines[i + 1]]                                                   # the title may wrap, up to
            for more in lines[i + 2:i + 4]:                                          # "Course completed on ..."
                if _ENDS_TITLE.search(more):
                    break
                title.append(more)
            return _clean(" ".join(title)) or None
        m = _COMPLETED.search(line)
        if m and not re.search(r"\bcompleted\s+on\b", line, re.I):
            rest = _clean(m.group(1))
            if _GENERIC.match(rest) and i + 1 < len(lines):       # "has attended the live webinar" / its title
                rest = _quoted(lines, i + 1)
            if rest:
                return rest
    return None


def _platform(text: str) -> str | None:
    lowered = text.lower()
    return next((p for p in PLATFORMS if p.lower() in lowered), None)


def from_text(text: str, source: str, profile: Profile, evidence: Path | None = None) -> Found:
    """The draft a certificate's text gives."""
    lines = [line for line in (raw.strip() for raw in text.splitlines()) if line]
    first, last = dates_stated(text)
    hours, note = hours_stated(text, profile.minutes_per_hour)
    found = Found(source=source, evidence=evidence, values={
        "title": _title(lines), "provider": _labelled(lines, PROVIDER_LABELS) or _platform(text),
        "instructor": _labelled(lines, INSTRUCTOR_LABELS), "location": _labelled(lines, LOCATION_LABELS),
        "start_date": first, "end_date": last if last != first else None, "hours": hours,
        "topics": ", ".join(topics_named(text, profile)) or None})
    if note:
        found.notes.append(note)
    if not lines:
        found.notes.append("the PDF has no text layer (a scan or a photo): nothing could be read from it, and no "
                           "OCR is attempted; fill the draft in from the certificate")
    return found.finish()


def pdf_text(data: bytes, source: str) -> str:
    """The text of a PDF's first pages (pdfplumber), or CpdError when it is not a PDF that can be read."""
    import io

    from ..extras import need
    pdfplumber = need("pdfplumber", "Reading a PDF certificate")
    from pdfminer.pdfparser import PDFSyntaxError
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages[:MAX_PAGES])
    except (PDFSyntaxError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CpdError("certificate_unreadable", f"{source}: the PDF cannot be read ({type(exc).__name__})") from None
    except Exception as exc:                 # pdfminer raises its own kinds for damaged files
        if type(exc).__module__.startswith(("pdfminer", "pdfplumber", "pypdfium2")):
            raise CpdError("certificate_unreadable", f"{source}: the PDF cannot be read "
                           f"({type(exc).__name__})") from None
        raise
