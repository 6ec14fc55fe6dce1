"""Readers' cursors: how many entries each reader of a channel has seen, so ``wait`` misses nothing.

The cursors of a channel live in the user's private state directory, in the file
``collab.store.paths.sidecar(channel, "cursors.json")``, never beside the channel: in a shared directory
such as ``/tmp`` another user could plant a file, a link or a FIFO there first (contract section 7,
point 8). The file reads::

    {"channel": "<id>", "readers": {"site-a": {"seen": 5, "updated": "2026-06-22T14:05:02Z"}}}

``seen`` counts entries from the top of the channel. The file has mode 0600 and is replaced
atomically (:func:`collab.store.files.replace_atomic`), so a reader needs no lock. Updates hold
``flock(LOCK_EX)`` on a private lock file beside it (``sidecar(channel, "lock")``), so two waiters
updating at once never lose each other's cursor, and a cursor only moves forward. That lock is not
the channel's: a writer holding the channel's lock, even one stopped while holding it, never blocks
a cursor update; and a cursor update gives up after ``COLLAB_LOCK_TIMEOUT`` seconds rather than hang.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collab import config
from collab.errors import ChannelNotFound, ChannelRefused
from collab.store import files, paths
from collab.text import naming
from collab.text.grammar import format_timestamp

_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_ADVICE = "remove it: it only records how far each reader has read"


def state_path(channel_path: Path, *, create: bool = True) -> Path:
    """The cursors file of the channel at ``channel_path``, in the private state directory.

    Raises:
        ChannelRefused: the state directory is not private (see :func:`collab.store.paths.state_dir`).
    """
    return paths.sidecar(channel_path, "cursors.json", create=create)


def _read(path: Path) -> tuple[dict[str, Any], str | None]:
    try:
        raw = files.read_checked(path)
    except ChannelNotFound:
        return {}, None
    except ChannelRefused as exc:
        raise ChannelRefused(f"collab's cursors file cannot be used: {exc}. {path}: {_ADVICE}") from None
    try:
        readers = json.loads(raw)["readers"]
        if not isinstance(readers, dict) or not all(isinstance(v.get("seen"), int) for v in readers.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # nested too deeply
        return {}, f"the readers' cursors in {path} were unreadable and start again from the top"
    return readers, None


def load(channel_path: Path, reader: str) -> tuple[int, str | None]:
    """How many entries ``reader`` has seen (0 if never), and a warning if the cursors file was damaged.

    Raises:
        ChannelRefused: the cursors file is a link, another user's file, or not a regular file; or
            the state directory is not private.
    """
    readers, warning = _read(state_path(channel_path, create=False))
    state = readers.get(reader)
    return (state["seen"] if state else 0), warning


@contextmanager
def locked(channel_path: Path, timeout: float) -> Iterator[None]:
    """Hold ``flock(LOCK_EX)`` on the channel's private lock file, waiting at most ``timeout`` seconds.

    Once locked, the path must still name the locked file (:func:`collab.store.files.locked_at`):
    ``collab rm`` may remove the lock file while another process waits for it, and a lock on a
    removed file excludes no one. And the channel must still exist: ``collab rm`` removes it
    holding this lock, so a process that gets the lock afterwards removes the lock file it made and
    writes no state for a channel that is gone.

    Raises:
        ChannelNotFound: the channel was removed (``collab rm``) before the lock was got.
        ChannelRefused: the lock file cannot be used safely, or keeps being replaced.
        LockTimeout: the lock stayed busy for ``timeout`` seconds.
    """
    path = paths.sidecar(channel_path, "lock")
    replaced = f"collab's lock file {path} keeps being replaced while collab waits for it; try again"
    with files.locked_at(path, lambda: _open_lock(path), timeout, replaced):
        if not os.path.lexists(channel_path):
            os.unlink(path)  # made by this open: the channel went while this process waited
            raise ChannelNotFound(f"no channel at {channel_path}: it was removed (`collab ls` lists channels)")
        yield


def _open_lock(path: Path) -> int:
    """Open (creating it, mode 0600) the lock file: a regular file of this user, never through a link."""
    try:
        fd = os.open(path, _LOCK_FLAGS, 0o600)
    except OSError as exc:
        raise ChannelRefused(f"cannot open collab's lock file {path}: {exc.strerror}; {_ADVICE}") from None
    try:
        files.check_fd(fd, path)
    except ChannelRefused as exc:
        os.close(fd)
        raise ChannelRefused(f"collab's lock file cannot be used: {exc}. {path}: {_ADVICE}") from None
    return fd


def advance(
    channel_path: Path,
    reader: str,
    seen: int,
    now: datetime | None = None,
    timeout: float | None = None,
    ceiling: int | None = None,
) -> int:
    """Move ``reader``'s cursor forward to ``seen`` (never back); return the cursor now stored.

    Args:
        channel_path: the channel's path (the channel itself is not opened).
        reader: the reader's name (``--as``).
        seen: how many entries, from the top of the channel, the reader has now seen.
        now: when, for the ``updated`` field; default the current time.
        timeout: how long to wait for the cursors lock, in seconds; default ``COLLAB_LOCK_TIMEOUT``
            (:func:`collab.config.lock_timeout`).
        ceiling: how many entries the channel has, when the caller read it: a stored cursor past it
            is stale (it would skip every entry up to it) and is replaced by ``seen``.

    Raises:
        ChannelRefused: the cursors file, its lock file or the state directory cannot be used safely.
        CollabError: another process held the cursors lock for over ``COLLAB_LOCK_TIMEOUT`` seconds.
        UsageError: ``timeout`` is None and ``COLLAB_LOCK_TIMEOUT`` is malformed.
    """
    return max(take(channel_path, reader, seen, now, timeout, ceiling), seen)


def take(
    channel_path: Path,
    reader: str,
    seen: int,
    now: datetime | None = None,
    timeout: float | None = None,
    ceiling: int | None = None,
) -> int:
    """Move ``reader``'s cursor forward to ``seen`` as :func:`advance` does; return the cursor *before*
    (a stale one past ``ceiling`` counts as ``ceiling``).

    Reading and moving happen under one lock, so of two deliverers racing for the same entries
    (the wake hook and a ``collab wait``), each delivers only those after what the other took.

    Raises:
        As :func:`advance`.
    """
    with locked(channel_path, config.lock_timeout() if timeout is None else timeout):
        return _move(channel_path, reader, seen, now, ceiling)


def _move(channel_path: Path, reader: str, seen: int, now: datetime | None, ceiling: int | None = None) -> int:
    """Under the lock: move ``reader``'s cursor forward to ``seen``; return the cursor before.

    A stored cursor past ``ceiling`` (the entries the channel has) is stale, and would skip every
    entry up to it: it is taken as ``ceiling`` and replaced by ``seen``.
    """
    path = state_path(channel_path)
    readers, _warning = _read(path)
    record = readers.get(reader, {})
    stored = int(record.get("seen", 0))
    before = stored if ceiling is None else min(stored, ceiling)
    if seen > before or stored != before:
        readers[reader] = record | {"seen": max(seen, before), "updated": format_timestamp(now or datetime.now(UTC))}
        save(channel_path, readers)
    return before


def save(channel_path: Path, readers: dict[str, Any]) -> None:
    """Under the lock (:func:`locked`): replace the cursors file with ``readers``."""
    document = {"channel": naming.channel_id(channel_path), "readers": readers}
    files.replace_atomic(state_path(channel_path), (json.dumps(document, indent=1) + "\n").encode())


def readers(channel_path: Path) -> dict[str, dict[str, Any]]:
    """Every reader's record, by name: ``seen`` (entries), ``updated`` (when it last moved), and
    ``told`` (the receipts :mod:`collab.live.receipts` last gave it). Empty when there is none yet.

    Raises:
        ChannelRefused: as :func:`load`.
    """
    return _read(state_path(channel_path, create=False))[0]
