"""Turn-aware waiting: return the others' entries once their writer's turn is over (contract 6.2).

The turn rule, written once here (:func:`remaining`) and used by ``collab wait`` and the wake
hook (:mod:`collab.hooks.waitany`): a wait returns as soon as there are unseen entries from others and
the turn of *every* author of them is over. An author's turn is over when:

- it wrote through collab (it has a seat, :func:`collab.live.seats.writers`) and it is blocked in
  ``wait`` or the hook on the channel now (:mod:`collab.live.presence`), or its session has ended
  (:func:`collab.live.sessions.alive`), or the channel has not changed for ``quiet`` seconds;
- it wrote by hand, and the channel has not changed for ``settle`` seconds, measured from the last
  byte appended (the file's modification time), not from the last heading.

An agent writes one entry per tool call, with 8 to 20 seconds of thought between calls: so a
seated writer's turn ends when it waits, and by time only after :data:`DEFAULT_QUIET`; a hand
writer, which cannot say that it waits, is given :data:`DEFAULT_SETTLE`. ``--settle`` given
explicitly replaces both; ``--settle 0`` returns on the first entry. The channel closing or the
timeout also end a wait.

The rule is asked again on every look at the file (each change, and the settled look after it)
and when a :class:`TurnClock` says it is due by time: when the turns will be over if nothing
changes, and, while a writer with a seat has not yet waited, every :data:`PRESENCE_CHECK_S` (a
writer that starts waiting, or whose session ends, makes no change the watcher can see). A
:class:`Stop` ends the watcher at the timeout, or when it is halted. Nothing else wakes a wait:
``wait_turn`` and :func:`collab.hooks.waitany.wait_any` both wait this way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from collab import config
from collab.errors import CollabError, IntegrityError
from collab.live import presence, seats, sessions
from collab.live.watch import WatchSettings, follow
from collab.text.format import Entry

#: Seconds the channel must be unchanged before a hand writer's turn counts as over (no ``--settle``).
DEFAULT_SETTLE = 30.0
#: Seconds the channel must be unchanged before a seated writer that has not waited counts as done.
DEFAULT_QUIET = 60.0
#: Seconds between two checks of presence and sessions while entries wait on a seated writer's turn.
PRESENCE_CHECK_S = 0.1
#: Seconds between two looks at a ``halt`` event (it cannot wake a sleeping watcher).
HALT_CHECK_S = 0.25


class TurnRule(NamedTuple):
    """When a writer's turn is over by time alone, in seconds of an unchanged channel: ``settle`` for
    a writer by hand, ``quiet`` for one with a seat. ``settle`` 0 ends every turn at once."""

    settle: float = DEFAULT_SETTLE
    quiet: float = DEFAULT_QUIET

    @classmethod
    def given(cls, settle: float | None, environ: Mapping[str, str] | None = None) -> TurnRule:
        """The rule for ``--settle`` (seconds); when it was not given, ``$COLLAB_SETTLE``
        (:func:`collab.config.settle`), else the defaults.

        Raises:
            UsageError: ``COLLAB_SETTLE`` is malformed.
        """
        if settle is None:
            settle = config.settle(environ)
        return cls() if settle is None else cls(settle, settle)


def quiet_for(path: Path) -> float:
    """Seconds since the channel last changed (0 when it cannot be told)."""
    try:
        return max(0.0, time.time() - os.stat(path).st_mtime)
    except OSError:
        return 0.0


def _ended(writer: seats.Writer, host: str) -> bool:
    """True when the writer's session ran on this host and has ended."""
    return bool(writer.process) and writer.key.startswith(f"{host}:") and not sessions.alive(writer.process)


def remaining(
    path: Path,
    entries: Iterable[Entry],
    rule: TurnRule,
    *,
    waiter: str,
    writers: Mapping[int, seats.Writer] | None = None,
) -> float:
    """Seconds until the turn of every author of ``entries`` is over if nothing changes; 0 when it is.

    Args:
        path: the channel.
        entries: the unseen entries from others.
        rule: the times of the rule (see the module docstring).
        waiter: the name of who waits: its own presence never ends another's turn.
        writers: the seats that wrote entries through collab, by entry index (1-based; default:
            read them now, :func:`collab.live.seats.writers`).

    Returns 0 at once for no ``entries`` or a ``settle`` of 0. Raises nothing: a seats registry
    that cannot be read counts every entry as written by hand, and a presence that cannot be read
    as not waiting.
    """
    return _remaining(path, list(entries), rule, waiter, writers)[0]


def _remaining(
    path: Path, entries: list[Entry], rule: TurnRule, waiter: str, writers: Mapping[int, seats.Writer] | None
) -> tuple[float, bool]:
    """:func:`remaining`, and whether a seated writer's turn is still open (presence may end it)."""
    if rule.settle <= 0 or not entries:
        return 0.0, False
    if writers is None:
        try:
            writers = seats.writers(path)
        except CollabError:
            writers = {}
    quiet, host, left, open_turn = quiet_for(path), seats.host_name(), 0.0, False
    seated: dict[str, seats.Writer] = {}
    for entry in entries:
        writer = writers.get(entry.index)
        if writer is None:
            left = max(left, rule.settle - quiet)
        else:
            seated.setdefault(writer.name, writer)
    for name, writer in seated.items():
        if name != waiter and presence.is_waiting(path, name):
            continue
        if _ended(writer, host):
            continue
        left, open_turn = max(left, rule.quiet - quiet), open_turn or rule.quiet > quiet
    return max(0.0, left), open_turn


