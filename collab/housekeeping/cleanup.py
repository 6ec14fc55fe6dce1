"""Deleting channels, and every file collab keeps for them (``collab rm``, ``collab prune``).

What belongs to a channel ``collab-<id>.md`` (contract sections 3 and 4):

- the channel file itself, which must be the user's own regular file (checked as every open is:
  :func:`collab.store.files.open_checked`);
- its state files in the private state directory (:mod:`collab.store.paths`): every name that starts
  with the channel's ``collab-<id>-<dir key>.`` (ledger, accepted copy, cursors, seats, lock,
  presence files), and the ``.collab-<id>-<dir key>.*.tmp`` files an interrupted atomic write
  leaves (:func:`collab.store.files.replace_atomic`);
- the copies collab set aside beside the channel (:func:`collab.store.paths.kept_path`):
  ``collab-<id>.<edited|torn|unreadable>-<time>-<random>.md``, and ``.<that name>.tmp`` left by a
  ``repair`` that stopped half-way.

Nothing else is touched. A file beside the channel that has one of those names but is not the
user's own regular file (another user planted it in ``/tmp``) is left alone and reported as
skipped. The channel is unlinked under its lock (``flock``, bounded by ``COLLAB_LOCK_TIMEOUT``),
so a collab writer racing the removal either appends before it or finds no channel; its state
files go while that lock and the state lock (:func:`collab.live.cursors.locked`) are still held, so no
seat, cursor or receipt is written for the channel once it is gone.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from collab import config
from collab.errors import ChannelFormatError, ChannelNotFound, ChannelRefused
from collab.ledger import reading
from collab.live import cursors
from collab.store import files, paths
from collab.text import format, naming
from collab.text.naming import CHANNEL_NAME

#: Why collab sets a copy aside beside a channel (the ``<what>`` of :func:`collab.store.paths.kept_path`).
KEPT_KINDS = ("edited", "torn", "unreadable")


class ChannelKept(ChannelRefused):
    """The channel was left in place: it is open and removal was not forced, or it is not idle yet."""


class Found(NamedTuple):
    """A channel as a removal sees it: ``state`` is ``open``, ``closed`` or ``unreadable`` (the file
    is not a channel collab can read), ``modified_ns`` the file's ``st_mtime_ns``."""

    path: Path
    state: str
    modified_ns: int


class Skipped(NamedTuple):
    """A file that was not removed, and why (one sentence)."""

    path: Path
    reason: str

    def to_json(self) -> dict[str, str]:
        """``{"path", "reason"}``."""
        return {"path": str(self.path), "reason": self.reason}


