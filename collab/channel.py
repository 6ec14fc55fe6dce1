"""A channel: create it, read it, append entries to it.

This is the library's front door. Appends follow contract section 2: the next number is taken under
``flock(LOCK_EX)`` from the file as it is at that moment, and the whole entry is written with one
``write`` so a reader never sees two entries interleaved. Time and the id source are parameters.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from collab import config
from collab.errors import ChannelClosed, ChannelRefused, CollabError, UnseenEntries, UsageError
from collab.ledger import checks, journal, reading, wal, writer
from collab.ledger import repair as repairing
from collab.store import files
from collab.text import blocks, bodies, exchange, format, naming
from collab.text.format import Document, Entry
from collab.text.grammar import Ref, check_author, format_timestamp

if TYPE_CHECKING:
    from collab.housekeeping import cleanup

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ID_LENGTH = 8


def new_id() -> str:
    """A channel id: 8 characters from ``[a-z0-9]`` drawn with :mod:`secrets` (about 41 bits)."""
    import secrets  # here, not at the top: only a new channel needs it (about 3 ms of start-up)

    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def _now() -> datetime:
    return datetime.now(UTC)


def _author(name: str | None) -> str | None:
    """``name`` if it can stand in a heading and read back as written (:func:`check_author`).

    Raises:
        UsageError: it cannot.
    """
    if name is None:
        return None
    if not isinstance(name, str):
        raise UsageError(f"an author name must be text, not {type(name).__name__}")
    try:
        return check_author(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


class _Located(NamedTuple):
    path: Path


class Channel(_Located):
    """A channel file at ``path`` (``collab-<id>.md``; a :class:`str` or any path-like is taken too)."""

    __slots__ = ()

    def __new__(cls, path: str | os.PathLike[str]) -> "Channel":
        return super().__new__(cls, Path(path))

    @property
    def id(self) -> str:
        """The channel id, from the file name (``collab-<id>.md``)."""
        return naming.channel_id(self.path)

    @classmethod
    def create(
        cls,
        task: str,
        *,
        author: str,
        context: str = "",
        requests: list[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        now: datetime | None = None,
        id_source: Callable[[], str] = new_id,
    ) -> "Channel":
        """Create a new channel file (mode 0600, ``O_EXCL|O_NOFOLLOW``) in the channel directory.

        The task, the context and each request are checked as an entry's body is
        (:func:`collab.text.bodies.checked_body`): terminal controls are written visibly, and text no
        reader could read back is refused before anything is created.

        Raises:
            UsageError: the task is empty; the task, the context or a request holds a NUL or is not
                valid text; or a request cannot be written as a list item.
            EntryTooLarge: the task, the context or a request is over the entry limit.
            ChannelRefused, ChannelNotFound: the path is taken or the directory is missing.
        """
        author = _author(author) or ""
        if not isinstance(task, str) or not blocks.normalize_body(task):
            raise UsageError("the task is empty: give the task as an argument or on stdin")
        task = bodies.checked_body("task", task)
        context = bodies.checked_body("context", context) if context.strip() else ""
        requests = [
            bodies.checked_body(f"request {number}", text)
            for number, text in enumerate((r for r in (requests or []) if r.strip()), 1)
        ]
        from collab.integrations import templates  # only creating and joining need the templates

        channel_id = id_source()
        path = config.channel_path(channel_id, directory)
        text = templates.render(
            "channel.md",
            title=bodies.title(task),
            id=channel_id,
            created=format_timestamp(now or _now()),
            author=author,
            task=blocks.neutralise(task),
            context=blocks.neutralise(context) if context else "",
            requests=bodies.request_items(requests),
            path=templates.shell_word(path),
        )
        bodies.check_header(text, task, requests)
        data = text.encode("utf-8")
        files.create_exclusive(path, data)
        try:
            wal.build(path, data)
        except (OSError, CollabError) as exc:  # no channel without its ledger: take the file back
            os.unlink(path)
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise ChannelRefused(f"cannot start the channel's ledger ({reason}); nothing was created") from None
        return cls(path)

    @classmethod
    def open(cls, ref: str, directory: str | os.PathLike[str] | None = None) -> "Channel":
        """The channel named by ``ref`` (a path or an id), checked to exist and be safe to open.

        Raises:
            UsageError, ChannelNotFound, ChannelRefused: see :func:`collab.config.resolve` and
                :func:`collab.store.files.open_checked`.
        """
        path = config.resolve(ref, directory, existing=True)
        os.close(files.open_checked(path))
        return cls(path)

    def remove(self, *, force: bool = False) -> "cleanup.Removal":
        """Delete the channel and every file collab keeps for it; an open one only with ``force``.

        See :func:`collab.housekeeping.cleanup.remove` (what goes, the lock, a partial failure).

        Raises:
            ChannelKept: the channel is open (or unreadable) and ``force`` is false.
            ChannelNotFound, ChannelRefused, LockTimeout: as :func:`collab.housekeeping.cleanup.remove`.
        """
        from collab.housekeeping import cleanup

        return cleanup.remove(self.path, cleanup.unless_open(force))

    def read(self) -> Document:
        """Parse the whole channel as it is (its readable part), without checking or accepting anything.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: see :mod:`collab.store.files` and
                :func:`collab.text.format.parse`.
        """
        fd = files.open_checked(self.path)
        try:
            shot = reading.snapshot(fd)
        finally:
            os.close(fd)
        return format.parse(shot.data, shot.damage)

    def check(self, *, accept: bool = True) -> reading.Checked:
        """Read the channel checked against its ledger (see :func:`collab.ledger.reading.check`).

        With ``accept``, entries appended by hand are accepted first when the lock is free; the
        read never waits for the lock.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
        """
        return reading.check(self.path, accept=accept)

    def verify(self) -> checks.Report:
        """Whether the header and every accepted entry are as first written, naming what changed.

        A deleted channel whose ledger remains, and a ledger that is missing, damaged or foreign,
        are failures too (contract section 7, point 6).

        Raises:
            ChannelNotFound, ChannelRefused: neither the channel nor its ledger is there, or unsafe.
        """
        if not os.path.lexists(self.path) and journal.load(self.path) is not None:
            return checks.Report(False, (checks.DELETED,))
        found = reading.verdict(self.path)
        if found.trouble is not None:
            return checks.Report(False, (checks.Problem("ledger", found.trouble.what, found.trouble.detail),))
        problems = found.report.problems if found.report is not None else ()
        if found.damage is not None:
            problems += (checks.Problem("the end of the file", "unreadable", found.damage.warning()),)
        return checks.Report(not problems, problems)

    def repair(self) -> repairing.Repair:
        """Restore the accepted history, or cut an unreadable tail; see :func:`collab.ledger.repair.repair`."""
        return repairing.repair(self.path)

    def accept_current(self) -> int:
        """Accept the channel as it is now (a new ledger); returns the bytes accepted."""
        return repairing.accept_current(self.path)

    def join_message(self, document: Document | None = None) -> str:
        """The text a person pastes into the joining session (templates/join.md)."""
        from collab.integrations import templates

        document = document or self.read()
        word = templates.shell_word(self.path)
        task = bodies.title(document.header.task, limit=400) if document.header.task else ""
        text = templates.render("join.md", path=word, title=task or document.header.title or self.id)
        return templates.wrap(text, keep=(word,))

    def answer(self, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None) -> Entry:
        """Append ``### Answer N``; see :meth:`append`."""
        return self.append("answer", body, author=author, re=re, now=now)

    def ask(self, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None) -> Entry:
        """Append ``### Question N`` (after ``## Questions``, added once); see :meth:`append`."""
        return self.append("question", body, author=author, re=re, now=now)

    def append(
        self, kind: str, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None
    ) -> Entry:
        """Append one entry of ``kind`` (``answer`` or ``question``) and return it as read back.

        The number is the highest of that kind in the file plus one, taken under the channel lock.
        ``body`` is markdown; it is normalised, terminal controls in it are made visible, and, if it
        could break the file's structure, it is wrapped (:func:`collab.text.blocks.neutralise`) so that
        it reads back exactly. See :meth:`post` for the entries from others it crossed.

        Raises:
            UsageError: the body is empty or holds a NUL, or ``re`` points at nothing.
            EntryTooLarge: over :data:`collab.text.limits.MAX_ENTRY_BYTES`.
            ChannelClosed: the channel is closed. ChannelFormatError: the file is not a readable channel.
            IntegrityError: its accepted history was edited. ChannelNotFound, ChannelRefused,
                LockTimeout: see :mod:`collab.store.files`.
        """
        return self.post(kind, body, author=author, re=re, now=now).entry

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
        """Append as :meth:`append` does, and report the entries it crossed (contract section 6.3).

        Args:
            seen: the writer's cursor (entries from the top it has read); None reports nothing.
            own: which entries are the writer's own; default those whose heading names ``author``.

        Returns:
            The entry as read back, and the entries from others after ``seen`` and before it.

        Raises:
            The errors of :meth:`append`.
        """
        if kind not in ("answer", "question"):
            raise UsageError(f"unknown entry kind {kind!r}: use 'answer' or 'question'")
        if not isinstance(body, str):
            raise UsageError(f"the {kind} must be text, not {type(body).__name__}")
        author = _author(author)
        body = bodies.checked_body(kind, body)
        moment = now or _now()
        text, index = "", 0

        def compose(before: writer.Before) -> bytes:
            nonlocal text, index
            counters = before.counters
            if counters.closed:
                raise ChannelClosed(
                    f"channel {self.id} is closed: nothing more can be appended; read how it ended with "
                    f"`collab show {self.id}`, and to go on, start a new one with `collab start`"
                )
            if re is not None:
                exchange.check_ref(re, counters, before.data)
            number = (counters.answers if kind == "answer" else counters.questions) + 1
            prefix = before.separator
            if kind == "question" and not counters.questions_line:
                prefix += format.QUESTIONS_LINE + "\n\n"
            text, index = writer.compose_entry(kind, number, moment, author, re, body), counters.index + 1
            return (prefix + text).encode("utf-8")

        written = writer.append(self.path, compose)
        assert written is not None  # compose never declines
        read_back = format.parse_tail(text, 0, format.Counters()).entries[0]
        start = written.offset + len(written.payload) - len(text.encode("utf-8"))
        entry = read_back._replace(index=index, start=start, end=written.offset + len(written.payload))
        if seen is None or seen >= index - 1:
            return exchange.Posted(entry)
        # The ledger accepted the file under the lock just now: its index reads only the last entry on.
        entries = reading.check(self.path, accept=False).document.entries
        crossed = exchange.unseen(entries, seen, index, own or exchange.by_name(author))
        return exchange.Posted(entry, tuple(crossed))

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
            UsageError, EntryTooLarge: the summary is empty or cannot be written (see :meth:`append`).
            ChannelFormatError, IntegrityError, ChannelNotFound, ChannelRefused: as :meth:`append`.
        """
        author = _author(author)
        text = bodies.checked_body("summary", summary) if summary is not None else None
        stamp = format_timestamp(now or _now())

        def compose(before: writer.Before) -> bytes | None:
            if before.counters.closed and text is not None:
                raise ChannelClosed(
                    f"channel {self.id} was already closed: your summary was not written; read how it ended "
                    f"with `collab show {self.id}`"
                )
            if before.counters.closed:
                return None
            if seen is not None and not force and before.counters.index > seen:
                entries = format.parse(before.data).entries
                crossed = exchange.unseen(entries, seen, len(entries) + 1, own or exchange.by_name(author))
                if crossed:
                    names = ", ".join(exchange.describe(e) for e in crossed)
                    raise UnseenEntries(
                        f"not closed: you have not read {names}; run `collab wait {self.path}` to read "
                        "them first, or add --force to close anyway"
                    )
            return (before.separator + exchange.compose_closed(stamp, author, text)).encode()

        return writer.append(self.path, compose) is not None

    def closing(self, document: Document | None = None) -> exchange.Closing | None:
        """The channel's closing line and summary (contract section 6.3), or None while it is open.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
        """
        document = document or self.read()
        if document.closed is None:
            return None
        fd = files.open_checked(self.path)
        try:
            data = reading.snapshot(fd).data
        finally:
            os.close(fd)
        return exchange.closing_of(data, document.closed)