class Waited(NamedTuple):
    """What a wait found: the ``entries`` to deliver, the reader's new cursor ``seen``, whether the
    channel is ``closed``, the names ``waiting`` on the channel when it returned, and ``notices``
    for the person (unreadable bytes holding an entry back, the file vanished or back)."""

    entries: tuple[Entry, ...]
    seen: int
    closed: bool
    waiting: tuple[str, ...]
    notices: tuple[str, ...] = ()


def revise(wanted: list[Entry], revised: Iterable[Entry]) -> None:
    """Replace in ``wanted`` each entry of the same index by its newer text in ``revised``."""
    newer = {e.index: e for e in revised}
    if newer:
        wanted[:] = [newer.get(e.index, e) for e in wanted]


class TurnClock:
    """When one wait is due to ask the turn rule again, for the entries it waits for on one channel.

    :attr:`due` is a :func:`time.monotonic` time, in seconds: the moment the turn of every author
    of those entries will be over by time alone if nothing changes, or sooner, within
    :data:`PRESENCE_CHECK_S`, while a seated writer's turn is open (it may start waiting, or its
    session end, at any moment); None while nothing is waited for. Each :meth:`check` sets it anew.
    """

    __slots__ = ("due",)

    def __init__(self) -> None:
        self.due: float | None = None

    def check(self, path: Path, entries: Sequence[Entry], rule: TurnRule, *, waiter: str) -> bool:
        """Ask the rule now (:func:`remaining`): True when the turn of every author of ``entries`` is over.

        When it is not, :attr:`due` is when to ask again. With no ``entries`` nothing is waited for:
        False, and :attr:`due` is None.

        Args:
            path: the channel.
            entries: the unseen entries from others.
            rule: the times of the rule.
            waiter: the name of who waits: its own presence never ends another's turn.

        Raises nothing, as :func:`remaining`.
        """
        if not entries:
            self.due = None
            return False
        left, open_turn = _remaining(path, list(entries), rule, waiter, None)
        self.due = time.monotonic() + (min(left, PRESENCE_CHECK_S) if open_turn else left)
        return left <= 0

    def reached(self, now: float | None = None) -> bool:
        """True once :attr:`due` has come, at ``now`` (a :func:`time.monotonic` time; default: now)."""
        return self.due is not None and (time.monotonic() if now is None else now) >= self.due


class Stop:
    """The stop event of a turn-aware wait's watcher (a :class:`collab.live.watch.StopEvent`): set
    once the ``deadline`` has passed or ``halt`` is set (the wait ends with what it has).

    Args:
        deadline: a :func:`time.monotonic` time, in seconds, at which the wait gives up (None: never).
        halt: an event that, once set, ends the wait (None: none); it is looked at every
            :data:`HALT_CHECK_S`, since setting it cannot wake the watcher.
    """

    def __init__(self, deadline: float | None, halt: threading.Event | None = None) -> None:
        self.deadline, self.halt = deadline, halt

    def over(self) -> bool:
        """True when the whole wait must end: the deadline passed or ``halt`` was set."""
        return (self.deadline is not None and time.monotonic() >= self.deadline) or bool(
            self.halt and self.halt.is_set()
        )

    def is_set(self) -> bool:
        """The same as :meth:`over`."""
        return self.over()

    def next_check(self) -> float | None:
        """The :func:`time.monotonic` time by which :meth:`is_set` may have changed (None: never by itself)."""
        halt = None if self.halt is None else time.monotonic() + HALT_CHECK_S
        if self.deadline is None or halt is None:
            return self.deadline if halt is None else halt
        return min(self.deadline, halt)


def wait_turn(
    path: Path,
    name: str,
    own: Callable[[Entry], bool],
    *,
    after: int,
    include_own: bool = False,
    timeout: float | None = None,
    rule: TurnRule | None = None,
    settings: WatchSettings | None = None,
) -> Waited:
    """Wait as participant ``name`` for the entries after the ``after``-th, until their writers' turns are over.

    What is delivered is each entry as it stands when the wait returns: an entry written in pieces
    is delivered with every piece that landed before then (contract 6.2).

    Args:
        path: the channel.
        name: who waits (marked as waiting meanwhile).
        own: which entries are the reader's own; they are skipped unless ``include_own``.
        after: the reader's cursor (entries from the top already seen).
        timeout: give up after this many seconds (None: never).
        rule: when a turn is over by time (default :class:`TurnRule`'s defaults).
        settings: how the file is watched.

    Raises:
        IntegrityError: entries delivered earlier were edited while waiting.
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    rule = rule or TurnRule()
    wanted: list[Entry] = []
    clock = TurnClock()
    stop = Stop(None if timeout is None else time.monotonic() + timeout)
    seen, closed = 0, False  # the follower's first update counts every complete entry, skipped or not
    notices: list[str] = []
    with presence.waiting(path, name):
        hold = 0.0 if rule.settle <= 0 else None  # --settle 0: an entry as soon as its last line has ended
        # The watcher looks again when the clock comes due: the rule is asked then.
        due = lambda: clock.due  # noqa: E731
        looks = follow(path, after=after, stop_event=stop, settings=settings, every_tick=True, hold_s=hold, wake_at=due)
        for update in looks:
            if update.edited:
                raise IntegrityError(f"{'; '.join(update.notices)}: run `collab verify {path}` to see what changed")
            revise(wanted, update.revised)
            notices += update.notices
            wanted += [e for e in update.entries if include_own or not own(e)]
            seen, closed = max(seen, update.seen), update.closed
            if closed:
                break
            if clock.check(path, wanted, rule, waiter=name) or stop.over():
                break
    return Waited(tuple(wanted), seen, closed, tuple(presence.waiting_names(path)), tuple(notices))
