"""Appending under the channel's lock: the one place collab writes to a channel it did not create.

A writer (contract sections 2 and 7):

1. takes ``flock(LOCK_EX)`` on the channel within ``COLLAB_LOCK_TIMEOUT`` seconds;
2. refuses when the file holds unreadable bytes or its accepted history was edited (nothing is
   written); a ledger that cannot be trusted is warned about and left alone;
3. reads the numbering from the last checkpoint on, so an entry written by hand, even without its
   final newline, counts;
4. logs its intent, appends with one ``write``, and finds where its bytes landed (a hand writer
   that skipped the lock may have appended first);
5. commits: the ledger accepts everything complete. A failure here is a warning, because the
   entry already stands; a failure before the write means nothing was written.

Cost of an append, for a channel of N bytes whose last checkpoint is T bytes from its end (T is
about the last entry, plus whatever was appended by hand since the last accept), all under the lock
unless said: one SHA-256 pass over the accepted bytes (O(N), the check of point 2, read in pieces
into one small buffer: about 0.7 ms per MB on the 2-core benchmark machine; it is the only part
that grows with N, and it must, see :mod:`collab.ledger.checks`). Everything else is O(T): reading
and decoding the bytes from the checkpoint on, parsing them (twice: to number, then to accept),
reading back what follows them after the write, the journal's records from its last accept on, and
one intent, one accept and one copy write. The whole file is read only when ``compose`` asks for
:attr:`Before.data`, or when the check fails (an edit, unreadable bytes, no ledger) and the problem
is named. The ledger's files are looked up before the lock.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from collab.errors import ChannelFormatError, CollabError, EntryTooLarge, IntegrityError
from collab.ledger import checks, journal, reading, wal
from collab.ledger.journal import Ledger
from collab.store import files
from collab.text import blocks, format
from collab.text.format import Counters
from collab.text.grammar import Ref, compose_heading


class Written(NamedTuple):
    """Where an append landed: ``offset`` of its first byte, and its ``payload``."""

    offset: int
    payload: bytes


class Before:
    """The channel as a writer found it, under the lock: the numbering at its end (``counters``), the
    ``separator`` an append starts with (ending the last line, closing a block left open by hand,
    then a blank line unless the file ends with one), its last entry (``last``), its ``size``, and
    ``tail``, its bytes from offset ``base`` (the last checkpoint, or a little before) to its end.

    ``data``, all its readable bytes as they stand under the lock, is read on first use: an append
    needs only the tail.
    """

    __slots__ = ("_data", "_fd", "base", "counters", "last", "separator", "size", "tail")

    def __init__(
        self,
        counters: Counters,
        separator: str,
        tail: bytes,
        last: format.Entry | None = None,
        *,
        base: int = 0,
        fd: int | None = None,
    ) -> None:
        self.counters = counters
        self.separator = separator
        self.tail = tail
        self.last = last
        self.base = base
        self.size = base + len(tail)
        self._fd = fd
        self._data: bytes | None = tail if base == 0 else None

    def release(self) -> None:
        """The lock is let go: ``data`` can no longer be read (the descriptor is closed)."""
        self._fd = None

    @property
    def data(self) -> bytes:
        """The channel's readable bytes, ``size`` of them (the file read again, under the same lock)."""
        if self._data is None:
            if self._fd is None:
                raise CollabError("a writer's view of the channel is read only while it holds the lock")
            whole = files.read_fd(self._fd, Path("channel"), 0, self.size)[: self.size]
            if len(whole) != self.size or not whole.endswith(self.tail):
                raise CollabError(
                    f"{self.size} bytes of the channel changed while collab held its lock (an edit?); try again"
                )
            self._data = whole
        return self._data


#: Seconds the file must be unchanged before a hand entry with a heading and no body, or with an
#: unfinished last line, counts as written: until then a writer holds off (contract 7.1).
HAND_QUIET_S = 5.0
#: Seconds the file must be unchanged before any other hand entry just written counts as whole.
HAND_PAUSE_S = 1.0


