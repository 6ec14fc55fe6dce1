"""Presence: which participants are blocked in ``wait`` on a channel right now (contract 6.2).

A waiting participant holds a shared open-file-description lock on its presence file in the
private state directory (:func:`collab.store.paths.presence_file`, :func:`collab.store.files.hold_shared`).
The kernel drops the lock when the process ends, SIGKILL included, so presence is never stale.
Others ask the kernel whether a lock is held (``F_OFD_GETLK``, :func:`collab.store.files.held_elsewhere`)
without taking one, so two readers checking at once never see each other as a waiter. Where the
system has no such locks, nobody reads as waiting, and ``wait`` falls back to ``--settle``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from collab.errors import CollabError
from collab.store import files, paths

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_PREFIX = ".waiting-"


@contextmanager
def waiting(channel_path: Path, name: str) -> Iterator[bool]:
    """Mark ``name`` as waiting on the channel while the block runs; yields whether that worked.

    Presence is best effort: a presence file that cannot be used (planted by someone else, say)
    leaves the participant unmarked, and the wait goes on.
    """
    try:
        path = paths.presence_file(channel_path, name)
        fd = os.open(path, _FLAGS, 0o600)
    except (OSError, CollabError):
        yield False
        return
    try:
        files.check_fd(fd, path)
        files.hold_shared(fd)
    except (OSError, CollabError):
        os.close(fd)
        yield False
        return
    try:
        yield True
    finally:
        os.close(fd)  # closing the only descriptor drops the lock


def is_waiting(channel_path: Path, name: str) -> bool:
    """True when a live process holds ``name``'s presence lock on the channel."""
    try:
        return _held(paths.presence_file(channel_path, name, create=False))
    except CollabError:
        return False


def _held(path: Path) -> bool:
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return False
    try:
        files.check_fd(fd, path)
        return files.held_elsewhere(fd)
    except (OSError, CollabError):
        return False
    finally:
        os.close(fd)


def waiting_names(channel_path: Path) -> list[str]:
    """The names of the participants blocked in ``wait`` on the channel now, sorted."""
    found = []
    for path in paths.presence_files(channel_path):
        if _held(path):
            found.append(path.name.split(_PREFIX, 1)[1])
    return sorted(found)
