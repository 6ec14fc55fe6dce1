"""Appending an entry or the closing line, and reading the closing back (contract sections 2, 6.3).

The number of an entry is the highest of its kind in the file plus one, taken under the channel
lock by :func:`collab.ledger.writer.append` from the file as it is at that moment; the whole entry
is written with one ``write``, so a reader never sees two entries interleaved.

Cost: an append digests the accepted bytes once (SHA-256, O(N), no parse) and parses the channel
from its last checkpoint on (what the writer needs to number it; :mod:`collab.ledger.writer`);
reporting crossed entries reads the ledger's index from the writer's cursor on.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from collab.errors import ChannelClosed, UnseenEntries, UsageError, guarded
from collab.ledger import reading, writer
from collab.store import files
from collab.text import bodies, exchange, format
from collab.text.format import Document, Entry
from collab.text.grammar import Ref, check_author, format_timestamp

KINDS = ("answer", "question")


def checked_author(name: object) -> str | None:
    """``name`` if it can stand in a heading and read back as written (:func:`check_author`).

    Raises:
        UsageError: it cannot, or it is not text.
    """
    if name is None:
        return None
    if not isinstance(name, str):
        raise UsageError(f"an author name must be text, not {type(name).__name__}")
    try:
        return check_author(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _channel_id(path: Path) -> str:
    from collab.text import naming

    return naming.channel_id(path)


def post(
    path: Path,
    kind: str,
    body: object,
    *,
    author: str | None,
    moment: datetime,
    re: Ref | None = None,
    seen: int | None = None,
    own: exchange.IsOwn | None = None,
) -> exchange.Posted:
    """Append one entry of ``kind`` and report the entries from others it crossed (contract 6.3).

    Args:
        path: the channel.
        kind: ``answer`` or ``question``.
        body: markdown; normalised, terminal controls made visible, and wrapped when it could break
            the file's structure (:func:`collab.text.blocks.neutralise`), so that it reads back exactly.
        author: the name in the heading (checked by :func:`checked_author`), or None.
        moment: the entry's timestamp.
        re: what the entry replies to; it must exist.
        seen: the writer's cursor (entries from the top it has read); None reports nothing.
        own: which entries are the writer's own; default those whose heading names ``author``.

    Returns:
        The entry as read back, and the entries from others after ``seen`` and before it.

    Raises:
        UsageError: an unknown kind, an empty body or one with a NUL, or ``re`` points at nothing.
        EntryTooLarge, ChannelClosed, ChannelFormatError, IntegrityError, ChannelNotFound,
            ChannelRefused, LockTimeout: see :func:`collab.ledger.writer.append`.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown entry kind {kind!r}: use 'answer' or 'question'")
    if not isinstance(body, str):
        raise UsageError(f"the {kind} must be text, not {type(body).__name__}")
    if re is not None and not isinstance(re, Ref):
        raise UsageError(f"re must be a collab.Ref, not {type(re).__name__}")
    author = checked_author(author)
    written_body = writer.written_body(bodies.checked_body(kind, body))  # before the lock: it costs a parse
    text, index = "", 0

    def compose(before: writer.Before) -> bytes:
        nonlocal text, index
        counters = before.counters
        if counters.closed:
            ident = _channel_id(path)
            raise ChannelClosed(
                f"channel {ident} is closed: nothing more can be appended; read how it ended with "
                f"`collab show {ident}`, and to go on, start a new one with `collab start`"
            )
        if re is not None:
            exchange.check_ref(re, counters, before.data)
        number = (counters.answers if kind == "answer" else counters.questions) + 1
        prefix = before.separator
        if kind == "question" and not counters.questions_line:
            prefix += format.QUESTIONS_LINE + "\n\n"
        text, index = writer.compose_entry(kind, number, moment, author, re, written_body), counters.index + 1
        return (prefix + text).encode("utf-8")

    written = writer.append(path, compose)
    assert written is not None  # compose never declines
    read_back = format.parse_tail(text, 0, format.Counters()).entries[0]
    end = written.offset + len(written.payload)
    entry = read_back._replace(index=index, start=end - len(text.encode("utf-8")), end=end)
    if seen is None or seen >= index - 1:
        return exchange.Posted(entry)
    # The ledger accepted the file under the lock just now: read only what follows the cursor.
    after = max(0, seen)
    entries = reading.entries_after(path, after)  # entries[i].index == after + 1 + i
    crossed = exchange.unseen(entries, 0, index - after, own or exchange.by_name(author))
    return exchange.Posted(entry, tuple(crossed))


