"""The record report: the document a member hands to a reviewer, a mentor or a manager.

``report_data`` gathers what the document shows (pure); ``charts`` draws it (matplotlib, as SVG);
``render`` lays it out with a Jinja template as HTML, and ``typeset`` the same sections as PDF (Typst).
"""
from .data import AUDIENCES, ReportData, report_data
from .render import ReportTooLarge, fit_pdf, report_html, report_pdf

__all__ = ["AUDIENCES", "ReportData", "report_data", "report_html", "report_pdf", "fit_pdf", "ReportTooLarge"]
