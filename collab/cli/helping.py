"""``collab help [COMMAND]``: the help of collab, or of one command, as ``--help`` prints it."""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer

from collab.cli.app import COMMANDS, command, reporting
from collab.errors import UsageError


@command("help")
def help_(
    name: Annotated[
        str | None, typer.Argument(help="The command to show the help of.", metavar="COMMAND", show_default=False)
    ] = None,
) -> None:
    """Show collab's help, or COMMAND's: the same as `collab --help` or `collab COMMAND --help`.

    Example:

    \b
      collab help wait
    """
    with reporting():
        root = click.get_current_context().find_root()
        group = root.command
        if name is None:
            sys.stdout.write(group.get_help(root) + "\n")
            return
        found = group.get_command(root, name) if isinstance(group, click.Group) else None
        if found is None:
            import difflib

            near = difflib.get_close_matches(name, list(COMMANDS))
            hint = f"; did you mean {' or '.join(map(repr, near))}?" if near else ""
            raise UsageError(f"no command {name!r}{hint} (`collab --help` lists them)")
        with click.Context(found, info_name=name, parent=root) as context:
            sys.stdout.write(found.get_help(context) + "\n")