def close(
    path: Path,
    *,
    author: str | None,
    moment: datetime,
    summary: object = None,
    seen: int | None = None,
    own: exchange.IsOwn | None = None,
    force: bool = False,
) -> bool:
    """Append ``## Closed (<timestamp>)[ by <author>]`` and ``summary`` below it.

    Closing a closed channel again without a summary changes nothing and returns False; with a
    summary it is refused, since the summary would not be in the channel (contract section 7.3).

    Args:
        summary: markdown written below the closing line (checked like an entry's body), or None.
        seen: the closer's cursor; with it (and without ``force``), entries from others after it
            make the close refuse. None checks nothing.
        own: which entries are the closer's own; default those whose heading names ``author``.

    Returns:
        True when this call closed the channel, False when it was closed already.

    Raises:
        ChannelClosed: the channel was already closed and a summary was given (nothing is written).
        UnseenEntries: entries from others after ``seen`` (nothing is written).
        UsageError, EntryTooLarge: the summary is not text, is empty or cannot be written.
        ChannelFormatError, IntegrityError, ChannelNotFound, ChannelRefused, LockTimeout: as
            :func:`collab.ledger.writer.append`.
    """
    author = checked_author(author)
    if summary is not None and not isinstance(summary, str):
        raise UsageError(f"the summary must be text, not {type(summary).__name__}")
    text = bodies.checked_body("summary", summary) if summary is not None else None
    stamp = format_timestamp(moment)

    def compose(before: writer.Before) -> bytes | None:
        if before.counters.closed and text is not None:
            ident = _channel_id(path)
            raise ChannelClosed(
                f"channel {ident} was already closed: your summary was not written; read how it ended "
                f"with `collab show {ident}`"
            )
        if before.counters.closed:
            return None
        if seen is not None and not force and before.counters.index > seen:
            # Under the lock: only the entries after the cursor are read (the ledger's records say
            # where they start), not the whole channel.
            later = reading.entries_after(path, seen)
            crossed = exchange.unseen(later, 0, len(later) + 1, own or exchange.by_name(author))
            if crossed:
                names = ", ".join(e.describe() for e in crossed)
                raise UnseenEntries(
                    f"not closed: you have not read {names}; run `collab wait {path}` to read "
                    "them first, or add --force to close anyway"
                )
        return (before.separator + exchange.compose_closed(stamp, author, text)).encode()

    return writer.append(path, compose) is not None


def read(path: Path) -> Document:
    """The whole channel at ``path`` as it is (its readable part), parsed without any check.

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: see :mod:`collab.store.files` and
            :func:`collab.text.format.parse`.
    """
    shot = _snapshot(path)
    return format.parse(shot.data, shot.damage)


def _snapshot(path: Path) -> reading.Snapshot:
    fd = files.open_checked(path)
    try:
        return reading.snapshot(fd)
    finally:
        os.close(fd)


def closing(path: Path, document: Document | None = None) -> exchange.Closing | None:
    """The channel's closing line and summary (contract section 6.3), or None while it is open.

    Without ``document``, the channel is read as a listing reads it (:func:`reading.summary`: the
    text from its checkpoint on is parsed, nothing checked), then its summary from the closing line on.

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    document = document or reading.summary(path)
    if document.closed is None:
        return None
    return exchange.closing_of(_snapshot(path).data, document.closed)


class Appending:
    """Writing to the channel at ``self.path`` under a name, without a seat: what
    :class:`collab.Channel` offers besides :class:`collab.Seat`, for tools that keep no cursor."""

    __slots__ = ()
    path: Path

    def answer(self, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None) -> Entry:
        """Append ``### Answer N`` under ``author``, with no seat; see :meth:`post`."""
        return self.post("answer", body, author=author, re=re, now=now).entry

    def ask(self, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None) -> Entry:
        """Append ``### Question N`` (after ``## Questions``, added once), with no seat; see :meth:`post`."""
        return self.post("question", body, author=author, re=re, now=now).entry

    def append(
        self, kind: str, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None
    ) -> Entry:
        """Append one entry of ``kind`` (``answer`` or ``question``) and return it as read back; see :meth:`post`."""
        return self.post(kind, body, author=author, re=re, now=now).entry

    @guarded
    def post(
        self,
        kind: str,
        body: str,
        *,
        author: str | None,
        re: Ref | None = None,
        seen: int | None = None,
        own: exchange.IsOwn | None = None,
        now: datetime | None = None,
    ) -> exchange.Posted:
        """Append an entry as ``author`` without a seat (:meth:`Seat.post` writes as a seat).

        Args:
            seen: the writer's cursor; the entries from others after it and before the new one are
                returned as ``unseen``. None reports nothing.
            own: which entries are the writer's own; default those whose heading names ``author``.

        Raises:
            The errors of :func:`post`.
        """
        return post(self.path, kind, body, author=author, moment=now or datetime.now(UTC), re=re, seen=seen, own=own)

    @guarded
    def close(
        self,
        *,
        author: str | None,
        summary: str | None = None,
        seen: int | None = None,
        own: exchange.IsOwn | None = None,
        force: bool = False,
        now: datetime | None = None,
    ) -> bool:
        """Close the channel as ``author`` without a seat (:meth:`Seat.close` closes as a seat).

        With ``seen`` (and without ``force``), entries from others after it make the close refuse.

        Raises:
            The errors of :func:`close`.
        """
        return close(
            self.path, author=author, moment=now or datetime.now(UTC), summary=summary, seen=seen, own=own, force=force
        )
