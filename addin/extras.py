"""What each optional part of the product needs installed, and the error that says which extra to add.

``pip install cpd-tracker`` is the member's: check, new, import, export, and the report as HTML. The
rest comes with an extra: ``[report]`` (the PDF and the charts), ``[sheets]`` (Google Sheets), ``[evidence]``
(reading PDF certificates and baked badges for ``cpd capture``),
``[excel]`` (the Excel desktop add-in), ``[service]`` (the sync service), ``[all]``. A command that needs
one that is missing fails with ``missing_extra`` (exit status 2), naming the extra to install.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import CpdError

EXTRAS = {                   # extra -> the top-level modules it brings
    "report": ("typst", "weasyprint", "matplotlib"),
    "sheets": ("gspread", "google", "requests"),
    "evidence": ("pdfplumber", "pdfminer", "pypdfium2", "PIL", "pypdf"),
    "excel": ("xlwings",),
    "service": ("flask", "werkzeug", "sqlalchemy", "alembic", "psycopg", "gunicorn", "uvicorn", "uvicorn_worker",
                "a2wsgi", "httptools", "uvloop", "waitress", "flask_limiter", "limits"),
}
PACKAGE = "cpd-tracker"
PARTS = {"sync_service": "service", "google_sheets": "sheets"}   # the product's other packages -> their extra


class MissingExtra(CpdError):
    """A part of the product whose libraries are not installed."""

    def __init__(self, extra: str, what: str):
        super().__init__("missing_extra", f"{what} needs the [{extra}] extra: pip install '{PACKAGE}[{extra}]'")
        self.extra = extra


def extra_for(module: str | None) -> str | None:
    """The extra that brings a top-level module (None for one no extra brings)."""
    top = (module or "").split(".")[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)


def missing(exc: ImportError, what: str) -> MissingExtra | None:
    """An ImportError as the extra to install, when an extra's library is what is missing."""
    extra = extra_for(exc.name)
    return MissingExtra(extra, what) if extra else None


def need(module: str, what: str) -> ModuleType:
    """Import an extra's module, or raise MissingExtra naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        found = missing(exc, what)
        if found is None:
            raise
        raise found from None


def part_missing(module: str, what: str) -> MissingExtra | None:
    """The extra a part of the product (``sync_service.cli``) needs, when its library is not installed: found
    without importing the part, which loads its libraries only when a command runs."""
    extra = PARTS.get(module.split(".")[0])
    return MissingExtra(extra, what) if extra and not available(EXTRAS[extra][0]) else None


def available(module: str) -> bool:
    """Whether an extra's module can be imported here."""
    return importlib.util.find_spec(module) is not None
