"""The ``/collab`` Claude Code slash command: generate it from ``templates/command.md``, install it.

Claude Code reads user commands from ``~/.claude/commands/NAME.md`` (``$CLAUDE_CONFIG_DIR`` replaces
``~/.claude``) and project commands from ``./.claude/commands/NAME.md``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from collab import templates
from collab.errors import ChannelRefused

#: Seconds each ``collab wait`` of session A may block: below Claude Code's 2-minute Bash default.
WAIT_TIMEOUT_SECONDS = 100


def render_command() -> str:
    """The text of ``claude-commands/collab.md``."""
    return templates.render("command.md", wait_timeout=str(WAIT_TIMEOUT_SECONDS))


def command_path(project: bool, cwd: Path | None = None) -> Path:
    """Where ``/collab`` goes: the project's ``.claude/commands`` or the user's config directory."""
    if project:
        return (cwd or Path.cwd()) / ".claude" / "commands" / "collab.md"
    config = os.environ.get("CLAUDE_CONFIG_DIR")
    base = Path(config) if config else Path.home() / ".claude"
    return base / "commands" / "collab.md"


def install(target: Path, force: bool = False) -> str:
    """Write the slash command to ``target`` atomically; return ``created``, ``updated`` or ``unchanged``.

    Raises:
        ChannelRefused: a different file is already there and ``force`` is False.
    """
    text = render_command()
    existed = target.exists() or target.is_symlink()
    if existed:
        if not target.is_file() or target.is_symlink():
            raise ChannelRefused(f"{target} is not a regular file: remove it first")
        if target.read_text(encoding="utf-8", errors="replace") == text:
            return "unchanged"
        if not force:
            raise ChannelRefused(f"{target} exists and differs from collab's command: use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".collab-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise
    return "updated" if existed else "created"
