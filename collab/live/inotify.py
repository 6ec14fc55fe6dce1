"""Wait for changes to a few files with Linux inotify, waking on file-system events alone.

The process sleeps in ``poll(2)`` on one inotify descriptor, with a timeout equal to the next
moment something is actually due: the settled look after a burst of changes, the caller's next
deadline (``wake_at``), or the next check of a stop event that cannot wake a sleeping process (a
:class:`threading.Event`). Nothing else wakes it: an idle wait costs no CPU, and a change is
read the moment its event arrives (no debounce: the events queued by then are read at once).

The directories of the files are watched, not the files, so a file replaced by a rename or deleted
and created again is still seen. Events that only read a file (open, access, close without writing)
are not asked for: readers, this process among them, would wake every watcher.

:mod:`inotify_simple` holds the system calls; :func:`collab.live.watch.changed_paths` chooses this
or :mod:`watchfiles` (file systems without events, systems without inotify).
"""

from __future__ import annotations

import math
import os
import select
import time
from collections.abc import Callable, Iterator, Sequence

from inotify_simple import INotify, flags

from collab.live.watch import Changes, StopEvent, WatchSettings

__all__ = ["STOP_CHECK_S", "changes"]

#: Seconds between two looks at a stop event that has no ``next_check`` (it cannot wake a sleeper).
STOP_CHECK_S = 0.25

_MASK = (
    flags.MODIFY
    | flags.ATTRIB
    | flags.CLOSE_WRITE
    | flags.CREATE
    | flags.DELETE
    | flags.MOVED_FROM
    | flags.MOVED_TO
    | flags.DELETE_SELF
    | flags.MOVE_SELF
    | flags.ONLYDIR
)
#: The watch on a directory is gone (the directory was deleted, moved, or its file system unmounted).
_LOST = flags.IGNORED | flags.DELETE_SELF | flags.MOVE_SELF | flags.UNMOUNT


def _earliest(*moments: float | None) -> float | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def _stop_check(stop_event: StopEvent | None, now: float) -> float | None:
    """When ``stop_event`` must be asked again: its own ``next_check()``, else every :data:`STOP_CHECK_S`."""
    if stop_event is None:
        return None
    next_check: Callable[[], float | None] | None = getattr(stop_event, "next_check", None)
    return next_check() if next_check is not None else now + STOP_CHECK_S


class _Watches:
    """The directories watched, by watch descriptor, and the file names wanted in each."""

    def __init__(self, notify: INotify, targets: Sequence[str]) -> None:
        self.notify = notify
        self.names: dict[str, set[str]] = {}
        for target in targets:
            directory, name = os.path.split(target)
            self.names.setdefault(directory, set()).add(name)
        self.by_wd: dict[int, list[str]] = {}
        self.lost: set[str] = set()
        for directory in self.names:
            self.add(directory)

    def add(self, directory: str) -> bool:
        """Watch ``directory``; False (and counted as lost) when it cannot be watched now."""
        try:
            wd = self.notify.add_watch(directory, _MASK)
        except OSError:
            self.lost.add(directory)
            return False
        self.by_wd.setdefault(wd, []).append(directory)
        self.lost.discard(directory)
        return True

    def targets(self, directories: Sequence[str]) -> set[str]:
        return {os.path.join(d, n) for d in directories for n in self.names[d]}

    def read(self) -> set[str]:
        """The targets the queued events name (every one after an overflow or a lost directory)."""
        changed: set[str] = set()
        for event in self.notify.read(timeout=0):
            if event.mask & flags.Q_OVERFLOW:
                changed |= self.targets(list(self.names))
                continue
            directories = self.by_wd.get(event.wd, [])
            if event.mask & _LOST:
                self.by_wd.pop(event.wd, None)
                self.lost.update(directories)
                changed |= self.targets(directories)
                continue
            changed |= {os.path.join(d, event.name) for d in directories if event.name in self.names[d]}
        return changed

    def retry(self) -> set[str]:
        """Watch again the directories lost; the targets in those that came back."""
        back = [d for d in sorted(self.lost) if self.add(d)]
        return self.targets(back)


def changes(
    targets: Sequence[str],
    settings: WatchSettings,
    stop_event: StopEvent | None = None,
    wake_at: Callable[[], float | None] = lambda: None,
) -> Iterator[Changes]:
    """Yield :class:`collab.live.watch.Changes` for ``targets`` (file paths), as
    :func:`collab.live.watch.changed_paths` describes; the first once every directory is watched.

    A directory that cannot be watched (it is gone) is tried again every ``poll_ms``.

    Raises:
        OSError: inotify cannot be used here (no such system call, or the per-user limits reached).
    """
    idle, retry_s = settings.idle_ms / 1000, settings.poll_ms / 1000
    with INotify() as notify:
        watches = _Watches(notify, targets)
        poller = select.poll()
        poller.register(notify.fileno(), select.POLLIN)
        settle_at: float | None = time.monotonic() + idle  # the look after arming is a change too
        yield Changes(frozenset(), False)
        while stop_event is None or not stop_event.is_set():
            now = time.monotonic()
            retry_at = now + retry_s if watches.lost else None
            due = _earliest(settle_at, wake_at(), _stop_check(stop_event, now), retry_at)
            timeout = None if due is None else max(1, math.ceil((due - now) * 1000))
            changed = watches.read() if poller.poll(timeout) else set()
            if watches.lost and retry_at is not None and time.monotonic() >= retry_at:
                changed |= watches.retry()
            now = time.monotonic()
            if changed:
                settle_at = now + idle
                yield Changes(frozenset(changed), False)
            elif settle_at is not None and now >= settle_at:
                settle_at = None
                yield Changes(frozenset(), True)
            elif (wake := wake_at()) is not None and now >= wake:
                yield Changes(frozenset(), False)
