"""The template workbooks: the code that builds them, and the built files."""
from pathlib import Path

HERE = Path(__file__).parent


def template_path(profile_id: str) -> Path:
    return HERE / f"template-{profile_id}.xlsx"


def example_path(profile_id: str) -> Path:
    return HERE / f"example-{profile_id}.xlsx"
