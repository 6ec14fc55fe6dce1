"""Read a channel as it grows, delivering each entry once it is complete.

A :class:`Follower` remembers the file's identity (device, inode), its size and modification
time, and the *checkpoint* (:mod:`collab.text.format`): the start of the last structural heading, with
the numbering just before it. On :meth:`Follower.refresh`, growth means only the text from the
checkpoint on is parsed, so the follower reads a channel exactly as a full parse would (an entry
written by hand in pieces, or with an unclosed fence, included) at a cost proportional to the
last entry plus what is new. Anything else (a new inode, a shorter file, bytes before the
checkpoint changed) means the whole file is read again, and only entries not delivered before
are delivered, with a notice when something delivered earlier changed.

An entry is *complete* when a structural heading follows it, or when it is the last one, its last
line has ended, and either collab wrote it (the journal says so) or the file has settled: no
change for the follower's settle time, or, given a ``quick_s``, for that long once the entry has a
body (a hand writer's ``cat >>`` lands whole; one writing a line at a time from a script writes its
lines well within it; a heading alone waits the settle time for its body). Incomplete entries are
held back, never delivered in part (contract section 6.2).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import NamedTuple

from collab.errors import ChannelFormatError, ChannelNotFound, CollabError
from collab.ledger import journal, reading
from collab.store import files
from collab.text import digest, format
from collab.text.format import Counters, Document, Entry

#: Bytes kept from just before the checkpoint, to notice a rewrite that also grew the file.
_ANCHOR_BYTES = 256


class Update(NamedTuple):
    """What one look at the file found.

    ``entries`` are newly delivered, in file order; ``seen`` is how many entries, from the top of
    the file, have been delivered so far (a reader's cursor); ``closed`` says whether the channel
    is closed now; ``notices`` are sentences for a person (history edited, file vanished or back);
    ``edited`` is true when bytes delivered earlier changed (on the first look: when the ledger
    finds the accepted history edited); ``revised`` holds entries delivered earlier that have
    grown since (the last entry, written by hand in pieces), as they stand now.
    """

    entries: tuple[Entry, ...] = ()
    seen: int = 0
    closed: bool = False
    notices: tuple[str, ...] = ()
    edited: bool = False
    revised: tuple[Entry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries or self.notices or self.revised)


def _fingerprint(entry: Entry) -> tuple[str, bytes]:
    """The entry's label and a digest of its heading and body: what a reader was shown."""
    return entry.label, digest.sha256(f"{entry.heading}\n{entry.body}".encode()).digest()


class _Seen:
    """What a :class:`Follower` knows of the file as it last read it.

    ``tail`` holds the bytes from ``base`` (a little before the checkpoint) to ``size``, so growth
    can be told from a rewrite by comparing them; ``held`` is true while a last entry is held back.
    """

    __slots__ = ("base", "checkpoint", "closed", "counters", "delivered", "held", "ident", "mtime_ns", "size", "tail")

    def __init__(
        self,
        ident: tuple[int, int],
        mtime_ns: int,
        data: bytes,
        checkpoint: int,
        counters: Counters,
        delivered: list[tuple[str, bytes]],
        closed: bool,
        held: bool,
    ) -> None:
        self.ident = ident
        self.mtime_ns = mtime_ns
        self.delivered = delivered
        self.closed = closed
        self.held = held
        self.move(data, 0, checkpoint, counters)

    def move(self, data: bytes, data_base: int, checkpoint: int, counters: Counters) -> None:
        """Take ``data`` (the file's readable bytes from ``data_base``) as read, resuming at ``checkpoint``."""
        self.checkpoint, self.counters = checkpoint, counters
        base = max(data_base, checkpoint - _ANCHOR_BYTES)
        while base > data_base and data[base - data_base] & 0xC0 == 0x80:
            base -= 1  # never inside a UTF-8 sequence: what is read from here on must decode
        self.base = base
        self.tail = data[self.base - data_base :]
        self.size = data_base + len(data)


class Follower:
    """Incremental reader of one channel file (no watching; see :func:`collab.live.watch.follow`).

    ``after`` is how many entries count as already seen when the follower starts: 0 delivers every
    entry, ``None`` delivers only entries that land from now on. ``settle_s`` is how long, in
    seconds, a file must be unchanged before a last entry written by hand counts as complete;
    ``quick_s`` (None: no such rule), how long once that entry has a body and its last line has
    ended, measured from when this follower saw the file change (see :meth:`due`).
    """

    def __init__(
        self, path: Path, after: int | None = None, settle_s: float = 0.25, quick_s: float | None = None
    ) -> None:
        self.path = path
        self.settle_s = settle_s
        self.quick_s = quick_s
        self._changed_at = 0.0  # time.monotonic() when a look last found the file changed
        self._quick_held = False  # the last entry is held only until quick_s after that
        self._after = after
        self._seen: _Seen | None = None
        self._missing = False
        self._unreadable: str | None = None
        self._cut: str | None = None

    def due(self) -> float | None:
        """The :func:`time.monotonic` time at which a held last entry becomes complete by ``quick_s``
        if the file does not change meanwhile (then :meth:`refresh` delivers it); None when none is."""
        return self._changed_at + self.quick_s if self._quick_held and self.quick_s is not None else None

    @property
    def delivered(self) -> int:
        """How many entries (counting from the top of the file) have been delivered so far."""
        return len(self._seen.delivered) if self._seen else 0

    def start(self) -> Update:
        """Read the whole file, check it against its ledger, and deliver the complete entries after ``after``.

        When the ledger finds the history edited, the update says so (``edited``, and the ledger's
        summary as its notice). An append still being written is left for a later :meth:`refresh`.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read now.
        """
        checked = reading.check(self.path, accept=False)
        fd = files.open_checked(self.path)
        try:
            st = os.fstat(fd)
            shot = reading.snapshot(fd)
        finally:
            os.close(fd)
        data = shot.data
        document = checked.document
        quiet_s = max(0.0, time.time() - st.st_mtime)
        settled, self._changed_at = quiet_s >= self.settle_s, time.monotonic() - quiet_s
        data = data[: _in_flight(self.path, data, 0)]
        if len(data) != document.size:
            # What the check parsed is not what was read: an append is part-way through, or one
            # landed between the two reads. What is adopted below must be parsed from ``data``
            # itself, or later looks find the file as adopted and never deliver that append.
            document = format.parse(data)
        entries = self._complete(document.entries, len(data), data.endswith(b"\n"), settled, shot.damage)
        skip = len(entries) if self._after is None else min(self._after, len(entries))
        self._adopt(st, data, document, entries)
        edited = checked.report is not None and not checked.report.ok
        notices = [checked.report.summary()] if edited else []  # type: ignore[union-attr]
        if checked.trouble is not None:
            notices.append(checked.trouble.sentence(self.path))
        notices += self._cut_notices(shot.damage)
        return Update(tuple(entries[skip:]), self.delivered, document.closed is not None, tuple(notices), edited)

    def refresh(self, *, settled: bool = True) -> Update:
        """Look at the file again and deliver what is new and complete.

        ``settled`` is false while events are still arriving: a missing, shorter or unreadable file
        is then given time (an editor truncates before it writes) and reported only once settled,
        and a last entry written by hand is held back.
        """
        if self._seen is None:
            raise RuntimeError("Follower.refresh() before start()")
        quick, self._quick_held = self._quick_held, False  # set again only by a look that still holds it
        try:
            fd = files.open_checked(self.path)
        except ChannelNotFound:
            return self._vanished(settled)
        except CollabError as exc:
            return self._cannot_read(str(exc), settled)
        try:
            return self._back(self._read(fd, settled, quick))
        except ChannelFormatError as exc:
            return self._cannot_read(str(exc), settled)
        finally:
            os.close(fd)

    def _read(self, fd: int, settled: bool, quick: bool) -> Update:
        seen = self._seen
        assert seen is not None
        st = os.fstat(fd)
        same_file = (st.st_dev, st.st_ino) == seen.ident
        unchanged = same_file and st.st_size == seen.size and st.st_mtime_ns == seen.mtime_ns
        if not unchanged:
            self._changed_at = time.monotonic()
        elif not (seen.held and (settled or quick)):
            return self._nothing()
        if same_file and seen.size <= st.st_size <= files.MAX_CHANNEL_BYTES:
            buffer = files.read_fd(fd, self.path, seen.base)
            if buffer.startswith(seen.tail):
                return self._grow(st, buffer, settled)
        shot = reading.snapshot(fd)
        if len(shot.data) < seen.checkpoint and not settled:
            return self._nothing()
        return self._reread(st, shot.data, settled, shot.damage)

    def _grow(self, st: os.stat_result, buffer: bytes, settled: bool) -> Update:
        """Parse from the checkpoint only (cost proportional to the last entry and what is new)."""
        seen = self._seen
        assert seen is not None
        good, damage = format.readable(buffer, seen.base)
        good = good[: _in_flight(self.path, good, seen.base)]
        from_checkpoint = good[seen.checkpoint - seen.base :]
        tail = format.parse_tail(from_checkpoint.decode("utf-8"), seen.checkpoint, seen.counters)
        end = seen.base + len(good)
        entries = self._complete(tail.entries, end, good.endswith(b"\n"), settled, damage)
        seen.held = len(entries) < len(tail.entries)
        fresh, revised = [], []
        for entry in entries:
            position = entry.index - 1
            if position >= len(seen.delivered):
                fresh.append(entry)
                seen.delivered.append(_fingerprint(entry))
            elif _fingerprint(entry) != seen.delivered[position]:
                revised.append(entry)
                seen.delivered[position] = _fingerprint(entry)
        seen.move(good, seen.base, tail.checkpoint, tail.at_checkpoint)
        seen.mtime_ns = st.st_mtime_ns
        seen.closed = seen.closed or tail.counters.closed is not None
        return Update(tuple(fresh), self.delivered, seen.closed, self._cut_notices(damage), revised=tuple(revised))

    def _complete(
        self,
        entries: tuple[Entry, ...] | list[Entry],
        end: int,
        line_ended: bool,
        settled: bool,
        damage: format.Damage | None,
    ) -> list[Entry]:
        """The entries that are complete (see the module docstring), in order; ``end`` is where the
        readable data ends. With ``damage`` (unreadable bytes, or the size limit, cut the data at
        ``end``) the last entry is cut short: it is held back, never delivered as if whole."""
        complete = list(entries)
        self._quick_held = False
        if complete and complete[-1].end >= end:  # the last entry: nothing structural follows it yet
            last = complete[-1]
            quiet = settled or self.settle_s <= 0 or journal.written_by_collab(self.path, last.start, last.end)
            if not quiet and line_ended and self.quick_s is not None and last.body:
                quiet = time.monotonic() - self._changed_at >= self.quick_s
                self._quick_held = not quiet
            cut = damage is not None and last.index > self.delivered  # delivered whole before the cut
            if cut or not (line_ended and quiet):
                complete.pop()
        return complete

    def _cut_notices(self, damage: format.Damage | None) -> tuple[str, ...]:
        """The warning about unreadable bytes, once for each new cut (and nothing once it is repaired)."""
        sentence = None if damage is None else damage.warning()
        if sentence == self._cut:
            return ()
        self._cut = sentence
        return () if sentence is None else (f"{sentence}; the entry they cut short is held back until then",)

    def _reread(self, st: os.stat_result, data: bytes, settled: bool, damage: format.Damage | None) -> Update:
        seen = self._seen
        assert seen is not None
        data = data[: _in_flight(self.path, data, 0)]
        try:
            document = format.parse(data)
        except ChannelFormatError:
            if not settled:
                return self._nothing()
            raise
        entries = self._complete(document.entries, len(data), data.endswith(b"\n"), settled, damage)
        notices: list[str] = []
        for position, (label, fingerprint) in enumerate(seen.delivered):
            if position >= len(entries):
                missing = [label for label, _ in seen.delivered[position:]]
                notices.append(f"{_join(missing)} {'was' if len(missing) == 1 else 'were'} removed")
                break
            if _fingerprint(entries[position]) != (label, fingerprint):
                now = entries[position].label
                notices.append(f"{label} was edited" + ("" if now == label else f" (now {now})"))
        fresh = entries[len(seen.delivered) :]
        was_closed = seen.closed
        self._adopt(st, data, document, entries)
        edited = bool(notices)
        if notices:
            checked = reading.check(self.path, accept=False)
            if checked.report is not None and checked.report.ok:  # e.g. after `collab repair`
                notices, edited = ["the history changed back to what the ledger accepted"], False
            else:
                notices = [f"history was edited: {'; '.join(notices)}"]
        notices += self._cut_notices(damage)
        return Update(tuple(fresh), self.delivered, document.closed is not None or was_closed, tuple(notices), edited)

    def _adopt(self, st: os.stat_result, data: bytes, document: Document, entries: list[Entry]) -> None:
        """Take ``document`` (parsed from all of ``data``) as what has been read; ``entries`` were delivered."""
        self._seen = _Seen(
            (st.st_dev, st.st_ino),
            st.st_mtime_ns,
            data,
            document.checkpoint,
            document.at_checkpoint,
            [_fingerprint(e) for e in entries],
            document.closed is not None,
            len(entries) < len(document.entries),
        )

    def _nothing(self, *notices: str) -> Update:
        return Update(seen=self.delivered, closed=self._seen.closed if self._seen else False, notices=notices)

    def _vanished(self, settled: bool) -> Update:
        if not settled or self._missing:
            return self._nothing()
        self._missing = True
        return self._nothing(f"the channel file {self.path} vanished; waiting for it to come back")

    def _cannot_read(self, reason: str, settled: bool) -> Update:
        if not settled or self._unreadable == reason:
            return self._nothing()
        self._unreadable = reason
        return self._nothing(f"the channel cannot be read now: {reason}")

    def _back(self, update: Update) -> Update:
        """Add a notice when the file is readable again after it vanished or could not be read."""
        if not (self._missing or self._unreadable):
            return update
        self._missing, self._unreadable = False, None
        notices = ("the channel file is back", *update.notices)
        return update._replace(notices=notices)


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _in_flight(path: Path, data: bytes, base: int) -> int:
    """How much of ``data`` (the file's bytes from offset ``base``) to read: all of it, unless a
    collab append is part-way through; then up to where it starts (it is read once whole)."""
    found = journal.load(path)
    if not isinstance(found, journal.Ledger):
        return len(data)
    return reading.in_flight(found.intent, data, base)
