"""Checked reads: a channel's readable bytes, checked against its ledger, parsed with its index.

Every command that shows a channel reads it here. The read never waits for the channel's lock:
when the lock is free it is taken without blocking, so entries appended by hand are accepted
(:func:`collab.ledger.wal.accept`); when a writer holds it, the channel is checked without accepting
anything (contract section 7, point 5).

Costs, for N bytes and a checkpoint T bytes from the end: :func:`verdict` reads the file and
digests its accepted bytes (O(N), see :mod:`collab.ledger.checks`), and parses O(T) to accept;
:func:`check` and :func:`indexed` add the journal's whole index and every final entry's body
(O(entries) records and O(N) bytes of bodies decoded, which costs more than the digest);
:func:`entries_after` costs what follows the cursor, in journal records and in bytes (each run
read is checked against its own digest); :func:`summary` reads the file, checks nothing and parses
O(T).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, NamedTuple

from collab.ledger import checks, journal, wal
from collab.ledger.checks import Report
from collab.ledger.journal import Intent, Ledger, LedgerTrouble
from collab.store import files
from collab.text import blocks, format, structure
from collab.text.format import Damage, Document, Entry
from collab.text.grammar import Ref


class Snapshot(NamedTuple):
    """A channel's bytes as read at one moment: ``data`` is the readable part, ``size`` the file's size."""

    data: bytes
    size: int
    damage: Damage | None


def snapshot(fd: int) -> Snapshot:
    """Read an open channel: its readable bytes (see :func:`collab.text.format.readable`), within the size limit."""
    size = os.fstat(fd).st_size
    data = files.read_fd(fd, Path("channel"))
    damage = None
    if size > files.MAX_CHANNEL_BYTES:
        cut = data.rfind(b"\n") + 1
        data = data[:cut]
        damage = Damage(cut, f"the file is over the {files.MAX_CHANNEL_BYTES // 1048576} MiB channel limit")
    good, unreadable = format.readable(data)
    return Snapshot(good, size, unreadable or damage)


class Checked(NamedTuple):
    """A channel as read and checked.

    ``integrity`` is the contract's ``ok``, ``violated`` or ``unchecked``; ``report`` the check
    (None when unchecked); ``trouble`` why the ledger cannot be trusted (missing, damaged, foreign).
    """

    document: Document
    integrity: str
    report: Report | None
    trouble: LedgerTrouble | None

    def warnings(self, channel_path: Path) -> list[str]:
        """The sentences a person must see about this channel's integrity."""
        found = []
        if self.trouble is not None:
            found.append(self.trouble.sentence(channel_path))
        if self.report is not None and not self.report.ok:
            found.append(f"{self.report.summary()} (see `collab verify {channel_path}`)")
        return found


class Verdict(NamedTuple):
    """What checking a channel found, before any parsing: the ledger (or why it cannot be trusted),
    the check's report, and the readable bytes (with a finished dead writer's append settled)."""

    ledger: Ledger | None
    trouble: LedgerTrouble | None
    report: Report | None
    data: bytes
    damage: Damage | None


def verdict(channel_path: Path, *, accept: bool = True) -> Verdict:
    """Check the channel against its ledger without parsing it (when ``accept`` and the lock is free,
    hand appends are accepted first). Never waits for the lock.

    The lock is held only for the writes of an accept (contract 7.5): the file is checked and the
    hand appends parsed without it; under it, the journal and the bytes read are confirmed unchanged
    and the accept worked out ahead is logged. When they changed meanwhile, the check runs again
    under the lock.

    Raises:
        ChannelNotFound, ChannelRefused: the channel cannot be opened safely.
        ChannelFormatError: a channel collab never saw is not a channel.
    """
    read_fd = files.open_checked(channel_path)
    try:
        first = _verdict(channel_path, snapshot(read_fd), None, lambda: snapshot(read_fd))
    finally:
        os.close(read_fd)
    ledger = first.ledger
    if not accept:
        return first
    planned = None
    if ledger is not None and first.report is not None and first.report.ok and ledger.intent is None:
        planned = wal.plan(ledger, first.data)  # the parse, without the lock
        if planned is None:
            return first  # nothing to accept
    try:
        with files.try_locked(channel_path) as fd:
            if fd is None:
                return first
            shot = snapshot(fd)
            if planned is None or not _unchanged(channel_path, ledger, first.data, shot.data):
                return _verdict(channel_path, shot, fd)
            assert ledger is not None
            with contextlib.suppress(OSError):  # the state directory refuses writes: the next writer accepts
                wal.accept(ledger, shot.data[: len(first.data)], planned=planned)
            return first._replace(data=shot.data, damage=shot.damage)
    except OSError:  # the channel or its directory is read-only: the unlocked check stands
        return first


