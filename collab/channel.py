"""A channel: the library's front door with :class:`collab.seat.Seat` (contract section 9).

``Channel`` names one channel file; its methods create, open, read, check, follow, review,
verify, repair and remove it, and seat participants in it. Every failure is a
:class:`collab.errors.CollabError`: an ``OSError`` from the file system (``ENOSPC``, ``EIO`` ...)
leaves a public method as :class:`collab.errors.StorageError`, with its ``strerror`` and file.
Time and the id source are parameters.

Cost: ``read`` and ``check`` read the whole file; ``status`` adds the seats, cursors and presence
files; ``follow`` reads the file once, then only what each change adds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from collab import config
from collab.errors import UsageError, guarded, storage_error
from collab.housekeeping import directory as directory_ops
from collab.ledger import entries as appending
from collab.text import naming
from collab.text.limits import MAX_ENTRY_BYTES

if TYPE_CHECKING:
    from collab.housekeeping.cleanup import Removal
    from collab.ledger.checks import Report
    from collab.ledger.reading import Checked
    from collab.ledger.repair import Repair
    from collab.live.follower import Update
    from collab.render.status import Status
    from collab.seat import Seat
    from collab.text.exchange import Closing
    from collab.text.format import Document, Entry


#: The join message is wrapped to fit an 80-column pane.
JOIN_WIDTH = 80


def _now() -> datetime:
    return datetime.now(UTC)


class _Located(NamedTuple):
    path: Path


class Channel(_Located, appending.Appending, directory_ops.InDirectory):
    """The channel file at ``path`` (``collab-<id>.md``; a :class:`str` or any path-like is taken too).

    Raises:
        UsageError: ``path`` is not a path.
    """

    __slots__ = ()

    #: The largest entry body, in bytes of UTF-8 (:data:`collab.text.limits.MAX_ENTRY_BYTES`).
    MAX_ENTRY_BYTES: ClassVar[int] = MAX_ENTRY_BYTES

    def __new__(cls, path: str | os.PathLike[str]) -> Channel:
        if not isinstance(path, str | os.PathLike):
            raise UsageError(f"a channel is named by its path, not {type(path).__name__}")
        return super().__new__(cls, Path(path))

    @property
    def id(self) -> str:
        """The channel id, from the file name (``collab-<id>.md``)."""
        return naming.channel_id(self.path)

    @property
    def shell_word(self) -> str:
        """The path as one POSIX shell word, quoted only when it needs to be (as join messages write it)."""
        from collab.integrations.templates import shell_word

        return shell_word(self.path)

    @classmethod
    @guarded
    def create(
        cls,
        task: str,
        *,
        author: str,
        context: str = "",
        requests: list[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        now: datetime | None = None,
        id_source: Callable[[], str] | None = None,
    ) -> Channel:
        """Create a new channel file (mode 0600, ``O_EXCL|O_NOFOLLOW``) in the channel directory.

        The task, the context and each request are checked as an entry's body is
        (:func:`collab.text.bodies.checked_body`): terminal controls are written visibly, and text no
        reader could read back is refused before anything is created. A create that fails leaves
        no file behind.

        Raises:
            UsageError: the author cannot stand in a heading; the task is empty; the task, the context
                or a request holds a NUL or is not valid text; or a request cannot be a list item.
            EntryTooLarge: the task, the context or a request is over the entry limit.
            ChannelRefused, ChannelNotFound: the path is taken or the directory is missing.
            StorageError: the file system failed the write (nothing is left behind).
        """
        from collab.ledger import founding

        path = founding.found(
            task,
            author=appending.checked_author(author) or "",
            context=context,
            requests=requests,
            directory=directory,
            moment=now or _now(),
            channel_id=(id_source or founding.new_id)(),
        )
        return cls(path)

    @classmethod
    @guarded
    def open(cls, ref: str, directory: str | os.PathLike[str] | None = None) -> Channel:
        """The channel named by ``ref`` (a path, an id or a unique prefix), checked to exist and be safe to open.

        Raises:
            UsageError, ChannelNotFound, ChannelRefused: see :func:`collab.config.resolve` and
                :func:`collab.store.files.open_checked`.
        """
        from collab.store import files

        if not isinstance(ref, str | os.PathLike):
            raise UsageError(f"a channel is named by a path, an id or a prefix, not {type(ref).__name__}")
        path = config.resolve(os.fspath(ref), config.channel_dir(directory), existing=True)
        os.close(files.open_checked(path))
        return cls(path)

    @classmethod
    @guarded
    def locate(cls, ref: str, directory: str | os.PathLike[str] | None = None) -> Channel:
        """As :meth:`open`, but a deleted channel whose ledger remains is still named (for
        :meth:`verify` and :meth:`repair`, which can create it again).

        Raises:
            As :meth:`open`.
        """
        from collab.ledger import journal

        path = config.resolve(os.fspath(ref), config.channel_dir(directory))
        if os.path.lexists(path):
            return cls.open(ref, directory)
        if journal.load(path) is None:  # nothing there, nor a ledger: say what is near
            config.resolve(os.fspath(ref), config.channel_dir(directory), existing=True)
        return cls(path)

    @guarded
    def remove(self, *, force: bool = False) -> Removal:
        """Delete the channel and every file collab keeps for it; an open one only with ``force``.

        See :func:`collab.housekeeping.cleanup.remove` (what goes, the lock, a partial failure).

        Raises:
            ChannelKept: the channel is open (or unreadable) and ``force`` is false.
            ChannelNotFound, ChannelRefused, LockTimeout: as :func:`collab.housekeeping.cleanup.remove`.
        """
        from collab.housekeeping import cleanup

        return cleanup.remove(self.path, cleanup.unless_open(force))

    @guarded
    def read(self) -> Document:
        """Parse the whole channel as it is (its readable part), without checking or accepting anything.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: see :mod:`collab.store.files` and
                :func:`collab.text.format.parse`.
        """
        return appending.read(self.path)

    @guarded
    def outline(self) -> Document:
        """The channel read cheaply, as a listing reads it: its header, numbering and closing line,
        with only the text from its last checkpoint parsed (``entries`` holds just those after it).
        Nothing is checked or accepted (see :func:`collab.ledger.reading.summary`).

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
        """
        from collab.ledger import reading

        return reading.summary(self.path)

    @guarded
    def source(self) -> bytes:
        """The channel file's bytes as they are now, opened as every read opens it (no link, no other owner's file).

        Raises:
            ChannelNotFound, ChannelRefused: see :func:`collab.store.files.read_checked`.
        """
        from collab.store import files

        return files.read_checked(self.path)

    @guarded
    def check(self, *, accept: bool = True) -> Checked:
        """Read the channel checked against its ledger (see :func:`collab.ledger.reading.check`).

        With ``accept``, entries appended by hand are accepted first when the lock is free; the
        read never waits for the lock.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
        """
        from collab.ledger import reading

        return reading.check(self.path, accept=accept)

    @guarded
    def verify(self) -> Report:
        """Whether the header and every accepted entry are as first written, naming what changed.

        A deleted channel whose ledger remains, and a ledger that is missing, damaged or foreign,
        are failures too (contract section 7, point 6).

        Raises:
            ChannelNotFound, ChannelRefused: neither the channel nor its ledger is there, or unsafe.
        """
        from collab.ledger import audit

        return audit.verify(self.path)

    @guarded
    def repair(self) -> Repair:
        """Restore the accepted history, or cut an unreadable tail; see :func:`collab.ledger.repair.repair`."""
        from collab.ledger import repair

        return repair.repair(self.path)

    @guarded
    def accept_current(self) -> int:
        """Accept the channel as it is now (a new ledger); returns the bytes accepted."""
        from collab.ledger import repair

        return repair.accept_current(self.path)

    @guarded
    def join_message(self, document: Document | None = None, *, width: int = JOIN_WIDTH) -> str:
        """The text a person pastes into the joining session (templates/join.md), its paragraphs and
        commands wrapped to ``width`` columns (80 by default; a command goes on with a backslash)."""
        from collab.integrations import templates
        from collab.text import bodies

        document = document or self.outline()
        word = templates.shell_word(self.path)
        task = bodies.title(document.header.task, limit=400) if document.header.task else ""
        text = templates.render("join.md", path=word, id=self.id, title=task or document.header.title or self.id)
        return templates.wrap(text, keep=(word,), width=width).rstrip("\n")

    @guarded
    def seat(self, name: str | None = None) -> Seat:
        """A participant's seat, by ``name``; with no name, this session's own seat (contract 6.1).

        Raises:
            UsageError: ``name`` cannot stand in a heading.
            ChannelRefused, LockTimeout: the seats file cannot be used (see :func:`collab.live.seats.claim`).
        """
        from collab.live import seats
        from collab.seat import Seat

        if name is not None and not isinstance(name, str):
            raise UsageError(f"a name must be text, not {type(name).__name__}")
        return Seat(self, seats.claim(self.path, name))

    @guarded
    def status(self, checked: Checked | None = None) -> Status:
        """What is open and who took part: requests, questions, participants (seen, waiting).

        Args:
            checked: the channel as :meth:`check` read it, when the caller has read it already.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
        """
        from collab.live import receipts, seats
        from collab.live.presence import waiting_names
        from collab.render.status import compute

        checked = checked or self.check()
        waiting = frozenset(waiting_names(self.path))
        readers, seated = receipts.readers(self.path), seats.seated(self.path)
        closing = appending.closing(self.path, checked.document)
        return compute(checked.document, self.id, self.path, checked.integrity, waiting, readers, seated, closing)

    def updates(self, *, from_start: bool = False, after: int | None = None, stop: Any = None) -> Iterator[Update]:
        """Each look at the channel that found something, as :class:`collab.live.follower.Update`:
        first the entries there (all with ``from_start``, those after the ``after``-th entry when
        given, else none), then each change, until ``stop`` (anything with ``is_set()``, e.g.
        :class:`threading.Event`) is set.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError, StorageError: the first read fails.
        """
        from collab.live.watch import WatchSettings, follow

        try:
            yield from follow(
                self.path,
                after=after if after is not None else 0 if from_start else None,
                stop_event=stop,
                settings=WatchSettings.from_env(),
            )
        except OSError as exc:
            raise storage_error(exc) from exc

    def follow(self, *, from_start: bool = False, stop: Any = None) -> Iterator[Entry]:
        """The entries as they land, until the channel is closed or ``stop`` is set; see :meth:`updates`."""
        for update in self.updates(from_start=from_start, stop=stop):
            yield from update.entries
            if update.closed:
                return

    @guarded
    def closing(self, document: Document | None = None) -> Closing | None:
        """The channel's closing line and summary (contract section 6.3), or None while it is open.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
        """
        return appending.closing(self.path, document)

    @staticmethod
    def heading_warnings(found: Iterable[Entry]) -> list[str]:
        """A warning for each heading part collab could not read (:func:`collab.text.grammar.heading_warnings`)."""
        from collab.text.grammar import heading_warnings

        return heading_warnings(found)
