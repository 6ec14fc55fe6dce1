"""``collab install``: write collab's instructions where an agent reads them, atomically.

The texts and their places are :mod:`collab.agents`. A file already there is replaced only when it
is collab's own text (then it is ``unchanged``) or with ``force``; anything else there is refused
before a single file is written, so an agent never ends up with half of collab's files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal, NamedTuple

from collab import agents
from collab.errors import ChannelRefused

Outcome = Literal["created", "updated", "unchanged"]


class Written(NamedTuple):
    """One file ``install`` dealt with: its path, what it is, and ``created``/``updated``/``unchanged``."""

    path: Path
    what: str
    outcome: Outcome


def render_command() -> str:
    """The text of ``claude-commands/collab.md``, the ``/collab`` command (:func:`collab.agents.render_command`)."""
    return agents.render_command()


def command_path(project: bool, cwd: Path | None = None) -> Path:
    """Where ``/collab`` goes: the git top level's ``.claude/commands``, or the user's config directory."""
    return agents.agent_files("claude", project, cwd)[0].path


def install(
    agent: agents.Agent = "claude", project: bool = False, force: bool = False, cwd: Path | None = None
) -> list[Written]:
    """Write ``agent``'s files (see :func:`collab.agents.agent_files`), the main file first.

    Raises:
        ChannelRefused: a file is already at one of the paths and is not collab's text (without
            ``force``), or is not a regular file; nothing has been written then.
        OSError: a directory could not be made or a file not written.
    """
    files = agents.agent_files(agent, project, cwd)
    outcomes = [_outcome(file.path, file.text, force) for file in files]
    for file, outcome in zip(files, outcomes, strict=True):
        if outcome != "unchanged":
            write_atomically(file.path, file.text)
    return [Written(file.path, file.what, outcome) for file, outcome in zip(files, outcomes, strict=True)]


def _outcome(target: Path, text: str, force: bool) -> Outcome:
    """What writing ``text`` to ``target`` would do.

    Raises:
        ChannelRefused: ``target`` is not a regular file, or differs from ``text`` and ``force`` is False.
    """
    if not (target.exists() or target.is_symlink()):
        return "created"
    if not target.is_file() or target.is_symlink():
        raise ChannelRefused(f"{target} is not a regular file: remove it first")
    if target.read_text(encoding="utf-8", errors="replace") == text:
        return "unchanged"
    if not force:
        raise ChannelRefused(f"{target} exists and differs from collab's file: use --force to replace it")
    return "updated"


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target``, mode 0644, through a temporary file in the same folder
    renamed over it, so a reader sees the old file or the new one, never a part."""
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
