"""The built template and example workbooks (made by the core's template builder,
``addin.workbook.template``: ``python -m workbook_templates`` rebuilds them), the example generator and
the Google Sheets Apps Script."""
from pathlib import Path

HERE = Path(__file__).parent


def template_path(profile_id: str) -> Path:
    return HERE / f"template-{profile_id}.xlsx"


def example_path(profile_id: str) -> Path:
    return HERE / f"example-{profile_id}.xlsx"
