"""CPD tracker core: the CPD model, institution profiles, the readiness engine, and one reader
for every grid a record is kept in.

Layers, each importing only from its own and those above it in this list (``tests/test_layering.py``
holds them, lazy imports included):

1. The model and the rules, pure Python with no spreadsheet library: ``model``, ``values``,
   ``profile``, ``frameworks``, ``columns``, ``intake`` (values to a record, a reason for each
   rejection), ``readiness`` (the engine), ``export``, ``record_json``, ``report``, ``trends``,
   ``next_period``, ``annotations``, ``errors``, ``collector`` (the garbage collector held off while a
   block makes many short-lived objects) and ``form`` (the tracker form's layout and limits).
2. ``grid``: any grid (a workbook's sheets, Excel's ranges, Google Sheets values, a CSV) into a record.
3. ``workbook`` (the .xlsx package checks, reader, writer and template builder), then ``importing``
   (other layouts and formats, through the workbook reader).
4. The surface: ``functions`` (the worksheet functions), ``record_report``, ``submit``, ``templates``,
   ``excel``, ``xlwings_udfs`` and ``cli`` (the ``cpd`` command line; ``addin.cli.common`` is the helper
   module the commands that other parts of the product add use).

The core never imports ``workbook_templates`` (the built files are package data) nor the service.
The names below are the public surface: what the sync service and other programs use. Everything else
is internal and may change. Names are imported on first use, so ``import addin`` stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    # errors
    "CpdError": "addin.errors", "InvalidRecord": "addin.errors",
    # profiles and the engine
    "Profile": "addin.profile", "load_profile": "addin.profile", "list_profiles": "addin.profile",
    "Record": "addin.model", "Annotation": "addin.model",
    "note_text": "addin.annotations", "note_field": "addin.annotations", "verification": "addin.annotations",
    "assess": "addin.readiness", "Readiness": "addin.readiness",
    "Verdict": "addin.readiness", "CriterionStatus": "addin.readiness", "STATUS_SCORE": "addin.readiness",
    "fmt_hours": "addin.readiness.criteria", "report_dict": "addin.report", "count": "addin.values",
    # reading
    "read_workbook": "addin.workbook.reader", "XLSX_CONTENT_TYPE": "addin.workbook.package",
    "read_record": "addin.grid", "GridRead": "addin.grid", "ValuesSource": "addin.grid", "CellMap": "addin.grid",
    "ranges_source": "addin.grid",
    "split_cell": "addin.grid.cells",
    "Limits": "addin.form.limits", "SUBMISSION_AREA": "addin.form.layout",
    # Google Sheets values as a grid
    "sheets_source": "addin.grid.sheets", "blocks_needed": "addin.grid.sheets", "block": "addin.grid.sheets",
    "value_ranges": "addin.grid.sheets", "GRID_FIELDS": "addin.grid.sheets",
    "quote_title": "addin.grid.sheets",
    # the record as data, and as a values-only workbook
    "record_data": "addin.record_json", "pack": "addin.record_json", "unpack": "addin.record_json",
    "json_bytes": "addin.record_json", "dumps": "addin.record_json", "merged": "addin.record_json",
    "rows_as_dicts": "addin.record_json", "RECORD_VERSION": "addin.record_json", "NO_ROWS": "addin.record_json",
    "record_from_data": "addin.record_json",
    "values_workbook": "addin.templates", "safe_text": "addin.export", "template_path": "addin.templates",
    "example_path": "addin.templates",
    # the record report and trends across periods
    "report_data": "addin.record_report", "report_html": "addin.record_report", "fit_pdf": "addin.record_report",
    "period_figures": "addin.trends", "across_periods": "addin.trends", "trend_chart": "addin.record_report.charts",
    # what to do, by when
    "plan_for": "addin.planner", "make_plan": "addin.planner", "Plan": "addin.planner",
    # worksheet functions and the Submission area's text
    "FUNCTIONS": "addin.functions", "remembered_for": "addin.functions.recalc", "check_text": "addin.submit",
    # evidence files: what a file is, from its bytes
    "evidence_kind": "addin.evidence", "EVIDENCE_TYPES": "addin.evidence",
    # an activity added from a phone: what a certificate states, and the activity's values checked
    "certificate_fields": "addin.capture", "check_activity": "addin.intake", "capture_data": "addin.capture",
    # the audit pack, from evidence held in a store
    "audit_pack": "addin.record_report.audit", "kept_file": "addin.record_report.audit",
    # the cyclic garbage collector held off while a block makes and drops many objects (a body parsed)
    "gc_paused": "addin.collector",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'addin' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:                      # for type checkers and editors: the same names, eagerly
    from .annotations import note_field as note_field, note_text as note_text, verification as verification
    from .errors import CpdError as CpdError, InvalidRecord as InvalidRecord
    from .capture import capture_data as capture_data, certificate_fields as certificate_fields
    from .collector import gc_paused as gc_paused
    from .evidence import EVIDENCE_TYPES as EVIDENCE_TYPES, evidence_kind as evidence_kind
    from .intake import check_activity as check_activity
    from .export import safe_text as safe_text
    from .functions import FUNCTIONS as FUNCTIONS
    from .functions.recalc import remembered_for as remembered_for
    from .grid import (CellMap as CellMap, GridRead as GridRead, ValuesSource as ValuesSource,
                       ranges_source as ranges_source,
        read_record as read_record)
    from .grid.cells import split_cell as split_cell
    from .grid.sheets import (GRID_FIELDS as GRID_FIELDS, block as block, blocks_needed as blocks_needed,
        quote_title as quote_title, value_ranges as value_ranges,
        sheets_source as sheets_source)
    from .model import Annotation as Annotation, Record as Record
    from .profile import Profile as Profile, list_profiles as list_profiles, load_profile as load_profile
    from .readiness import (STATUS_SCORE as STATUS_SCORE, CriterionStatus as CriterionStatus, Readiness as Readiness,
        Verdict as Verdict, assess as assess)
    from .readiness.criteria import fmt_hours as fmt_hours
    from .record_json import (NO_ROWS as NO_ROWS, RECORD_VERSION as RECORD_VERSION, dumps as dumps,
        json_bytes as json_bytes, merged as merged,
        pack as pack, record_data as record_data, record_from_data as record_from_data, rows_as_dicts as rows_as_dicts,
        unpack as unpack)
    from .record_report import fit_pdf as fit_pdf, report_data as report_data, report_html as report_html
    from .record_report.audit import audit_pack as audit_pack, kept_file as kept_file
    from .record_report.charts import trend_chart as trend_chart
    from .report import report_dict as report_dict
    from .trends import across_periods as across_periods, period_figures as period_figures
    from .planner import Plan as Plan, make_plan as make_plan, plan_for as plan_for
    from .values import count as count
    from .submit import check_text as check_text
    from .templates import example_path as example_path, template_path as template_path, \
        values_workbook as values_workbook
    from .form.layout import SUBMISSION_AREA as SUBMISSION_AREA
    from .form.limits import Limits as Limits
    from .workbook.package import XLSX_CONTENT_TYPE as XLSX_CONTENT_TYPE
    from .workbook.reader import read_workbook as read_workbook
