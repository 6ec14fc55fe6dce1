"""Commands that look after the channel directory: ``ls``."""

from __future__ import annotations

import sys

from collab import config
from collab.cli.app import DirOpt, JsonOpt, command, emit_json, reporting
from collab.sanitize import for_terminal


@command("ls")
def list_command(directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """List the channels in the channel directory, most recent activity first."""
    with reporting(as_json):
        from collab.catalog import list_channels

        listings = list_channels(config.channel_dir(directory))
        if as_json:
            emit_json({"channels": [item.to_json() for item in listings]})
            return
        if not listings:
            print(f"No channels in {for_terminal(str(config.channel_dir(directory)), one_line=True)}", file=sys.stderr)
        for item in listings:
            task = for_terminal(item.problem or item.task, one_line=True)
            task = task if len(task) <= 60 else task[:59] + "…"
            count = f"{item.entries:>4} {'entry  ' if item.entries == 1 else 'entries'}"
            print(f"{item.id}  {for_terminal(item.last_activity, one_line=True)}  {item.state:<10} {count}  {task}")
