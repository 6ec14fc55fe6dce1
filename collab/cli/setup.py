"""Commands that set collab up for an agent: ``install``."""

from __future__ import annotations

from typing import Annotated

import typer

from collab.cli.app import JsonOpt, command, emit_json, reporting
from collab.sanitize import for_terminal


@command()
def install(
    project: Annotated[bool, typer.Option("--project", help="Install into ./.claude/commands instead.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a different collab.md already there.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write the /collab slash command for Claude Code (user-wide, or --project)."""
    from collab import install as installer

    with reporting(as_json):
        target = installer.command_path(project)
        outcome = installer.install(target, force=force)
        if as_json:
            emit_json({"path": str(target), "outcome": outcome})
        else:
            print(f"/collab {outcome}: {for_terminal(str(target), one_line=True)}")