def _unchanged(channel_path: Path, ledger: Ledger | None, data: bytes, now: bytes) -> bool:
    """Under the lock: the journal is as ``ledger`` read it, and the file still begins with ``data``."""
    if ledger is None or not now.startswith(data):
        return False
    found = journal.load(channel_path)
    return isinstance(found, Ledger) and found.journal_size == ledger.journal_size and found.intent is None


#: Times an unlocked read that finds the history changed reads again, ledger first, before it says so.
_RECHECKS = 3


def _verdict(channel_path: Path, shot: Snapshot, fd: int | None, reread: Any = None) -> Verdict:
    data = shot.data
    found = wal.open_ledger(channel_path, data, may_write=fd is not None, damage=shot.damage)
    if not isinstance(found, Ledger):
        return Verdict(None, found, None, data, shot.damage)
    report = checks.verify(found, data)
    for _again in range(_RECHECKS if reread is not None else 0):
        if report.ok:
            break
        # Unlocked, the bytes were read before the ledger: a writer may have appended and accepted in
        # between, and the file only grows. So load the ledger first, then read the file, and check again.
        found = wal.open_ledger(channel_path, data, may_write=False, damage=shot.damage)
        if not isinstance(found, Ledger):
            return Verdict(None, found, None, data, shot.damage)
        shot = reread()
        data = shot.data
        report = checks.verify(found, data)
    if report.ok and fd is not None:
        try:
            data = wal.settle(found, fd, data)
            wal.accept(found, data)
        except OSError:
            pass  # the state directory refuses writes: the check stands, the next writer accepts
    elif report.ok:
        data = data[: in_flight(found.intent, data)]
    return Verdict(found, None, report, data, shot.damage)


def check(channel_path: Path, *, accept: bool = True) -> Checked:
    """Read the channel, check it, and (when ``accept`` and its lock is free) accept hand appends.

    Raises:
        ChannelNotFound, ChannelRefused: the channel cannot be opened safely.
        ChannelFormatError: its readable part is not a channel.
    """
    found = verdict(channel_path, accept=accept)
    if found.ledger is None:
        return Checked(format.parse(found.data, found.damage), "unchecked", None, found.trouble)
    if found.report is None or not found.report.ok:
        return Checked(format.parse(found.data, found.damage), "violated", found.report, None)
    return Checked(indexed(found.ledger, found.data, found.damage), "ok", found.report, None)


def in_flight(intent: Intent | None, data: bytes, base: int = 0) -> int:
    """How much of ``data`` (the file's bytes from offset ``base``) is not a collab append still being
    written: ``len(data)``, or where such an append starts. Readers leave it out until it is whole."""
    if intent is None or intent.offset < base:
        return len(data)
    offset = intent.offset - base
    start = data.find(intent.head, offset)
    if start < 0:  # not begun, or fewer bytes than its head so far
        partial = data[offset:]
        return offset if partial and intent.head.startswith(partial) else len(data)
    return start if len(data) - start < intent.length else len(data)


def entry_at(data: bytes, start: int, end: int) -> tuple[str, str]:
    """The heading line and the body of an entry whose span ``[start, end)`` is known (no block parsing)."""
    text = data[start:end].decode("utf-8")
    line_end = structure.scan_text(text).find("\n")
    if line_end < 0:
        return text.strip(), ""
    return text[:line_end].strip(), blocks.read_body(text[line_end + 1 :])


def _known(records: list[dict[str, Any]], data: bytes) -> tuple[list[Entry], list[tuple[int, str]], int]:
    """The final entries, their warnings and how many more warnings were only counted, from the
    journal's accept records (:class:`journal.Span` lists)."""
    known: list[Entry] = []
    located: list[tuple[int, str]] = []
    unlisted = 0
    for record in records:
        located += [(int(offset), str(sentence)) for offset, sentence in record["warnings"]]
        unlisted += int(record.get("unlisted", 0))
        known += [_span_entry(raw, data) for raw in record["entries"]]
    return known, located, unlisted


def _span_entry(raw: list[Any], data: bytes, base: int = 0) -> Entry:
    """The entry a journal span (:meth:`journal.Span.to_json`) names, read from ``data`` (the
    channel's bytes from offset ``base``)."""
    kind, number, index, start, end, timestamp, author = raw[:7]
    if kind not in ("answer", "question"):
        raise ValueError(kind)
    heading, body = entry_at(data, int(start) - base, int(end) - base)
    reply_to = Ref(str(raw[7]), int(raw[8])) if len(raw) > 7 else None
    return Entry(kind, int(number), timestamp, author, reply_to, body, int(index), int(start), int(end), heading)


