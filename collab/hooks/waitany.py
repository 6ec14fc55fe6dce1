"""Turn-aware waiting on several channels at once, for the wake hook (contract sections 6.2 and 8).

The turn rule is :func:`collab.live.turns.remaining`, per channel: a channel is *ready* once it holds
unseen entries from others and every author's turn is over; or once it was closed (by someone
else) while waited on. The wait returns every channel that is ready at that moment, each entry as
it stands then.

One watcher (:func:`collab.live.watch.changed_paths`) covers the directories of all the channels
(non-recursively, filtered to the channels' paths and to ``extra`` paths, such as the hook's sleeper
file) and drives one :class:`collab.live.follower.Follower` per channel, as
:func:`collab.live.watch.follow` does for one. The followers read each channel once before the
watch is armed and again once it is, so an entry landing meanwhile is not missed. Presence is
re-checked on each look at the files.

The rule, and how it is asked again by time (:class:`collab.live.turns.TurnClock`, one per
channel: the watcher looks again when the first comes due; and :class:`collab.live.turns.Stop`),
are those of ``wait_turn``; so is the waiter's own presence never ending a turn (this process
holds that name's presence itself). A sleeping hook with nothing to wait for by time wakes only
on a change of its files, or to look at ``halt``. The differences,
all because a hook waits on behalf of a session that may still be writing (a busy turn does not
stop the hook):

- ``own`` is asked afresh at each decision, so entries the session wrote while the hook slept
  are its own, never news; an entry under the waiter's name that its seat has not (yet) recorded
  waits for the settle time, then is checked against the seats registry again.
- A clock come due makes a look at every channel, and the rule is asked again for each.
- A channel found edited before the wait started, or closed then with nothing unseen, is left
  out (``wait_turn`` fails on the edit, and returns at once on the close); one found edited while
  waited on is returned with the notices; one closed by the waiter itself while waited on is
  dropped quietly.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from collab.errors import CollabError
from collab.live import presence, turns
from collab.live.follower import Follower, Update
from collab.live.turns import Stop, TurnClock, TurnRule
from collab.live.watch import Changes, WatchSettings, changed_paths
from collab.text.format import Entry


class Watch(NamedTuple):
    """One channel to wait on: its ``path``, the ``name`` who waits, the cursor ``after`` (entries
    already seen), and ``own``: the indexes of the entries this seat wrote, as recorded now."""

    path: Path
    name: str
    after: int
    own: Callable[[], frozenset[int]]


class Ready(NamedTuple):
    """A channel the wait returns: the ``entries`` to deliver, the cursor ``seen`` they bring the
    reader to, whether it is ``closed`` (and was closed while waited on: ``newly_closed``), and
    ``notices`` for the reader (history edited)."""

    path: Path
    name: str
    entries: tuple[Entry, ...]
    seen: int
    closed: bool
    notices: tuple[str, ...] = ()
    newly_closed: bool = False


class _Channel:
    """What the wait knows of one channel."""

    __slots__ = ("clock", "closed", "closed_at_start", "follower", "notices", "seen", "wanted", "watch")

    def __init__(self, watch: Watch, hold_s: float) -> None:
        self.watch = watch
        self.follower = Follower(watch.path, watch.after, hold_s)
        self.wanted: list[Entry] = []
        self.seen = 0  # the follower's first update counts every complete entry: a stale cursor is not kept
        self.closed = self.closed_at_start = False
        self.clock = TurnClock()
        self.notices: tuple[str, ...] = ()


def _real(path: Path) -> str:
    """``path`` with its directory's real path, as the watcher reports it."""
    return os.path.join(os.path.realpath(path.parent), path.name)


def wait_any(
    watches: Sequence[Watch],
    *,
    rule: TurnRule,
    deadline: float | None = None,
    halt: threading.Event | None = None,
    extra: Sequence[Path] = (),
    superseded: Callable[[], bool] = lambda: False,
    closed_by_self: Callable[[Path, str], bool] = lambda _path, _name: False,
    settings: WatchSettings | None = None,
) -> list[Ready]:
    """Wait until some of ``watches`` are ready (see the module docstring); return those, or [] when it ends empty.

    Args:
        watches: the channels, each with who waits and from where.
        rule: when a writer's turn is over by time (:class:`collab.live.turns.TurnRule`).
        deadline: a :func:`time.monotonic` time at which to give up, returning [] (None: never).
        halt: an event that, once set, ends the wait with [] (within
            :data:`collab.live.turns.HALT_CHECK_S`).
        extra: more files to watch; when one changes, ``superseded()`` is asked and the wait ends
            with [] if it says so.
        closed_by_self: whether a channel closed while waited on was closed by the waiter itself
            (then it is dropped quietly instead of being returned).
        settings: how the files are watched.

    A channel that cannot be read at the start, is closed with nothing unseen, or whose history is
    found edited at the start, is left out; when none is left the wait returns [] at once.
    """
    settings = settings or WatchSettings()
    hold = 0.0 if rule.settle <= 0 else settings.idle_ms / 1000  # as `collab wait` holds a hand entry back
    with contextlib.ExitStack() as stack:
        channels = _open(watches, rule, hold, stack)
        stop = Stop(deadline, halt)
        return _watch(channels, rule, stop, extra, superseded, closed_by_self, settings)


