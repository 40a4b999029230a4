"""Rebuild the committed template and example workbooks: python -m workbook_templates"""
from addin.profile import list_profiles

from . import example_path, template_path
from .builder import build_workbook
from .example import example_workbook

EXAMPLES = ("iet", "ikt")


def main() -> None:
    for profile in list_profiles():
        build_workbook(profile).save(template_path(profile.id))
        print(f"wrote {template_path(profile.id).name}")
    for pid in EXAMPLES:
        example_workbook(pid).save(example_path(pid))
        print(f"wrote {example_path(pid).name}")


if __name__ == "__main__":
    main()