class HandEntryBusy(CollabError):
    """A hand entry at the end of the channel kept being written for the whole lock timeout."""


def append(path: Path, compose: Callable[[Before], bytes | None]) -> Written | None:
    """Append what ``compose`` returns for the channel as it is now; None when it returns None.

    ``compose`` runs under the lock and may raise to refuse (then nothing is written). While the
    last entry is a hand entry still being written (:func:`hold_for`), the writer lets the lock go
    and waits for the file to be quiet, so the hand entry's lines stay under its own heading.

    Raises:
        LockTimeout, ChannelNotFound, ChannelRefused: the channel cannot be locked.
        ChannelFormatError: the file has unreadable bytes (``collab repair`` moves them aside).
        IntegrityError: the accepted history was edited.
        EntryTooLarge: the channel would pass its size limit.
        HandEntryBusy: a hand entry with no body yet, or an unfinished line, kept changing for
            ``COLLAB_LOCK_TIMEOUT`` seconds (nothing was written).
    """
    from collab.config import lock_timeout

    _catch_up(path)
    places = journal.places(path)  # looked up before the lock: it guards only the channel's bytes and its ledger
    deadline = time.monotonic() + lock_timeout()
    while True:
        with files.locked_for_append(path) as fd:
            before, ledger = _checked(path, fd, places)
            hold, unfinished = hold_for(path, before, os.fstat(fd).st_mtime, ledger=ledger)
            left = deadline - time.monotonic()
            if hold <= 0 or (left <= 0 and not unfinished):
                try:
                    return _append(path, fd, ledger, before, compose)
                finally:
                    before.release()
            if left <= 0:
                raise HandEntryBusy(
                    f"nothing was written: the hand entry at the end of {path} is still being written "
                    f"(it changed less than {HAND_QUIET_S:g} s ago, for over {lock_timeout():g} s); "
                    "try again once it is done"
                )
        # Waiting for a quiet spell: no event marks one, only the time since the last change.
        time.sleep(min(hold, left))


#: Bytes of hand appends not yet accepted past which a writer accepts them before it locks.
CATCH_UP_BYTES = 65536


