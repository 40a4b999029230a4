"""Rebuild the committed template and example workbooks: python -m workbook_templates"""
from addin.profile import list_profiles
from addin.workbook.template import build_workbook, save_reproducible

from . import example_path, template_path
from .example import example_workbook

EXAMPLES = ("iet", "ikt")


def main() -> None:
    for profile in list_profiles():
        save_reproducible(build_workbook(profile), template_path(profile.id))
        print(f"wrote {template_path(profile.id).name}")
    for pid in EXAMPLES:
        save_reproducible(example_workbook(pid), example_path(pid))
        print(f"wrote {example_path(pid).name}")


if __name__ == "__main__":
    main()
