"""Follow a channel as it grows: each newly completed entry, the moment it lands.

Two layers, so the reading logic is testable without a file-system watcher:

- :class:`Follower` reads a channel incrementally. It remembers the file's identity (device, inode),
  size and modification time, and the byte offset up to which entries were delivered. On
  :meth:`Follower.refresh` it stats the file: growth means only the new bytes are read and parsed
  (work proportional to what is new); a new inode, a shorter file or an in-place change means the
  whole file is read again and only entries not delivered before are delivered, with a notice when
  something delivered earlier changed.
- :func:`follow` drives a follower with :mod:`watchfiles` events. It watches the channel's *parent
  directory*, non-recursively, filtered to the channel's path: a watch on the file itself goes
  silent after an atomic save (temp file renamed over the channel) or a delete-and-recreate.

The watcher is armed before the file is read a second time, so an entry landing while the watch is
being set up is never missed. On file systems without change events (NFS, SMB, 9p, sshfs: see
:data:`NETWORK_FILESYSTEMS`) watchfiles' polling mode is used, every
:attr:`WatchSettings.poll_ms` milliseconds.
"""

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

from collab import files, format, integrity
from collab.errors import ChannelFormatError, ChannelNotFound, CollabError
from collab.format import Counters, Entry

#: File-system types (``/proc/self/mountinfo``) that deliver no inotify events for other hosts' writes.
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "ceph", "glusterfs", "afs", "lustre", "gpfs"}
)
#: Bytes kept from just before the delivered offset, to notice a rewrite that also grew the file.
_ANCHOR_BYTES = 256


class StopEvent(Protocol):
    """Anything with ``is_set()``, such as :class:`threading.Event` (watchfiles' ``stop_event``)."""

    def is_set(self) -> bool: ...


class WatchSettings(NamedTuple):
    """How :func:`follow` waits for changes; every value in milliseconds.

    ``step_ms`` is how often watchfiles' Rust side checks for events (its idle wake-up interval:
    smaller means lower latency and more idle CPU); ``debounce_ms`` caps how long a burst of events
    is collected before it is reported; ``idle_ms`` is how long without events before the file is
    checked anyway (this settles a truncate-and-rewrite, and reports a vanished file);
    ``poll_ms`` is the polling interval on file systems without events. ``polling`` forces it.
    """

    step_ms: int = 5
    debounce_ms: int = 20
    idle_ms: int = 250
    poll_ms: int = 250
    polling: bool | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "WatchSettings":
        """Settings from ``COLLAB_WATCH_STEP_MS``, ``_DEBOUNCE_MS``, ``_IDLE_MS``, ``_POLL_MS``, ``_POLLING``.

        Each ``_MS`` value is a whole number of milliseconds from 1 to at most 1,000 (step), 10,000
        (debounce) or 60,000 (idle, poll); ``_POLLING`` is a yes/no value (see
        :func:`collab.config.env_flag`). Unset or empty means the default.

        Raises:
            UsageError: a value is malformed or out of range.
        """
        from collab import config

        # The stop event (a `wait` timeout, Ctrl+C) is only noticed once per step: keep a step short.
        ranges = {"step_ms": (1, 1000), "debounce_ms": (1, 10_000), "idle_ms": (1, 60_000), "poll_ms": (1, 60_000)}
        defaults = cls()
        values = {
            name: config.env_int(
                f"COLLAB_WATCH_{name.upper()}", getattr(defaults, name), low, high, "milliseconds", environ
            )
            for name, (low, high) in ranges.items()
        }
        return cls(**values, polling=config.env_flag("COLLAB_WATCH_POLLING", environ))


class Update(NamedTuple):
    """What one look at the file found.

    ``entries`` are newly delivered, in file order; ``seen`` is how many entries, from the top of
    the file, have been seen so far (a reader's cursor); ``closed`` says whether the channel is
    closed now; ``notices`` are sentences for a person (history edited, file vanished or back);
    ``edited`` is true when bytes delivered earlier changed (on the first look: when the ledger
    finds the accepted history edited).
    """

    entries: tuple[Entry, ...] = ()
    seen: int = 0
    closed: bool = False
    notices: tuple[str, ...] = ()
    edited: bool = False

    def __bool__(self) -> bool:
        return bool(self.entries or self.notices)


def _fingerprint(entry: Entry) -> bytes:
    return hashlib.sha256(f"{entry.heading}\n{entry.body}".encode()).digest()