def indexed(ledger: Ledger, data: bytes, damage: Damage | None = None) -> Document:
    """Parse ``data``, whose accepted part checked out against ``ledger``: final entries come from
    the index, and only the text from the checkpoint on is parsed. Equal to :func:`format.parse`."""
    records = journal.index(ledger)
    if records is None:
        return format.parse(data, damage)
    try:
        known, located, unlisted = _known(records, data)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, UnicodeDecodeError):
        return format.parse(data, damage)  # a journal that does not read as the index: parse it all
    header, answers_offset, body_start = format.head(data[: ledger.header_end])
    tail = format.parse_tail(data[ledger.checkpoint :].decode("utf-8"), ledger.checkpoint, ledger.counters)
    return format.document(data, header, answers_offset, body_start, known, located, tail, damage, unlisted)


def summary(channel_path: Path) -> Document:
    """The channel for a listing, read cheaply: header and numbering from the ledger, and only the
    text from its checkpoint parsed. Nothing is checked or accepted; entries before the checkpoint
    are counted, not read (``entries`` holds only those after it; ``counters.index`` counts all).

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    fd = files.open_checked(channel_path)
    try:
        shot = snapshot(fd)
    finally:
        os.close(fd)
    found = journal.load(channel_path)
    data = shot.data
    if not isinstance(found, Ledger) or found.accepted_end > len(data):
        return format.parse(data, shot.damage)
    header, answers_offset, body_start = format.head(data[: found.header_end])
    tail = format.parse_tail(data[found.checkpoint :].decode("utf-8"), found.checkpoint, found.counters)
    return format.document(data, header, answers_offset, body_start, [], [], tail, shot.damage)


def entries_after(channel_path: Path, seen: int) -> list[Entry]:
    """The channel's entries after its first ``seen`` (``index > seen``), as
    ``check(channel_path, accept=False).document.entries[seen:]`` has them: what a writer crossed.

    Cost: the journal's records and the channel's bytes from the first of those entries on, not
    the channel's size. Each accepted run read is checked against its digest in the journal; when
    anything is not as the ledger says (no usable ledger, a run that differs, a line that cannot be
    read), the whole channel is read and checked as :func:`check` does.

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    seen = max(0, seen)
    found = journal.load(channel_path)
    if isinstance(found, Ledger):
        try:
            quick = _entries_after(found, seen)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, UnicodeDecodeError):
            quick = None
        if quick is not None:
            return quick
    return list(check(channel_path, accept=False).document.entries[seen:])


def _entries_after(ledger: Ledger, seen: int) -> list[Entry] | None:
    spans: list[list[Any]] = []  # the final entries after ``seen`` (the journal's index), last first
    first = ledger.checkpoint  # the first byte they need
    collected = False

    def enough(record: dict[str, Any]) -> bool:
        nonlocal first, collected
        listed = record["entries"]
        later = [raw for raw in listed if int(raw[2]) > seen]
        spans.extend(reversed(later))
        first = min([first, *(int(raw[3]) for raw in later)])
        collected = collected or bool(listed and int(listed[0][2]) <= seen + 1)  # indexes only grow
        return collected and int(record["start"]) <= first

    records = journal.accepts_back(ledger, enough)
    if records is None:
        return None
    base = int(records[0]["start"]) if records else ledger.checkpoint
    ends = [int(r["end"]) for r in records]
    runs = [int(r["start"]) for r in records[1:]] == ends[:-1] and ends[-1:] in ([], [ledger.accepted_end])
    if base > first or not runs:
        return None  # the runs read do not join up to the accepted end: read it all
    data = _checked_from(ledger, base, records)
    if data is None:
        return None
    entries = [_span_entry(raw, data, base) for raw in reversed(spans)]
    tail = format.parse_tail(data[ledger.checkpoint - base :].decode("utf-8"), ledger.checkpoint, ledger.counters)
    entries += [e for e in tail.entries if e.index > seen]
    return entries if [e.index for e in entries] == list(range(seen + 1, seen + 1 + len(entries))) else None


def _checked_from(ledger: Ledger, base: int, records: list[dict[str, Any]]) -> bytes | None:
    """The channel's readable bytes from ``base`` on, read without the lock, when each accepted run
    of ``records`` (from ``base`` to the accepted end) matches its digest; else None. An append in
    flight is left out, as :func:`verdict` leaves it."""
    fd = files.open_checked(ledger.channel_path)
    try:
        if os.fstat(fd).st_size > files.MAX_CHANNEL_BYTES:
            return None
        data = files.read_fd(fd, ledger.channel_path, base)
    finally:
        os.close(fd)
    if len(data) < ledger.accepted_end - base:
        return None
    view = memoryview(data)
    if any(journal.sha(view[int(r["start"]) - base : int(r["end"]) - base]) != r["sha"] for r in records):
        return None
    good, _damage = format.readable(data, base)
    if len(good) < ledger.accepted_end - base:
        return None
    return good[: in_flight(ledger.intent, good, base)]
