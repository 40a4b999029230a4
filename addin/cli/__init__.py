"""The ``cpd`` command line: one module a command group, each only parsing its options and printing
(the work is the core's). ``common`` holds what the commands share, and what the commands that other
parts of the product add (through the ``cpd.commands`` entry points) use."""
from __future__ import annotations

import gc
import importlib
from typing import TYPE_CHECKING, Any, cast

import click

from .. import __version__
from ..extras import MissingExtra, missing, part_missing
from .index import COMMANDS, ENTRY_POINTS

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint


class CommandGroup(click.Group):
    """The ``cpd`` group. Its own commands are imported only when one runs (``index.COMMANDS`` says which
    module holds each, and lists them for ``cpd --help`` without importing any). Other parts of the product
    add their commands through the ``cpd.commands`` entry points (as Flask's ``init_app`` adds an app's
    commands), so the core never imports them."""

    other_parts: set[str]          # the other parts' commands run in this process (``main``)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.other_parts = set()

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command to run, noting whether another part of the product gave it (listing the commands for
        ``--help`` loads some without running them)."""
        name, cmd, rest = super().resolve_command(ctx, args)
        if cmd is not None and name not in self.commands:
            self.other_parts.add(cmd.name or "")
        return name, cmd, rest

    def _plugins(self) -> dict[str, EntryPoint]:
        """The other parts' commands, looked up only when a name is not the core's own (or ``--help`` lists
        them): reading the installed packages' metadata costs every other command 10-20 ms."""
        if not hasattr(self, "_entry_points"):
            from importlib.metadata import entry_points
            self._entry_points = {ep.name: ep for ep in entry_points(group="cpd.commands")}
        return self._entry_points

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(core_commands()) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in core_commands():
            importlib.import_module(COMMANDS[name][0])          # the module adds its commands to ``cli``
        found = super().get_command(ctx, name)
        if found is None and name in ENTRY_POINTS:              # another part's, where its entry point says
            found = _load(name, ENTRY_POINTS[name])
        if found is None and name in self._plugins():
            found = _load(name, self._plugins()[name].value)
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their one-line help, as click lists them, from the index where it has them (no
        command's module imported: ``cpd --help`` stays fast); a command it does not know is loaded."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            plugin = self._plugins().get(name)
            absent = part_missing(plugin.module, f"cpd {name}") if plugin is not None else None
            if name in COMMANDS and absent is None:
                rows.append((name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)))
            elif (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def core_commands() -> list[str]:
    """The core's own commands (the index's, but for those other parts of the product add)."""
    return [name for name, (module, _) in COMMANDS.items() if module.startswith(__name__ + ".")]


def load_all() -> None:
    """Import every module of the core's commands (a tool that walks ``cli.commands`` needs them all)."""
    import pkgutil
    for module in pkgutil.iter_modules(__path__):
        if module.name not in ("__main__", "make_index"):
            importlib.import_module(f"{__name__}.{module.name}")


def _load(name: str, target: str) -> click.Command:
    """The command an entry point names (``module:object``), or one that says which extra to install when
    the part of the product it belongs to is not installed."""
    import pkgutil
    absent = part_missing(target.partition(":")[0], f"cpd {name}")
    if absent is not None:
        return _needs_extra(name, absent)
    try:
        return cast(click.Command, pkgutil.resolve_name(target))
    except ImportError as exc:
        absent = missing(exc, f"cpd {name}")
        if absent is None:
            raise
        return _needs_extra(name, absent)


def _needs_extra(name: str, absent: MissingExtra) -> click.Command:
    """A command whose extra is not installed: whatever it is given, it says which extra to install."""
    def refuse(args: tuple[str, ...]) -> None:
        from .common import fail
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


def main() -> None:  # pragma: no cover - the console script
    """The console script. As one of the core's commands returns (or exits), every object the collector tracks is
    frozen: the interpreter's exit then leaves the imported modules to the operating system rather than freeing
    them one object at a time in a last collection (10 ms of an 80 ms ``cpd check``). Nothing is lost by it: the
    core's commands close what they write, the interpreter flushes stdout and stderr, and exit handlers
    (``atexit``, ``weakref.finalize``, logging's) still run. Another part's command (the service's, which runs
    for hours and whose database connections are closed as their objects are freed) exits as Python makes it."""
    try:
        cli()
    finally:
        if not cli.other_parts:
            gc.freeze()
