"""Commands that set collab up for an agent, and take it away again: ``install`` and ``uninstall``.

Cost: one or two small files written or removed, each directory on the way opened once; no channel
is read. ``uninstall`` also lists the folder of each file, for install's backups.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from collab.cli.app import command, reporting
from collab.cli.output import emit_json
from collab.cli.params import JsonOpt
from collab.text.sanitize import for_terminal


class AgentChoice(StrEnum):
    """The agents ``install --agent`` knows (:data:`collab.integrations.agents.AGENTS`), shown as choices in help."""

    claude = "claude"
    codex = "codex"
    copilot = "copilot"
    cursor = "cursor"
    gemini = "gemini"
    opencode = "opencode"


@command()
def install(
    agent: Annotated[
        AgentChoice,
        typer.Option("--agent", help="The agent to write collab's instructions for.", case_sensitive=False),
    ] = AgentChoice.claude,
    project: Annotated[
        bool,
        typer.Option(
            "--project", help="Write into the project (at the git top level, else here) instead of user-wide."
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a different file already there.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write collab's instructions where a coding agent reads them.

    The default is Claude Code's /collab command. User-wide (the default) the files go here:

    \b
      claude    ~/.claude/commands/collab.md       (/collab TASK; $CLAUDE_CONFIG_DIR for ~/.claude)
      codex     ~/.agents/skills/collab/SKILL.md   ($collab, or asked for in words)
      copilot   ~/.agents/skills/collab/SKILL.md   (/collab TASK)
      cursor    ~/.cursor/skills/collab/SKILL.md   (/collab TASK)
      gemini    ~/.gemini/commands/collab.toml     (/collab TASK; $GEMINI_CLI_HOME for ~)
                and ~/.agents/skills/collab/SKILL.md
      opencode  ~/.agents/skills/collab/SKILL.md   (asked for in words)

    With --project they go under the git top level instead (the nearest folder up from here that
    holds .git, else here): .claude/commands/collab.md for claude, .gemini/commands/collab.toml
    for gemini, and .agents/skills/collab/SKILL.md for every other agent and gemini. A file already
    there that is not collab's is left alone, and nothing is written, unless --force. Below the
    home directory (or $CLAUDE_CONFIG_DIR, $GEMINI_CLI_HOME) and the project top, install follows
    no symbolic link and writes into no directory of another user: it refuses and names it.
    Claude Code's plugin, whose hook wakes an idle session, is installed with `claude plugin
    install`: see the README.

    Example:

    \b
      collab install
      collab install --agent codex --project
    """
    from collab.integrations import install as installer

    with reporting(as_json):
        written = installer.install(agent.value, project=project, force=force)
        if as_json:
            files = [
                {"path": str(w.path), "what": w.what, "outcome": w.outcome}
                | ({"backup": str(w.backup)} if w.backup else {})
                for w in written
            ]
            _emit_files(agent, project, files)
        else:
            for w in written:
                print(f"{w.what} {w.outcome}: {for_terminal(str(w.path), one_line=True)}")
                if w.backup is not None:
                    print(f"  the file that was there is kept as {for_terminal(str(w.backup), one_line=True)}")


@command()
def uninstall(
    agent: Annotated[
        AgentChoice,
        typer.Option("--agent", help="The agent whose collab instructions to remove.", case_sensitive=False),
    ] = AgentChoice.claude,
    project: Annotated[
        bool,
        typer.Option(
            "--project", help="Remove the project's copy (at the git top level, else here) instead of the user's."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove the files collab install wrote for a coding agent, and nothing else.

    The files are those install writes (see `collab install --help`), user-wide or with --project.
    A file is removed only when it is exactly collab's text; a file there that differs (a person's
    own, one they edited, or one an older collab wrote) is kept as it is and reported, and
    uninstall still exits 0. A skill's own folder, skills/collab/, goes too once empty; the folders
    that hold it, like .agents/skills or .claude/commands, always stay. Backups that install --force
    kept (NAME.collab-backup-TIME) stay and are named. The skill in .agents/skills/collab is shared
    by codex, copilot, opencode and gemini: removing it for one removes it for all. Like install,
    uninstall follows no symbolic link below the home directory or the project top and changes no
    directory of another user: it refuses, names it and removes nothing (exit 1).

    Example:

    \b
      collab uninstall
      collab uninstall --agent codex --project
    """
    from collab.integrations import uninstall as remover

    with reporting(as_json):
        removed = remover.uninstall(agent.value, project=project)
        if as_json:
            files = [
                {"path": str(r.path), "what": r.what, "outcome": r.outcome}
                | ({"backups": [str(b) for b in r.backups]} if r.backups else {})
                | ({"folder": str(r.folder)} if r.folder else {})
                for r in removed
            ]
            _emit_files(agent, project, files)
        else:
            for r in removed:
                print(f"{r.what} {_UNINSTALLED[r.outcome]}: {for_terminal(str(r.path), one_line=True)}")
                if r.folder is not None:
                    print(f"  and its folder, now empty: {for_terminal(str(r.folder), one_line=True)}")
                for backup in r.backups:
                    print(f"  install's backup stays: {for_terminal(str(backup), one_line=True)}")


#: How ``uninstall`` says each outcome, one line per file.
_UNINSTALLED = {
    "removed": "removed",
    "absent": "not installed",
    "kept": "kept, not collab's (it differs from what collab writes)",
}


def _emit_files(agent: AgentChoice, project: bool, files: list[dict[str, Any]]) -> None:
    """``install --json`` and ``uninstall --json``: the agent, the scope, the first file's path and
    outcome, then every file."""
    scope = "project" if project else "user"
    emit_json(
        {"agent": agent.value, "scope": scope, "path": files[0]["path"], "outcome": files[0]["outcome"], "files": files}
    )
