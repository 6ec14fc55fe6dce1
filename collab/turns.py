"""Turn-aware waiting: return the others' entries once their writer's turn is over (contract 6.2).

``wait`` returns as soon as there are unseen entries from others and one of these holds:

- every author of those entries is itself blocked in ``wait`` on the channel (:mod:`collab.presence`);
- no new entry has landed for ``settle`` seconds (measured from the file's last change);
- the channel was closed;
- the timeout ran out.

``settle`` 0 returns on the first entry. While it waits, the participant is marked as waiting.
Presence is re-checked on every look at the file: on each change and on the follower's idle
check (every ``idle_ms``), so no extra polling is needed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from collab import presence
from collab.errors import IntegrityError
from collab.format import Entry
from collab.watch import WatchSettings, follow

#: Seconds without a new entry after which a writer's turn counts as over, when ``--settle`` is not given.
DEFAULT_SETTLE = 5.0


class Waited(NamedTuple):
    """What a wait found: the ``entries`` to deliver, the reader's new cursor ``seen``, whether the
    channel is ``closed``, and the names ``waiting`` on the channel when it returned."""

    entries: tuple[Entry, ...]
    seen: int
    closed: bool
    waiting: tuple[str, ...]


class _Stop:
    """Ends the follower at the timeout, or once the settle time has passed since the last entry."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout_at = None if timeout is None else time.monotonic() + timeout
        self.settle_at: float | None = None

    def is_set(self) -> bool:
        now = time.monotonic()
        return any(at is not None and now >= at for at in (self.timeout_at, self.settle_at))


def _quiet_for(path: Path) -> float:
    """Seconds since the channel last changed (0 when it cannot be told)."""
    try:
        return max(0.0, time.time() - os.stat(path).st_mtime)
    except OSError:
        return 0.0


def _turns_over(path: Path, entries: list[Entry]) -> bool:
    """True when every author of ``entries`` is blocked in ``wait`` on the channel now."""
    authors = {e.author for e in entries}
    return None not in authors and all(presence.is_waiting(path, a) for a in authors if a is not None)


def wait_turn(
    path: Path,
    name: str,
    own: Callable[[Entry], bool],
    *,
    after: int,
    include_own: bool = False,
    timeout: float | None = None,
    settle: float = DEFAULT_SETTLE,
    settings: WatchSettings | None = None,
) -> Waited:
    """Wait as participant ``name`` for the entries after the ``after``-th, until the writer's turn is over.

    Args:
        path: the channel.
        name: who waits (marked as waiting meanwhile).
        own: which entries are the reader's own; they are skipped unless ``include_own``.
        after: the reader's cursor (entries from the top already seen).
        timeout: give up after this many seconds (None: never).
        settle: seconds without a new entry after which the turn counts as over; 0 returns at once.
        settings: how the file is watched.

    Raises:
        IntegrityError: entries delivered earlier were edited while waiting.
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    stop = _Stop(timeout)
    wanted: list[Entry] = []
    seen, closed = after, False
    with presence.waiting(path, name):
        hold = 0.0 if settle <= 0 else None  # --settle 0: an entry as soon as its last line has ended
        for update in follow(path, after=after, stop_event=stop, settings=settings, every_tick=True, hold_s=hold):
            if update.edited:
                raise IntegrityError(f"{'; '.join(update.notices)}: run `collab verify {path}` to see what changed")
            wanted += [e for e in update.entries if include_own or not own(e)]
            seen, closed = max(seen, update.seen), update.closed
            if update.entries and wanted:
                stop.settle_at = time.monotonic() + max(0.0, settle - _quiet_for(path))
            if closed or (wanted and (settle <= 0 or stop.is_set() or _turns_over(path, wanted))):
                break
    return Waited(tuple(wanted), seen, closed, tuple(presence.waiting_names(path)))
