"""``collab install``: write collab's instructions where an agent reads them, atomically.

The texts and their places are :mod:`collab.integrations.agents`. A file already there is replaced only when it
is collab's own text (then it is ``unchanged``) or with ``force``; anything else there is refused
before a single file is written, so an agent never ends up with half of collab's files.

Every file lies below a *root*: the home directory, a configuration directory the environment
names, or the project's top level. The root is trusted when this user or root owns it. Below it,
collab never follows a link: a repository can carry a committed ``.claude -> /home/someone``, and
a shared directory can hold another user's folder. So each directory on the way is opened one
step at a time relative to the one before (``O_DIRECTORY|O_NOFOLLOW`` with ``dir_fd``), must
belong to this user, and is made with ``mkdir`` relative to its parent when missing; the file is
written as a temporary name in the last directory and renamed over the target through the same
descriptor. A link, a non-directory or another user's directory on the way is refused, naming it,
before anything is written. ``collab uninstall`` (:mod:`collab.integrations.uninstall`) walks the
same way with :func:`descend` and reads a file there with :func:`read_existing`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal, NamedTuple

from collab.errors import ChannelRefused
from collab.integrations import agents
from collab.store.files import replace_atomic

Outcome = Literal["created", "updated", "unchanged"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
#: Mode of the directories ``install`` makes (before the umask): others may read, never write.
_DIR_MODE = 0o755
#: Mode of the files ``install`` writes: agents of any user may read them.
_FILE_MODE = 0o644


#: What a backup ``install --force`` keeps is called: ``NAME``, then this, then the time.
BACKUP_INFIX = ".collab-backup-"


class Written(NamedTuple):
    """One file ``install`` dealt with: its path, what it is, ``created``/``updated``/``unchanged``,
    and, for a file it replaced, where the file as it was is kept (``NAME.collab-backup-TIME``)."""

    path: Path
    what: str
    outcome: Outcome
    backup: Path | None = None


def render_command() -> str:
    """The text of ``claude-commands/collab.md``, the ``/collab`` command.

    See :func:`collab.integrations.agents.render_command`.
    """
    return agents.render_command()


def command_path(project: bool, cwd: Path | None = None) -> Path:
    """Where ``/collab`` goes: the git top level's ``.claude/commands``, or the user's config directory."""
    return agents.agent_files("claude", project, cwd)[0].path


def install(
    agent: agents.Agent = "claude", project: bool = False, force: bool = False, cwd: Path | None = None
) -> list[Written]:
    """Write ``agent``'s files (see :func:`collab.integrations.agents.agent_files`), the main file first.

    Raises:
        UsageError: ``HOME``, ``CLAUDE_CONFIG_DIR`` or ``GEMINI_CLI_HOME`` is malformed.
        ChannelRefused: a file is already at one of the paths and is not collab's text (without
            ``force``), or is not a regular file of this user; or a directory on the way is a link,
            not a directory, or another user's; or the root belongs to another user. Nothing has
            been written then. Also when a directory could not be made or a file not written
            (permissions, a full disk); the files before it in the list are written then.
        OSError: writing or renaming the file failed after it was opened.
    """
    files = agents.agent_files(agent, project, cwd)
    outcomes = [_outcome(file, force) for file in files]
    written = []
    for file, outcome in zip(files, outcomes, strict=True):
        backup = _write(file, keep=outcome == "updated") if outcome != "unchanged" else None
        written.append(Written(file.path, file.what, outcome, backup))
    return written


def _outcome(file: agents.AgentFile, force: bool) -> Outcome:
    """What writing ``file`` would do, found without creating or changing anything.

    Raises:
        ChannelRefused: the way to the file is unsafe (see :func:`descend`), the file is not a
            regular file of this user, or it differs and ``force`` is False.
    """
    folder = descend(file, create=False)
    if folder is None:
        return "created"
    try:
        current = compare_existing(folder, file)
    finally:
        os.close(folder)
    if current is None:
        return "created"
    if current[0]:
        return "unchanged"
    if not force:
        raise ChannelRefused(f"{file.path} exists and differs from collab's file: use --force to replace it")
    return "updated"


def _write(file: agents.AgentFile, *, keep: bool = False) -> Path | None:
    """Make the directories down to ``file`` and write it there atomically, mode 0644; with ``keep``,
    the file that was there stays, under a new name beside it (a hard link: the same bytes, nothing
    copied), which is returned.

    The text goes to a new temporary name (``O_CREAT|O_EXCL|O_NOFOLLOW``) in the file's directory,
    which is then renamed over the target, both through the directory's descriptor
    (:func:`collab.store.files.replace_atomic` with ``dir_fd``): a reader sees the old file or the
    new one, never a part, and a link at the target is replaced, not followed.
    """
    folder = descend(file, create=True)
    if folder is None:  # cannot happen: with create=True each directory is made or refused
        raise ChannelRefused(f"{file.path.parent} could not be made: run install again")
    try:
        backup = _keep(folder, file.path) if keep else None
        # fchmod as well: the umask may have taken bits that agents of other users need
        replace_atomic(file.path, file.text.encode("utf-8"), _FILE_MODE, dir_fd=folder, exact_mode=True)
    finally:
        os.close(folder)
    return backup


def _keep(folder: int, path: Path) -> Path | None:
    """Give the file ``path.name`` in the open directory ``folder`` a second name beside it,
    ``NAME.collab-backup-YYYYMMDDTHHMMSS`` (link(2), never following a link); None when it is gone.

    Raises:
        ChannelRefused: the name cannot be made (permissions, a full disk): nothing was replaced.
    """
    from datetime import UTC, datetime

    kept = f"{path.name}{BACKUP_INFIX}{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
    try:
        os.link(path.name, kept, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ChannelRefused(f"cannot keep {path} before replacing it: {exc.strerror}; nothing was replaced") from None
    return path.with_name(kept)


def descend(file: agents.AgentFile, *, create: bool, command: str = "install") -> int | None:
    """Open the directory that holds ``file``, one checked step at a time from its root.

    A root that does not exist yet (a ``CLAUDE_CONFIG_DIR`` to be) starts from its nearest
    existing ancestor, and the missing part is walked like the rest.

    Args:
        file: the file; ``file.path`` lies below ``file.root``.
        create: make each missing directory (mode 0755 before the umask); else stop at the first.
        command: the command that walks (``install``, ``uninstall``), as the messages name it.

    Returns:
        A descriptor of the file's directory (the caller closes it), or None when a directory is
        missing and ``create`` is False.

    Raises:
        ChannelRefused: the root belongs to another user (not root), a directory below it is a
            link, not a directory or another user's, or a part of the root still to be made is ``..``.
    """
    start, missing = _existing_ancestor(file.root)
    steps = [*missing, *file.path.relative_to(file.root).parent.parts]
    if ".." in steps:
        raise ChannelRefused(f"{file.root} has a .. below its last existing directory: give the path without ..")
    fd = os.open(start, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    here = start
    try:
        owner = os.fstat(fd).st_uid
        if owner not in (os.getuid(), 0):
            raise ChannelRefused(
                f"{start} belongs to another user (uid {owner}): collab {command}s only below a directory "
                "that you or root own; run it as that user, or point HOME or the project elsewhere"
            )
        for name in steps:
            here = here / name
            if create:
                try:
                    os.mkdir(name, _DIR_MODE, dir_fd=fd)
                except FileExistsError:
                    pass  # whatever is there is checked by the open below
                except OSError as exc:
                    raise ChannelRefused(f"cannot make the directory {here}: {exc.strerror}") from None
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno == errno.ENOENT and not create:
                    os.close(fd)
                    return None
                raise _unsafe_step(fd, name, here, exc, command) from None
            os.close(fd)
            fd = child
            owner = os.fstat(fd).st_uid
            if owner != os.getuid():
                raise ChannelRefused(
                    f"{here} belongs to another user (uid {owner}): collab does not write into it; "
                    "remove or move it, or run collab as its owner"
                )
    except BaseException:
        os.close(fd)
        raise
    return fd


def _existing_ancestor(root: Path) -> tuple[Path, list[str]]:
    """``root`` if it is a directory, else its nearest ancestor that is, and the names in between."""
    missing: list[str] = []
    here = root
    while not here.is_dir() and here.parent != here:
        missing.insert(0, here.name)
        here = here.parent
    return here, missing


def _unsafe_step(parent: int, name: str, path: Path, exc: OSError, command: str) -> ChannelRefused:
    """Why the directory ``name`` in ``parent`` (at ``path``) could not be opened, as one line to act on."""
    try:
        mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):
        return ChannelRefused(
            f"{path} is a symbolic link: collab does not follow links when it {command}s; "
            f"replace the link with a real directory (or remove it) and run {command} again"
        )
    if mode is not None and not stat.S_ISDIR(mode):
        return ChannelRefused(f"{path} is in the way and is not a directory: move it away and run {command} again")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ChannelRefused(f"permission denied for {path}: collab cannot write there; fix its permissions")
    return ChannelRefused(f"cannot open {path}: {exc.strerror}")


def compare_existing(folder: int, file: agents.AgentFile) -> tuple[bool, os.stat_result] | None:
    """Whether the file at ``file.path`` in the open directory ``folder`` is exactly collab's text
    (``file.text``), and its status as read; None if absent. What ``install`` calls ``unchanged``
    and ``uninstall`` removes.

    Raises:
        ChannelRefused: as :func:`read_existing`.
    """
    expected = file.text.encode("utf-8")
    found = read_existing(folder, file.path, len(expected) + 1)
    if found is None:
        return None
    return found[0] == expected, found[1]


def read_existing(folder: int, path: Path, limit: int) -> tuple[bytes, os.stat_result] | None:
    """The first ``limit`` bytes of the file ``path.name`` in the open directory ``folder``, and its
    status as it was read (:func:`os.fstat`); None if absent.

    Raises:
        ChannelRefused: it is a link, not a regular file, or another user's.
    """
    try:
        fd = os.open(path.name, _READ_FLAGS, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ChannelRefused(f"{path} is a symbolic link, not a regular file: remove it first") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise ChannelRefused(f"permission denied for {path}: remove it or fix its permissions") from None
        raise ChannelRefused(f"cannot open {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ChannelRefused(f"{path} is not a regular file: remove it first")
        if st.st_uid != os.getuid():
            raise ChannelRefused(f"{path} belongs to another user (uid {st.st_uid}): remove it first")
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            chunk = os.read(fd, limit - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)
