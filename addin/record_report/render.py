"""The record report laid out: a Jinja template to HTML, and the same sections typeset by Typst to PDF
(``typeset``; WeasyPrint took 35 ms a page, two seconds for a real 200-activity record).

The member's text is escaped in the HTML (autoescape); the only markup not escaped is the charts' SVG, which
matplotlib writes (and escapes) itself. In the PDF it is JSON strings Typst prints as text. Neither fetches
anything: no file, no address, whatever the record holds.
"""
from __future__ import annotations

from typing import Any

from jinja2 import Environment, Template
from msgspec.structs import replace

from ..errors import CpdError
from ..extras import MissingExtra, available, missing
from ..collector import gc_paused
from . import charts
from .data import DETAIL_FIELDS, ReportData, made_line

DETAIL = "each activity's detail (reflection, further action, evidence, comments): one line per activity"
STEPS = (  # (what the PDF has given up at this step, charts' resolution, charts kept, audience)
    ((), None, True, None),
    (("the charts' vector graphics: images at 110 dpi",), 110, True, None),
    (("the charts' vector graphics: images at 60 dpi",), 60, True, None),
    (("the charts",), None, False, None),
    (("the charts", DETAIL), None, False, "summary"),
)


class ReportTooLarge(CpdError):
    pass


def _env() -> Environment:
    from jinja2 import Environment, PackageLoader, select_autoescape
    env = Environment(loader=PackageLoader("addin.record_report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                      lstrip_blocks=True)
    return env


_ENV: Environment | None = None


def _template() -> Template:
    global _ENV
    if _ENV is None:
        _ENV = _env()
    return _ENV.get_template("record.html.j2")


def _charts(data: ReportData, dpi: int | None) -> list[tuple[str, str]]:
    t = data.totals
    return charts.record_charts(t["categories"], t["skills"], t["competences"], t["target"], t["counted"],
                                data.unit, dpi)


def weasyprint_html() -> Any:
    """WeasyPrint's HTML class (it lays out the audit pack's own pages), or the error saying what to install:
    the [report] extra, or Pango, the system library it needs."""
    try:
        from weasyprint import HTML
    except ImportError as exc:      # the [report] extra is not installed
        raise missing(exc, "the audit pack") or exc from None
    except OSError as exc:          # WeasyPrint needs Pango, a system library
        raise CpdError("pdf_unavailable", "making the audit pack needs the Pango library (Debian/Ubuntu: apt install "
                       f"libpango-1.0-0 libpangoft2-1.0-0; macOS: brew install pango); {exc}") from None
    return HTML


def _sections(data: ReportData, dpi: int | None, with_charts: bool
              ) -> list[tuple[ReportData, list[tuple[str, str]], str | None]]:
    """Each body's section with its charts (none where the [report] extra, which draws them, is not
    installed): (data, [(chart markup, its text)], the trend chart's markup or None)."""
    with_charts = with_charts and charts.drawable()
    sections = []
    for d in (data, *data.also):
        drawn = _charts(d, dpi) if with_charts else []
        trend = (charts.trend_chart(d.trends.periods, dpi)
                 if with_charts and d.trends and len(d.trends.periods) > 1 else None)
        sections.append((d, drawn, trend))
    return sections


def report_html(data: ReportData, *, dpi: int | None = None, with_charts: bool = True) -> str:
    """The report as one self-contained HTML page (charts inline); a section for each body when one log is
    kept for several."""
    sections = _sections(data, dpi, with_charts)
    return str(_template().render(d=data, sections=sections, detail_fields=DETAIL_FIELDS,
                                  made=made_line(data, [d.body for d, _, _ in sections])))


def report_pdf(data: ReportData, *, dpi: int | None = None, with_charts: bool = True) -> bytes:
    """The report as a PDF, laid out by Typst (``typeset``) from the same sections as the HTML page."""
    if not available("typst"):      # the [report] extra is not installed (found without loading Typst here)
        raise MissingExtra("report", "a PDF report")
    from .typeset import typeset
    with gc_paused():
        return typeset(data, _sections(data, dpi, with_charts))


def fit_pdf(data: ReportData, max_bytes: int | None) -> tuple[bytes, list[str]]:
    """The PDF, made smaller step by step until it is at most ``max_bytes``; and what each step gave up."""
    pdf, dropped = b"", list[str]()
    for gave_up, dpi, with_charts, audience in STEPS:
        if audience == "summary" and data.audience == "summary":
            continue                       # the detail is not there to give up
        dropped = list(gave_up)
        shown = replace(data, audience=audience or data.audience, dropped=dropped,
                        also=tuple(replace(d, audience=audience or d.audience) for d in data.also))
        pdf = report_pdf(shown, dpi=dpi, with_charts=with_charts)
        if max_bytes is None or len(pdf) <= max_bytes:
            return pdf, dropped
    assert max_bytes is not None             # with no limit, the first step's PDF is returned
    raise ReportTooLarge("report_too_large", f"the report is {len(pdf) / 1e6:.2f} MB even with "
                         f"{'; '.join(dropped)} left out, over the {max_bytes / 1e6:.2f} MB asked for")
