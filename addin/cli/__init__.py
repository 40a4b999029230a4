"""The ``cpd`` command line: one module a command group, each only parsing its options and printing
(the work is the core's). ``common`` holds what the commands share, and what the commands that other
parts of the product add (through the ``cpd.commands`` entry points) use."""
from __future__ import annotations

from importlib.metadata import entry_points

import click

from .. import __version__


class CommandGroup(click.Group):
    """The ``cpd`` group. Other parts of the product add their commands through the ``cpd.commands``
    entry points (as Flask's ``init_app`` adds an app's commands), so the core never imports them."""

    def _plugins(self) -> dict:
        if not hasattr(self, "_entry_points"):
            self._entry_points = {ep.name: ep for ep in entry_points(group="cpd.commands")}
        return self._entry_points

    def list_commands(self, ctx) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx, name):
        found = super().get_command(ctx, name)
        if found is None and name in self._plugins():
            found = self._plugins()[name].load()
        return found


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cpd")
def cli() -> None:
    """Keep a CPD record in a workbook and check it against your institution's review.

    \b
    cpd new record.xlsx --name "Alex Morgan"   a fresh workbook
    cpd check record.xlsx                      would it pass a review?
    cpd profiles                               the institutions' rules
    """


def _load_commands() -> None:
    from . import excel, profiles, record, service, workbook  # noqa: F401  (each adds its commands to ``cli``)


_load_commands()


def main() -> None:  # pragma: no cover - the console script
    cli()
