"""``collab uninstall``: take away the files ``collab install`` wrote, and nothing else.

A file is collab's own only when its bytes are exactly the text ``install`` writes today: the
test ``install`` uses to call a file ``unchanged`` (anything else there makes ``install`` refuse
without ``--force``). So a person's own file at collab's path, or one they edited, is kept as it
is, and so is a copy written by an older collab whose text has changed since: collab cannot tell
the two apart, and a file kept by mistake costs less than one lost.

The way to each file is walked as ``install`` walks it (:func:`collab.integrations.install.descend`):
one directory at a time, following no link and entering no directory of another user below the
root, and every file is checked before any is removed, so a refusal leaves everything as it was.
The folder of a skill, ``skills/collab/``, is named after the skill (the Agent Skills
specification: the name equals the directory's), so it is collab's own and goes too once empty;
the folders that hold it (``.agents/skills``, ``.claude/commands``) are shared and always stay.
The backups ``install --force`` kept beside a file (``NAME.collab-backup-TIME``) are the
person's, and stay.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, NamedTuple

from collab.errors import ChannelRefused
from collab.integrations import agents
from collab.integrations.install import BACKUP_INFIX, compare_existing, descend

Outcome = Literal["removed", "absent", "kept"]


class Removed(NamedTuple):
    """One file ``uninstall`` dealt with: its path, what it is, and ``removed``, ``absent`` (it was not
    there) or ``kept`` (it is not collab's text); the backups install kept beside it; and the skill
    folder that went with it, once empty."""

    path: Path
    what: str
    outcome: Outcome
    backups: tuple[Path, ...] = ()
    folder: Path | None = None


def uninstall(agent: agents.Agent = "claude", project: bool = False, cwd: Path | None = None) -> list[Removed]:
    """Remove ``agent``'s files (:func:`collab.integrations.agents.agent_files`) that are collab's text.

    The skill in ``.agents/skills/collab/`` is one file shared by codex, copilot, opencode and
    gemini: removing it for one of them removes it for all.

    Args:
        agent: one of :data:`collab.integrations.agents.AGENTS`.
        project: the project's copy (under the git top level holding ``cwd``) instead of the user's.
        cwd: where the command runs (default: the current directory).

    Returns:
        One :class:`Removed` per file, the agent's main file first.

    Raises:
        UsageError: ``HOME``, ``CLAUDE_CONFIG_DIR`` or ``GEMINI_CLI_HOME`` is malformed.
        ChannelRefused: a directory on the way is a link, not a directory, or another user's; the
            root is another user's; or a file at one of the paths is a link, not a regular file, or
            another user's. Nothing has been removed then.
        OSError: removing a file failed (permissions); the files before it are removed then.
    """
    files = agents.agent_files(agent, project, cwd)
    for file in files:
        _settle(file, remove=False)
    return [_settle(file, remove=True) for file in files]


def _settle(file: agents.AgentFile, *, remove: bool) -> Removed:
    """What uninstalling ``file`` does; with ``remove``, do it.

    Raises:
        ChannelRefused: as :func:`uninstall` says.
    """
    folder = descend(file, create=False, command="uninstall")
    if folder is None:
        return Removed(file.path, file.what, "absent")
    try:
        outcome = _remove_if_ours(folder, file) if remove else _look(folder, file)
        backups = _backups(folder, file.path)
    finally:
        os.close(folder)
    gone = _remove_folder(file) if outcome == "removed" and _is_skill_folder(file) else None
    return Removed(file.path, file.what, outcome, backups, gone)


def _look(folder: int, file: agents.AgentFile) -> Outcome:
    """``removed`` when the file in the open directory ``folder`` is collab's text, ``absent`` or ``kept``."""
    found = compare_existing(folder, file)
    if found is None:
        return "absent"
    return "removed" if found[0] else "kept"


def _remove_if_ours(folder: int, file: agents.AgentFile) -> Outcome:
    """Unlink the file in the open directory ``folder`` if it is collab's text and still the file read."""
    found = compare_existing(folder, file)
    if found is None:
        return "absent"
    ours, read = found
    if not ours:
        return "kept"
    try:
        now = os.stat(file.path.name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return "absent"
    if _identity(now) != _identity(read):
        return "kept"  # replaced or written to since it was read: whatever is there now was not checked
    os.unlink(file.path.name, dir_fd=folder)
    return "removed"


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """Which file this is, and whether it was written to: device, inode, size, modification time."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _backups(folder: int, path: Path) -> tuple[Path, ...]:
    """The backups ``install --force`` kept of ``path`` in the open directory ``folder``, oldest first."""
    prefix = path.name + BACKUP_INFIX
    return tuple(path.with_name(name) for name in sorted(os.listdir(folder)) if name.startswith(prefix))


def _is_skill_folder(file: agents.AgentFile) -> bool:
    """Whether ``file`` is a skill's ``SKILL.md`` in collab's own ``collab/`` folder below its root."""
    return file.path.name == "SKILL.md" and file.path.parent.name == "collab" and file.path.parent != file.root


def _remove_folder(file: agents.AgentFile) -> Path | None:
    """Remove the folder holding ``file`` if it is empty now (rmdir(2), which follows no link); the
    folder when it went, None when it stays (something else is in it, or it could not be removed).

    The way to the folder was checked a moment ago; if it is unsafe now, the folder stays.
    """
    skill_folder = file.path.parent
    try:
        parent = descend(file._replace(path=skill_folder), create=False, command="uninstall")
    except ChannelRefused:
        return None  # changed since it was checked: the file is gone, and the folder stays
    if parent is None:
        return None
    try:
        os.rmdir(skill_folder.name, dir_fd=parent)
    except OSError:
        return None  # not empty (a backup, a file of the person's), gone already, or not ours to remove
    finally:
        os.close(parent)
    return skill_folder
