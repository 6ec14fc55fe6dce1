"""A participant's seat in a channel: the name it writes as, its cursor, and the entries it wrote.

Half of the front door (contract section 9), with :class:`collab.Channel`: a seat answers, asks,
waits and closes as one participant. Its cursor (how many entries from the top it has read) is
kept per name in the private state directory, so two waits in a row miss nothing, an append
reports the entries from others it crossed, and a close refuses while any are unread.

Cost: ``answer``/``ask`` are an append (:mod:`collab.ledger.entries`) plus the seats and cursors
files; ``wait`` starts with a checked read of the whole channel (its digest and every entry's
body: O(N)), then reads only what each change adds, and on its return the entries from the first
receipt on and the text from the checkpoint on.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from collab import config
from collab.errors import CollabError, UsageError
from collab.ledger import entries as appending
from collab.ledger import reading
from collab.live import cursors, seats

if TYPE_CHECKING:
    from collab.channel import Channel
    from collab.text.exchange import Closing, Posted
    from collab.text.format import Entry
    from collab.text.grammar import Ref


class Read(NamedTuple):
    """A read receipt: the reader's own entry at ``index`` (``label``, e.g. ``Answer 3``) was read by ``read_by``.

    A NamedTuple (its ``index`` field hides ``tuple.index``, as :class:`collab.text.format.Entry`'s
    does), not a dataclass, which would cost ``wait`` the import of :mod:`dataclasses` at start-up.
    """

    index: int  # type: ignore[assignment]  # the field's name; it hides tuple.index
    label: str
    read_by: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"index", "label", "read_by"}``, as ``wait --json`` prints each receipt."""
        return {"index": self.index, "label": self.label, "read_by": list(self.read_by)}