def _open(watches: Sequence[Watch], rule: TurnRule, hold: float, stack: contextlib.ExitStack) -> list[_Channel]:
    """The channels to wait on, each read once and marked as waited on (its presence held by ``stack``).

    A channel that cannot be read, whose history is found edited, or that is closed with nothing
    unseen, is left out.
    """
    channels: list[_Channel] = []
    for watch in {w.path: w for w in watches}.values():
        channel = _Channel(watch, hold)
        try:
            first = channel.follower.start()
        except CollabError:
            continue
        if first.edited:
            continue  # an edit found before the wait started is reported by every command, not woken for
        _take(channel, first, rule)
        channel.closed_at_start = channel.closed
        if channel.closed and not channel.wanted:
            continue
        stack.enter_context(presence.waiting(watch.path, watch.name))
        channels.append(channel)
    return channels


def _due(channels: Sequence[_Channel]) -> float | None:
    """When the first channel's turn clock comes due (its rule is to be asked again), if any does."""
    times = [c.clock.due for c in channels if c.clock.due is not None]
    return min(times) if times else None


def _watch(
    channels: list[_Channel],
    rule: TurnRule,
    stop: Stop,
    extra: Sequence[Path],
    superseded: Callable[[], bool],
    closed_by_self: Callable[[Path, str], bool],
    settings: WatchSettings,
) -> list[Ready]:
    """Watch the ``channels`` (and the ``extra`` files) until some are ready: :func:`wait_any`'s loop.

    The rule is asked again after each look; the channels ready are returned, or [] once ``stop``
    is set (:meth:`collab.live.turns.Stop.over`) or every channel is dropped.
    """
    extras = {_real(p) for p in extra}
    ready = _decide(channels, rule, closed_by_self)
    if ready or not channels or stop.over():
        return ready
    targets = {_real(c.watch.path): c for c in channels}
    for look in changed_paths([*targets, *extras], settings, stop, lambda: _due(channels)):
        if look.paths & extras and superseded():
            return []
        _look(channels, targets, look, rule)
        ready = _decide(channels, rule, closed_by_self)
        if ready or not channels:
            return ready
    return []


def _look(channels: list[_Channel], targets: dict[str, _Channel], look: Changes, rule: TurnRule) -> None:
    """Read again the ``channels`` (``targets`` holds them by real path) that changed in ``look``;
    every one for a look that time asked for."""
    changed = {targets[key] for key in look.paths if key in targets}
    for channel in channels:
        if not look.paths or channel in changed:
            _take(channel, channel.follower.refresh(settled=look.settled), rule)


def _take(channel: _Channel, update: Update, rule: TurnRule) -> None:
    """Add what a look at the channel found."""
    own = channel.watch.own() if update.entries else frozenset()
    fresh = [e for e in update.entries if e.index not in own]
    turns.revise(channel.wanted, update.revised)
    channel.wanted += fresh
    channel.seen = max(channel.seen, update.seen)
    channel.closed = channel.closed or update.closed
    if update.edited:
        channel.notices = update.notices
    channel.clock.check(channel.watch.path, channel.wanted, rule, waiter=channel.watch.name)


def _decide(channels: list[_Channel], rule: TurnRule, closed_by_self: Callable[[Path, str], bool]) -> list[Ready]:
    """The channels ready now; channels closed by the waiter itself are dropped from ``channels``."""
    ready = []
    for channel in list(channels):
        if channel.wanted:
            own = channel.watch.own()
            channel.wanted = [e for e in channel.wanted if e.index not in own]
        closed_now = channel.closed and not channel.closed_at_start
        if closed_now and not channel.wanted and closed_by_self(channel.watch.path, channel.watch.name):
            channels.remove(channel)
            continue
        turn_over = channel.clock.check(channel.watch.path, channel.wanted, rule, waiter=channel.watch.name)
        if turn_over or (channel.closed and channel.wanted) or closed_now or channel.notices:
            watch = channel.watch
            found = (tuple(channel.wanted), channel.seen, channel.closed, channel.notices, closed_now)
            ready.append(Ready(watch.path, watch.name, *found))
    return ready