class Removal(NamedTuple):
    """What removing one channel did (or, in a dry run, would do).

    ``state`` is the channel's :attr:`Found.state`, or ``missing`` when only the files collab kept
    for it were left. ``files`` were removed, the channel first. ``left`` are collab's files for the
    channel that could not be removed; ``skipped`` are files named like them that are not the
    user's own regular files, left alone on purpose.
    """

    id: str
    path: Path
    state: str
    files: tuple[Path, ...]
    left: tuple[Skipped, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def complete(self) -> bool:
        """True when nothing of collab's for the channel is left."""
        return not self.left

    def state_kinds(self) -> list[str]:
        """What each removed file in the state directory was, by its name after the channel's
        prefix (``ledger``, ``cursors.json`` ...); a file named otherwise by its whole name."""
        prefix = paths.sidecar(self.path, "ledger", create=False).name[: -len("ledger")]
        state = [p for p in self.files if p != self.path and p.parent != self.path.parent]
        return [p.name[len(prefix) :] if p.name.startswith(prefix) else p.name for p in state]

    def to_json(self) -> dict[str, object]:
        """``{"id", "path", "state", "files": [path, ...], "left": [...], "skipped": [...]}``."""
        return {
            "id": self.id,
            "path": str(self.path),
            "state": self.state,
            "files": [str(p) for p in self.files],
            "left": [s.to_json() for s in self.left],
            "skipped": [s.to_json() for s in self.skipped],
        }


def state_files(path: Path) -> list[Path]:
    """The files in the private state directory that belong to the channel at ``path``, sorted.

    Raises:
        ChannelRefused: the state directory is not private (see :func:`collab.store.paths.state_dir`).
    """
    prefix = paths.sidecar(path, "ledger", create=False).name[: -len("ledger")]
    try:
        with os.scandir(paths.state_dir(create=False)) as found:
            names = [e.name for e in found if not e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []
    mine = [n for n in names if n.startswith(prefix) or (n.startswith("." + prefix) and n.endswith(".tmp"))]
    return sorted(paths.state_dir(create=False) / n for n in mine)


def _kept_name(path: Path) -> re.Pattern[str]:
    stem = re.escape(path.stem)
    kinds = "|".join(KEPT_KINDS)
    return re.compile(rf"\.?{stem}\.(?:{kinds})-[0-9]{{8}}T[0-9]{{12}}Z-[0-9a-f]{{8}}\.md(?:\.tmp)?")


def kept_copies(path: Path) -> tuple[list[Path], list[Skipped]]:
    """The copies collab set aside beside the channel at ``path`` (see :func:`collab.store.paths.kept_path`).

    Returns:
        The user's own regular files with such names, sorted; and the others with such names
        (another user's, a link, a FIFO), which are not collab's and must be left alone.
    """
    pattern = _kept_name(path)
    mine: list[Path] = []
    others: list[Skipped] = []
    try:
        with os.scandir(path.parent) as found:
            names = sorted(e.name for e in found if pattern.fullmatch(e.name))
    except OSError:
        return [], []
    for name in names:
        candidate = path.parent / name
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode):
            others.append(Skipped(candidate, "not a regular file, so not a copy collab kept: left alone"))
        elif st.st_uid != os.getuid():
            others.append(Skipped(candidate, f"belongs to another user (uid {st.st_uid}): left alone"))
        else:
            mine.append(candidate)
    return mine, others


def _state(fd: int, path: Path) -> Found:
    shot = reading.snapshot(fd)
    try:
        state = format.parse(shot.data, shot.damage).state
    except ChannelFormatError:
        state = "unreadable"
    return Found(path, state, os.fstat(fd).st_mtime_ns)


def inspect(path: Path) -> Found:
    """The channel at ``path`` as it is now, read without its lock (for a dry run or a listing).

    Raises:
        ChannelNotFound, ChannelRefused: as :func:`collab.store.files.open_checked` (a link, another
            user's file...).
    """
    fd = files.open_checked(path)
    try:
        return _state(fd, path)
    finally:
        os.close(fd)


#: Decides, for a channel as found under its lock, whether it goes: None, or why it stays.
Rule = Callable[[Found], str | None]


def unless_open(force: bool) -> Rule:
    """``collab rm``'s rule: a closed channel goes; an open one only with ``force``. A file that is
    not a readable channel goes only with ``force``, and only when it has a channel's name
    (``collab-<id>.md``): otherwise it may be anyone's markdown file, named by mistake."""

    def rule(found: Found) -> str | None:
        if found.state == "closed" or (force and found.state == "open"):
            return None
        if found.state == "open":
            return f"{found.path} is open: close it first (`collab close`), or add --force to delete it anyway"
        if not CHANNEL_NAME.fullmatch(found.path.name):
            return f"{found.path} is not a channel: collab deletes only its own files (rm(1) deletes others)"
        if not force:
            return f"{found.path} is not a channel collab can read: add --force to delete it anyway"
        return None

    return rule


def _belongings(path: Path) -> tuple[list[Path], tuple[Skipped, ...]]:
    """collab's files for the channel at ``path`` other than the channel, and the lookalikes to leave."""
    kept, others = kept_copies(path)
    return [*state_files(path), *kept], tuple(others)


def _remove_all(targets: list[Path]) -> tuple[tuple[Path, ...], tuple[Skipped, ...]]:
    removed: list[Path] = []
    left: list[Skipped] = []
    for each in targets:
        try:
            os.unlink(each)
        except FileNotFoundError:
            continue  # gone already (a racing rm): nothing of it is left
        except OSError as exc:
            left.append(Skipped(each, f"could not remove it: {exc.strerror}"))
        else:
            removed.append(each)
    return tuple(removed), tuple(left)


def remove(path: Path, rule: Rule, *, dry_run: bool = False) -> Removal:
    """Delete the channel at ``path`` and every file collab keeps for it, if ``rule`` lets it go.

    The channel is opened as every open does (no link, the user's own regular file with one
    link) and locked (``COLLAB_LOCK_TIMEOUT``); ``rule`` is asked under the lock, then the channel
    is unlinked and its state files and kept copies after it, the lock still held. When the
    channel file is gone but collab's files for it remain, those are removed (state ``missing``).
    A dry run reads without the lock and deletes nothing; its ``files`` are what would go.

    Returns:
        What was removed, and what was left or skipped (see :class:`Removal`).

    Raises:
        ChannelKept: ``rule`` keeps the channel (nothing was deleted).
        ChannelNotFound: there is no channel at ``path`` and nothing collab kept for one.
        ChannelRefused: the channel is a link, another user's, hard-linked, or cannot be opened
            or deleted; or the state directory is not private (nothing was deleted).
            LockTimeout: the lock stayed busy (nothing was deleted).
    """
    ident = naming.channel_id(path)
    try:
        if dry_run:
            found = inspect(path)
            if (why := rule(found)) is not None:
                raise ChannelKept(why)
            targets, others = _belongings(path)
            return Removal(ident, path, found.state, (path, *targets), skipped=others)
        with files.locked_for_append(path) as fd:
            found = _state(fd, path)
            if (why := rule(found)) is not None:
                raise ChannelKept(why)
            with cursors.locked(path, config.lock_timeout()):  # no seat or cursor is written while it goes
                targets, others = _belongings(path)  # before anything goes: a refusal here deletes nothing
                try:
                    os.unlink(path)
                except OSError as exc:
                    raise ChannelRefused(f"cannot delete {path}: {exc.strerror}; nothing was removed") from None
                removed, left = _remove_all(targets)
            return Removal(ident, path, found.state, (path, *removed), left, others)
    except ChannelNotFound:
        if os.path.lexists(path):
            raise  # a part of the path is not a directory, or the like
        targets, others = _belongings(path)
        if not targets:
            raise
        if dry_run:
            return Removal(ident, path, "missing", tuple(targets), skipped=others)
        removed, left = _remove_all(targets)
        return Removal(ident, path, "missing", removed, left, others)