class Waited(NamedTuple):
    """What :meth:`Seat.wait` found.

    ``entries`` from others (and the seat's own with ``include_own``), in file order; ``closed``
    when the channel is closed; ``timed_out`` when the timeout passed with nothing; ``waiting``
    names who waits on the channel as it returns; ``closing`` is the closing line and summary;
    ``claims`` the indexes of entries whose heading names this seat though it did not write them;
    ``read`` the receipts for this seat's own entries not told before; ``notices`` sentences for
    the person (bytes that hold an entry back, a cursor that could not be saved).
    """

    entries: tuple[Entry, ...]
    closed: bool
    timed_out: bool
    waiting: tuple[str, ...]
    closing: Closing | None = None
    claims: tuple[int, ...] = ()
    read: tuple[Read, ...] = ()
    notices: tuple[str, ...] = ()

    def read_sentences(self) -> list[str]:
        """The receipts in ``read`` as one sentence per reader, e.g. ``site-b has read your Answer 3``."""
        from collab.live.receipts import Receipt, sentences

        return sentences([Receipt(r.index, r.read_by) for r in self.read], {r.index: r.label for r in self.read})


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds(what: str, value: object) -> float | None:
    """``value`` as seconds from 0 to :data:`collab.config.MAX_SECONDS`, or None.

    Raises:
        UsageError: it is not such a number.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{what} must be a number of seconds, not {type(value).__name__}")
    return config.seconds(what, float(value))


class Seat:
    """One participant of ``channel``, seated under ``name`` (see :meth:`collab.Channel.seat`)."""

    __slots__ = ("_held", "channel")

    def __init__(self, channel: Channel, held: seats.Seat) -> None:
        self.channel = channel
        self._held = held

    def __repr__(self) -> str:
        return f"Seat({self.channel.path!s}, {self.name!r})"

    @property
    def name(self) -> str:
        """The name this seat writes as."""
        return self._held.name

    @property
    def notice(self) -> str | None:
        """A sentence for the person when seating handed out a changed automatic name, else None."""
        return self._held.notice

    @property
    def seen(self) -> int:
        """The cursor: how many entries, from the top of the channel, this seat has read.

        A cursors file collab cannot read counts as 0, with a warning (:class:`UserWarning`).
        """
        seen, warning = cursors.load(self.channel.path, self.name)
        if warning:
            warnings.warn(warning, stacklevel=2)
        return seen

    def _owns(self, entry: Entry) -> bool:
        return self._held.owns(entry)

    def answer(self, body: str, *, re: Ref | None = None, now: datetime | None = None) -> Posted:
        """Append ``### Answer N`` as this seat; see :meth:`post`."""
        return self.post("answer", body, re=re, now=now)

    def ask(self, body: str, *, re: Ref | None = None, now: datetime | None = None) -> Posted:
        """Append ``### Question N`` (after ``## Questions``, added once) as this seat; see :meth:`post`."""
        return self.post("question", body, re=re, now=now)

    def post(self, kind: str, body: str, *, re: Ref | None = None, now: datetime | None = None) -> Posted:
        """Append one entry of ``kind`` (``answer`` or ``question``) and report what it crossed.

        Returns:
            The entry as read back, and in ``unseen`` the entries from others that landed after
            this seat's cursor and before it (contract section 6.3).

        Warns:
            UserWarning: the entry stands, but the seat could not record it as its own (its next
                wait returns it).

        Raises:
            The errors of :func:`collab.ledger.entries.post`.
        """
        seen, _warning = cursors.load(self.channel.path, self.name)  # an unreadable cursor reports nothing
        posted = appending.post(
            self.channel.path, kind, body, author=self.name, moment=now or _now(), re=re, seen=seen, own=self._owns
        )
        entry = posted.entry
        try:
            seats.record(self.channel.path, self._held, entry.index)
        except CollabError as exc:
            warnings.warn(
                f"{entry.label} was appended, but your seat could not record it ({exc}): your wait will return it",
                stacklevel=2,
            )
        else:
            self._held = self._held._replace(written=self._held.written | {entry.index})
        return posted

    def close(self, summary: str | None = None, *, force: bool = False, now: datetime | None = None) -> bool:
        """Close the channel as this seat, with ``summary`` below the closing line.

        Refuses while entries from others after this seat's cursor are unread, unless ``force``.

        Returns:
            True when this call closed the channel, False when it was closed already.

        Raises:
            UnseenEntries: entries from others this seat has not read (nothing is written).
            The other errors of :func:`collab.ledger.entries.close`.
        """
        seen, _warning = cursors.load(self.channel.path, self.name)
        return appending.close(
            self.channel.path,
            author=self.name,
            moment=now or _now(),
            summary=summary,
            seen=seen,
            own=self._owns,
            force=force,
        )

    def wait(
        self,
        timeout: float | None = None,
        *,
        settle: float | None = None,
        after: int | None = None,
        include_own: bool = False,
    ) -> Waited:
        """Block until others write and their turn is over (contract 6.2); move the cursor past it.

        A turn is over when its writer waits (``collab wait``, the plugin's hook), when its session
        ended, or after the channel was unchanged for ``settle`` seconds (default ``COLLAB_SETTLE``,
        else 30 s for a writer by hand and 60 s for one with a seat; 0 returns on the first entry).

        Args:
            timeout: seconds to wait at most (None: until something lands); then ``timed_out``.
            settle: the quiet time that ends a turn, in seconds.
            after: return the entries after the ``after``-th instead of after the cursor.
            include_own: deliver this seat's own entries too.

        Warns:
            UserWarning: the cursors file could not be read (the wait starts from the top).

        Raises:
            UsageError: a timeout, settle or ``after`` out of range (``after`` past the entries there are).
            IntegrityError: entries delivered earlier were edited while waiting.
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
            KeyboardInterrupt: passes through, with nothing moved.
        """
        # What the return needs is loaded before the wait blocks, not once something has landed.
        from collab.live import receipts  # noqa: F401
        from collab.live.turns import TurnRule, wait_turn
        from collab.live.watch import WatchSettings

        limit, rule = _seconds("timeout", timeout), TurnRule.given(_seconds("settle", settle))
        settings, lock_timeout = WatchSettings.from_env(), config.lock_timeout()
        path = self.channel.path
        if after is not None:
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                raise UsageError("after: give an entry count, 0 or more")
            # 0 is always in range; a later count is checked against the numbering (the tail is parsed)
            if after and after > (count := reading.summary(self.channel.path).counters.index):
                # a cursor never stands past the entries there are: it would skip every entry up to it
                raise UsageError(f"--after {after}: the channel has {count} entries; give a count from 0 to {count}")
        start = self.seen if after is None else after
        waited = wait_turn(
            path,
            self.name,
            self._owns,
            after=start,
            include_own=include_own,
            timeout=limit,
            rule=rule,
            settings=settings,
        )
        notices = list(waited.notices)
        try:
            cursors.advance(path, self.name, waited.seen, timeout=lock_timeout, ceiling=waited.seen)
        except CollabError as exc:
            # What was found is delivered all the same: a cursor left behind repeats entries on the
            # next wait, whereas failing here would withhold them on every wait.
            notices.insert(0, f"your cursor was not saved ({exc}): the next wait may repeat these")
        closing = appending.closing(path) if waited.closed else None
        return Waited(
            entries=waited.entries,
            closed=waited.closed,
            timed_out=not waited.entries and not waited.closed,
            waiting=waited.waiting,
            closing=closing,
            claims=tuple(e.index for e in waited.entries if self._held.claims_reader(e)),
            read=self._receipts(lock_timeout),
            notices=tuple(notices),
        )

    def _receipts(self, lock_timeout: float) -> tuple[Read, ...]:
        """The receipts for this seat's own entries it has not been told of yet; none when they cannot
        be read (they are told next time)."""
        from collab.live import receipts

        path = self.channel.path
        try:
            found = receipts.news(path, self.name, seats.written_by(path, self._held.key, self.name), lock_timeout)
            # the labels of the entries read, from the first of them on (not the whole channel)
            shown = reading.entries_after(path, min(r.index for r in found) - 1) if found else []
            labels = {e.index: e.label for e in shown}
        except CollabError:
            return ()
        return tuple(Read(r.index, labels.get(r.index, f"entry {r.index}"), r.by) for r in found)