def _catch_up(path: Path) -> None:
    """Accept a large hand-written tail the way a reader does (parsed without the lock), so that the
    writer's own accept, under the lock, parses only what is left (contract 7.5)."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return
    if size <= CATCH_UP_BYTES:
        return  # nothing so large can be behind: no need to load the journal on this path
    found = journal.load(path)
    if isinstance(found, Ledger) and size - found.accepted_end > CATCH_UP_BYTES:
        reading.verdict(path)


def hold_for(
    path: Path, before: Before, modified: float, now: float | None = None, *, ledger: Ledger | None = None
) -> tuple[float, bool]:
    """Seconds a writer must still hold off before appending after ``before`` (0: append now), and
    whether the last entry is surely unfinished.

    The last entry holds the writer off when collab did not write it as it stands (it was written,
    or added to, by hand) and the file changed (``modified``, its ``st_mtime``) less than
    :data:`HAND_QUIET_S` seconds ago if it has no body yet or its last line has no newline (surely
    unfinished), or less than :data:`HAND_PAUSE_S` seconds ago otherwise; ``COLLAB_SETTLE``, when
    set, caps both. ``ledger``, loaded under the lock, answers for its own records without reading
    the journal again.

    Raises:
        UsageError: ``COLLAB_SETTLE`` is malformed.
    """
    last = before.last
    if last is None or (ledger is not None and ledger.wrote(last.start, last.end)):
        return 0.0, False
    if journal.written_by_collab(path, last.start, last.end):
        return 0.0, False
    from collab.config import settle

    unfinished = not last.body or not before.tail.endswith(b"\n")
    needed = HAND_QUIET_S if unfinished else HAND_PAUSE_S
    if (given := settle()) is not None:
        needed = min(needed, given)  # COLLAB_SETTLE, the hand writer's settle time, caps it (0: no hold)
    quiet = (time.time() if now is None else now) - modified
    return max(0.0, needed - quiet), unfinished


def _checked(path: Path, fd: int, places: tuple[Path, Path] | None = None) -> tuple[Before, Ledger | None]:
    """The channel under the lock, checked against the ledger, a dead writer's append settled.

    The accepted bytes are digested as they are read, in pieces; only the bytes from the checkpoint
    on are kept and decoded (:func:`_intact`). Anything unusual reads the whole file, to name it.
    """
    fast = _intact(path, fd, places)
    if fast is not None:
        return fast
    shot = reading.snapshot(fd)
    if shot.damage is not None:
        format.parse(shot.data, shot.damage)  # a file that is no channel at all says so instead
        raise ChannelFormatError(f"nothing was written: {shot.damage.warning()}")
    data = shot.data
    ledger = _ledger(path, data)
    if ledger is not None:
        report = checks.verify(ledger, data)
        if not report.ok:
            raise IntegrityError(
                f"{report.summary()}. Nothing was written. See `collab verify {path}`; "
                f"`collab repair {path}` restores the history and keeps the edited text"
            )
        data = wal.settle(ledger, fd, data)
    return _before(data, ledger), ledger


def _intact(path: Path, fd: int, places: tuple[Path, Path] | None) -> tuple[Before, Ledger] | None:
    """The channel as a writer finds it, and its ledger, when its accepted bytes are as accepted and
    the rest is readable; None for anything else (no ledger, an edit, unreadable bytes), which the
    full check (:func:`_checked`) then names.

    Accepted bytes were readable when they were accepted, so once their digest matches, only the
    bytes after them are decoded (:func:`collab.text.format.readable`), never the whole file.
    """
    size = os.fstat(fd).st_size
    if size > files.MAX_CHANNEL_BYTES:
        return None
    found = journal.load(path, places)
    if not isinstance(found, Ledger):
        return None
    end = found.accepted_end
    base = max(0, min(found.checkpoint, end - 1, size - 3))  # the last bytes, at least, tell how the file ends
    tail = files.read_fd(fd, path, base)
    if base + len(tail) < end or tail[end - base - 1 : end - base] != b"\n":
        return None  # cut short, or accepted up to a line not ended: the full check decides
    if format.readable(tail[end - base :], end)[1] is not None or not checks.intact(found, fd, tail, base):
        return None
    tail = wal.settle(found, fd, tail, base)
    return _before(tail, found, base, fd), found


def _append(
    path: Path, fd: int, ledger: Ledger | None, before: Before, compose: Callable[[Before], bytes | None]
) -> Written | None:
    payload = compose(before)
    if payload is None:
        return None
    if before.size + len(payload) > files.MAX_CHANNEL_BYTES:
        raise EntryTooLarge(
            f"appending would take the channel past {files.MAX_CHANNEL_BYTES // 1048576} MiB; start a new channel"
        )
    if ledger is not None:
        try:
            wal.intend(ledger, before.size, payload)
        except OSError as exc:
            reason = exc.strerror or exc
            raise CollabError(f"nothing was written: cannot log the append in the ledger ({reason})") from None
    _write(fd, before.size, payload)
    return Written(_commit(path, fd, ledger, before, payload), payload)


def _ledger(path: Path, data: bytes) -> Ledger | None:
    found = wal.open_ledger(path, data, may_write=True)
    if isinstance(found, Ledger):
        return found
    if found is not None:
        warnings.warn(found.sentence(path), wal.LedgerWarning, stacklevel=4)
    return None


def _before(tail: bytes, ledger: Ledger | None, base: int = 0, fd: int | None = None) -> Before:
    """The writer's view of the channel whose bytes from ``base`` (at most its checkpoint; 0 without
    a ledger) are ``tail``."""
    if ledger is None:
        _, _, checkpoint = format.head(tail)
        counters = Counters()
    else:
        checkpoint, counters = ledger.checkpoint, ledger.counters
    parsed = format.parse_tail(tail[checkpoint - base :].decode("utf-8"), checkpoint, counters)
    closer = blocks.closer_for(tail[parsed.checkpoint - base :].decode("utf-8"))
    if closer is None:
        raise ChannelFormatError(
            "nothing was written: the last entry leaves a code fence or HTML block open that no closing line can "
            "end; append its closing line by hand and try again"
        )
    ends = tail[-3:]
    prefix = ("" if ends.endswith(b"\n") or not tail else "\n") + (closer + "\n" if closer else "")
    if not (ends + prefix.encode()).endswith((b"\n\n", b"\n\r\n")):
        prefix += "\n"  # what collab appends starts after a blank line
    last = parsed.entries[-1] if parsed.entries else None
    return Before(parsed.counters, prefix, tail, last, base=base, fd=fd)


def _write(fd: int, size: int, payload: bytes) -> None:
    """Append ``payload`` to the file of ``size`` bytes; on failure, take back what part of it was
    written (if it is still last)."""
    try:
        files.write_all(fd, payload)
    except OSError as exc:
        now = os.fstat(fd).st_size
        if now > size and payload.startswith(os.pread(fd, now - size, size)):
            os.ftruncate(fd, size)
        raise CollabError(f"nothing was written: {exc.strerror}") from None


def _commit(path: Path, fd: int, ledger: Ledger | None, before: Before, payload: bytes) -> int:
    """Find where ``payload`` landed and accept it; returns its offset. Failures are warnings now.

    Only what came after ``before`` (hand appends, then ``payload``) is read, and the accept parses
    from the checkpoint on (the digest of the accepted bytes is the one the check left).
    """
    offset = before.size
    if ledger is None:
        base, known = offset, b""
    elif ledger.hasher is None:  # (the check always leaves it) the accept digests the whole file
        base, known = 0, before.data
    else:
        base = ledger.checkpoint  # at or after ``before.base``
        known = before.tail[base - before.base :]
    # The readable part of what follows (where it stops inside the last line read, that line was
    # not complete anyway: neither locate nor accept goes past the last newline).
    later, _damage = format.readable(files.read_fd(fd, path, offset), offset)
    after = known + later
    found = wal.locate(after, offset - base, payload)
    landed = offset if found is None else found + base  # None: a hand writer appended unreadable bytes first
    if ledger is not None:
        try:
            wal.restore_copy(ledger, lambda: before.data)
            wal.accept(ledger, after, (landed, landed + len(payload)), base=base)
        except (OSError, CollabError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            warnings.warn(
                f"the entry was appended, but the ledger could not record it ({reason}); the next command catches up",
                wal.LedgerWarning,
                stacklevel=4,
            )
    return landed


def written_body(body: str) -> str:
    """``body`` as an entry holds it: neutralised (:func:`collab.text.blocks.neutralise`), and
    followed by :data:`collab.text.blocks.END_MARK` when it ends in a list or indented code, which
    the blank line after an entry does not end.

    It depends on the body alone, so a writer works it out before it takes the lock: a long list
    costs its parse there, not the lock's holding time. ``body`` must be normalised
    (:func:`collab.text.blocks.normalize_body`) and non-empty.
    """
    written = blocks.neutralise(body)
    if blocks.ends_open(written):  # a list or indented code: a hand line after a blank line would join it
        written += "\n\n" + blocks.END_MARK
    return written


def compose_entry(
    kind: str, number: int, moment: datetime, author: str | None, re_ref: Ref | None, written: str
) -> str:
    """The text a writer appends for one entry, after :attr:`Before.separator`: the heading, the
    body as :func:`written_body` gives it (``written``), and a blank line.

    The blank line ends every block the body leaves open (CommonMark 0.31, section 4: a paragraph,
    a block quote's lazy continuation, a table), so no line appended after it, such as a setext
    underline ``---`` or ``===``, can reach back and change the body; the end mark ends the rest.
    """
    return f"{compose_heading(kind, number, moment, author, re_ref)}\n{written}\n\n"
