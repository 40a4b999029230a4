"""``cpd profiles``: the institution profiles, one in full, and a check of a profile file of your own."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import CpdError
from ..model import Status
from ..profile import list_profiles, load_profile, period_words, profile_summary
from ..values import count
from . import cli
from .common import EXIT_INVALID, fail, profile_or_fail


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def profiles(ctx: click.Context, as_json: bool) -> None:
    """List the institution profiles (the rules each institution's review applies)."""
    if ctx.invoked_subcommand:
        return
    found = list_profiles()
    if as_json:
        click.echo(json.dumps([profile_summary(p) for p in found], indent=2))
        return
    for p in found:
        hours = ("no minimum hours" if p.hours is None else
                 f"{p.target(Status.ACTIVE):g} {p.hours.unit} per {period_words(p)}")
        click.echo(f"{p.id:<9} {p.short_name:<9} {hours:<28} {p.name}{'  (default)' if p.default else ''}")


@profiles.command("show")
@click.argument("profile", metavar="ID|FILE")
def profiles_show(profile: str) -> None:
    """Show one profile's rules in full (JSON)."""
    click.echo(json.dumps(profile_summary(profile_or_fail(profile)), indent=2))


@profiles.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def profiles_validate(file: Path) -> None:
    """Check a profile file of your own; every problem is listed with its key."""
    try:
        p = load_profile(str(file) if str(file).endswith(".toml") or "/" in str(file) else f"./{file}")
    except CpdError as err:
        if err.problems:
            click.echo(f"{file}: not a valid profile ({count(len(err.problems), 'problem')}):", err=True)
            for prob in err.problems:
                click.echo(f"  [{prob.code}] {prob.message}", err=True)
            sys.exit(EXIT_INVALID)
        fail(err)
    click.echo(f"{file}: valid profile {p.id!r} ({p.name}) with {len(p.criteria)} criteria")