class _Seen:
    """What a :class:`Follower` knows of the file as it last read it (mutable; replaced on a reread)."""

    __slots__ = ("anchor", "closed", "counters", "delivered", "header", "ident", "mtime_ns", "offset", "size")

    def __init__(
        self,
        *,
        ident: tuple[int, int],
        size: int,
        mtime_ns: int,
        offset: int,
        anchor: bytes,
        counters: Counters,
        header: bytes,
        delivered: list[tuple[str, bytes]],
        closed: bool,
    ) -> None:
        self.ident = ident
        self.size = size
        self.mtime_ns = mtime_ns
        self.offset = offset
        self.anchor = anchor
        self.counters = counters
        self.header = header
        self.delivered = delivered
        self.closed = closed


class Follower:
    """Incremental reader of one channel file (no watching; see :func:`follow`).

    ``after`` is how many entries count as already seen when the follower starts: 0 delivers every
    entry, ``None`` delivers only entries that land from now on.
    """

    def __init__(self, path: Path, after: int | None = None) -> None:
        self.path = path
        self._after = after
        self._seen: _Seen | None = None
        self._missing = False
        self._unreadable: str | None = None

    @property
    def delivered(self) -> int:
        """How many entries (counting from the top of the file) have been seen so far."""
        return len(self._seen.delivered) if self._seen else 0

    def start(self) -> Update:
        """Read the whole file, check it against its ledger, and deliver the entries after ``after``.

        The part the ledger accepted is read from its index, not parsed again. When the ledger finds
        the history edited, the update says so (``edited``, and the ledger's summary as its notice).
        An append still being written is left for a later :meth:`refresh`.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read now.
        """
        fd = files.open_checked(self.path)
        try:
            st = os.fstat(fd)
            data = files.read_fd(fd, self.path)
        finally:
            os.close(fd)
        data = self._complete(data, 0)
        report, document = integrity.parse(self.path, data)
        skip = len(document.entries) if self._after is None else min(self._after, len(document.entries))
        self._adopt(st, data, document)
        edited = report is not None and not report.ok
        return Update(
            entries=document.entries[skip:],
            seen=self.delivered,
            closed=document.closed is not None,
            notices=(report.summary(),) if report is not None and edited else (),
            edited=edited,
        )

    def refresh(self, *, settled: bool = True) -> Update:
        """Look at the file again and deliver what is new.

        ``settled`` is false while events are still arriving: a missing, shorter or unreadable file
        is then given time (an editor truncates before it writes) and reported only once settled.
        """
        if self._seen is None:
            raise RuntimeError("Follower.refresh() before start()")
        try:
            fd = files.open_checked(self.path)
        except ChannelNotFound:
            return self._vanished(settled)
        except CollabError as exc:
            return self._cannot_read(str(exc), settled)
        try:
            return self._back(self._read(fd, settled))
        except ChannelFormatError as exc:
            return self._cannot_read(str(exc), settled)
        finally:
            os.close(fd)

    def _read(self, fd: int, settled: bool) -> Update:
        seen = self._seen
        assert seen is not None
        st = os.fstat(fd)
        same_file = (st.st_dev, st.st_ino) == seen.ident
        if same_file and st.st_size == seen.size and st.st_mtime_ns == seen.mtime_ns:
            return self._nothing()
        if same_file and st.st_size > seen.size and os.pread(fd, len(seen.anchor), seen.offset - len(seen.anchor)) == (
            seen.anchor
        ):
            return self._grow(fd, st, settled)
        data = files.read_fd(fd, self.path)
        if len(data) < seen.offset and not settled:
            return self._nothing()
        return self._reread(st, data, settled)

    def _grow(self, fd: int, st: os.stat_result, settled: bool) -> Update:
        """Parse only the bytes after the delivered offset (cost proportional to what is new).

        While events are still arriving, new bytes that do not end a line are left for later: a
        writer may be part-way through an entry. Once the file is settled they are read as they are
        (a hand-written file may lack its final newline).
        """
        seen = self._seen
        assert seen is not None
        new = self._complete(files.read_fd(fd, self.path, seen.offset), seen.offset)
        if not new or (not settled and not new.endswith(b"\n")):
            return self._nothing()
        tail = format.parse_tail(new, seen.offset, seen.counters)
        seen.offset += len(new)
        seen.size, seen.mtime_ns = seen.offset, st.st_mtime_ns
        seen.anchor = (seen.anchor + new)[-_ANCHOR_BYTES:]
        seen.delivered.extend((e.label, _fingerprint(e)) for e in tail.entries)
        seen.closed = seen.closed or tail.closed is not None
        return Update(entries=tuple(tail.entries), seen=self.delivered, closed=seen.closed)

    def _complete(self, data: bytes, offset: int) -> bytes:
        """``data`` (the file's bytes from ``offset`` on) without an append that a writer is part-way
        through, or died in: it is delivered once whole (or rolled back by the next writer)."""
        pending = integrity.in_flight(self.path)
        if pending is not None and offset + len(data) < sum(pending):
            return data[: max(0, pending[0] - offset)]
        return data

    def _reread(self, st: os.stat_result, data: bytes, settled: bool) -> Update:
        seen = self._seen
        assert seen is not None
        try:
            document = format.parse(data)
        except ChannelFormatError:
            if not settled:
                return self._nothing()
            raise
        notices = []
        header = data[: document.answers_offset]
        if header != seen.header:
            notices.append("the header above the answers line was edited")
        for position, (label, fingerprint) in enumerate(seen.delivered):
            if position >= len(document.entries):
                missing = [label for label, _ in seen.delivered[position:]]
                notices.append(f"{_join(missing)} {'was' if len(missing) == 1 else 'were'} removed")
                break
            entry = document.entries[position]
            if (entry.label, _fingerprint(entry)) != (label, fingerprint):
                notices.append(f"{label} was edited" + ("" if entry.label == label else f" (now {entry.label})"))
        fresh = document.entries[len(seen.delivered) :]
        was_closed = seen.closed
        self._adopt(st, data, document)
        edited = bool(notices)
        if notices:
            report = integrity.check(self.path, data)
            if report is not None and report.ok:  # e.g. after `collab repair`
                notices, edited = ["the history changed back to what the ledger accepted"], False
            else:
                notices = [f"history was edited: {'; '.join(notices)}"]
        return Update(fresh, self.delivered, document.closed is not None or was_closed, tuple(notices), edited)

    def _adopt(self, st: os.stat_result, data: bytes, document: format.Document) -> None:
        """Take ``document`` (parsed from all of ``data``) as what has been seen."""
        if document.entries:
            offset = document.entries[-1].end
        else:
            line_end = data.find(b"\n", document.answers_offset)
            offset = len(data) if line_end < 0 else line_end + 1
        if document.closed is not None:
            offset = max(offset, len(data))
        self._seen = _Seen(
            ident=(st.st_dev, st.st_ino),
            size=len(data),
            mtime_ns=st.st_mtime_ns,
            offset=offset,
            anchor=data[max(0, offset - _ANCHOR_BYTES) : offset],
            counters=document.counters,
            header=data[: document.answers_offset],
            delivered=[(e.label, _fingerprint(e)) for e in document.entries],
            closed=document.closed is not None,
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
        return Update(update.entries, update.seen, update.closed, notices, update.edited)


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _filesystem_type(directory: Path) -> str | None:
    """The type of the file system holding ``directory`` (Linux ``/proc/self/mountinfo``), if known."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    target = str(directory.resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or not right:
            continue
        mount_point = fields[4].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), right.split()[0])
    return best[1] if best else None


def needs_polling(directory: Path) -> bool:
    """True when ``directory`` is on a file system that delivers no change events (a network mount)."""
    return _filesystem_type(directory) in NETWORK_FILESYSTEMS


def _changes(path: Path, settings: WatchSettings, stop_event: StopEvent | None) -> Iterator[bool]:
    """Yield ``True`` after each burst of changes to ``path``, ``False`` after ``idle_ms`` without any.

    The first value comes once the watch is armed. Ends when ``stop_event`` is set.
    """
    import watchfiles

    target = str(path)
    polling = settings.polling if settings.polling is not None else needs_polling(path.parent)
    for changes in watchfiles.watch(
        path.parent,
        watch_filter=lambda _change, changed: changed == target,
        debounce=settings.debounce_ms,
        step=settings.step_ms,
        stop_event=stop_event,
        rust_timeout=settings.idle_ms,
        yield_on_timeout=True,
        recursive=False,
        force_polling=polling,
        poll_delay_ms=settings.poll_ms,
        ignore_permission_denied=True,
    ):
        yield bool(changes)


def follow(
    path: Path,
    *,
    after: int | None = None,
    stop_event: StopEvent | None = None,
    settings: WatchSettings | None = None,
) -> Iterator[Update]:
    """Yield an :class:`Update` for the entries already there after ``after``, then one per change.

    The first update (possibly empty) comes from reading the file before anything is watched, so a
    caller with something to read already need not wait. Then the watch is armed and the file read
    again. Ends when ``stop_event`` is set (within about ``step_ms``).

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the first read fails.
    """
    settings = settings or WatchSettings()
    follower = Follower(path, after)
    first = follower.start()
    yield first
    closed = first.closed
    if stop_event is not None and stop_event.is_set():
        return
    for changed in _changes(path, settings, stop_event):
        update = follower.refresh(settled=not changed)
        if update or update.closed != closed:
            closed = update.closed
            yield update
