"""Write ``addin/cli/index.py`` from the commands as they are: ``python -m addin.cli.make_index``."""
from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import click

from . import cli, load_all
from . import index

HEAD = "COMMANDS: dict[str, tuple[str, str]] = {\n"
PLUGINS = "ENTRY_POINTS: dict[str, str] = {\n"


def generate() -> str:
    """index.py's text: COMMANDS made from every command (the core's and those of the entry points), and
    ENTRY_POINTS from the ``cpd.commands`` entry points as this checkout declares them."""
    load_all()
    ctx = click.Context(cli)
    lines = []
    for name in sorted(set(cli.commands) | set(cli._plugins())):
        cmd = cli.get_command(ctx, name)
        assert cmd is not None and cmd.callback is not None, name
        text = " ".join(inspect.cleandoc(cmd.short_help or cmd.help or "").split("\n\n")[0].split())
        parts = textwrap.wrap(text, 100, drop_whitespace=False)
        lines.append(f"    {name!r}: ({cmd.callback.__module__!r},\n"
                     + "\n".join(f"     {p!r}" for p in parts) + "),")
    targets = [f"    {name!r}: {ep.value!r}," for name, ep in sorted(cli._plugins().items())]
    source = Path(index.__file__).read_text()
    head, rest = source.split(HEAD, 1)
    middle, rest = rest[rest.index("}\n"):].split(PLUGINS, 1)
    return (head + HEAD + "\n".join(lines) + "\n" + middle + PLUGINS + "\n".join(targets) + "\n"
            + rest[rest.index("}\n"):])


if __name__ == "__main__":
    Path(index.__file__).write_text(generate())
