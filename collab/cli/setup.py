"""Commands that set collab up for an agent: ``install``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from collab.cli.app import JsonOpt, command, emit_json, reporting
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
            emit_json(
                {
                    "agent": agent.value,
                    "scope": "project" if project else "user",
                    "path": files[0]["path"],
                    "outcome": files[0]["outcome"],
                    "files": files,
                }
            )
        else:
            for w in written:
                print(f"{w.what} {w.outcome}: {for_terminal(str(w.path), one_line=True)}")
                if w.backup is not None:
                    print(f"  the file that was there is kept as {for_terminal(str(w.backup), one_line=True)}")
