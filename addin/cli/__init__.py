"""The ``cpd`` command line: one module a command group, each only parsing its options and printing
(the work is the core's). ``common`` holds what the commands share, and what the commands that other
parts of the product add (through the ``cpd.commands`` entry points) use."""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from .. import __version__
from ..extras import MissingExtra, missing, part_missing

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint


class CommandGroup(click.Group):
    """The ``cpd`` group. Other parts of the product add their commands through the ``cpd.commands``
    entry points (as Flask's ``init_app`` adds an app's commands), so the core never imports them."""

    def _plugins(self) -> dict[str, EntryPoint]:
        """The other parts' commands, looked up only when a name is not the core's own (or ``--help`` lists
        them): reading the installed packages' metadata costs every other command 10-20 ms."""
        if not hasattr(self, "_entry_points"):
            from importlib.metadata import entry_points
            self._entry_points = {ep.name: ep for ep in entry_points(group="cpd.commands")}
        return self._entry_points

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = super().get_command(ctx, name)
        if found is None and name in self._plugins():
            absent = part_missing(self._plugins()[name].module, f"cpd {name}")
            if absent is not None:
                return _needs_extra(name, absent)
            try:
                found = cast(click.Command, self._plugins()[name].load())
            except ImportError as exc:          # the part of the product it belongs to is not installed
                absent = missing(exc, f"cpd {name}")
                if absent is None:
                    raise
                found = _needs_extra(name, absent)
        return found


def _needs_extra(name: str, absent: MissingExtra) -> click.Command:
    """A command whose extra is not installed: whatever it is given, it says which extra to install."""
    from .common import fail

    def refuse(args: tuple[str, ...]) -> None:
        fail(absent)

    return click.Command(name, callback=refuse, help=f"(Not installed: {absent})",
                         short_help=f"(needs the [{absent.extra}] extra)", add_help_option=False,
                         params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


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
    from . import audit, capture, excel, plan, profiles, record, service, workbook  # noqa: F401  (each adds its commands to ``cli``)


_load_commands()


def main() -> None:  # pragma: no cover - the console script
    cli()
