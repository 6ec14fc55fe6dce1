"""Repair: put a channel back to its accepted history, or cut an unreadable tail, losing nothing.

The file being repaired may be appended to by hand while collab works, so repair never rewrites
it in place. It writes the repaired channel to a new file, and swaps the two names atomically
(Linux ``renameat2(RENAME_EXCHANGE)``; where that is missing, a hard link then ``rename(2)``). The old
file, inode and all, becomes the *kept* file beside the channel: an append that reached the old
inode at any moment is in it. Entries that were appended after the accepted history, and bytes
that reached the old file while the new one was written, are appended to the new channel.

Cost: O(N) for a channel of N bytes (it parses the channel and the copy, and writes the new file);
repair runs by hand, after an edit, never on the way to an append.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path
from typing import NamedTuple

from collab.errors import ChannelNotFound, CollabError
from collab.ledger import checks, journal, reading, wal
from collab.ledger.checks import DELETED, Problem
from collab.ledger.journal import Ledger
from collab.store import files
from collab.text import format


class Repair(NamedTuple):
    """What :func:`repair` did.

    ``restored`` is the size of the new channel in bytes; ``kept`` the old file's new name (None
    when nothing was set aside); ``reappended`` how many entries were appended again after the
    accepted history; ``problems`` what was wrong.
    """

    repaired: bool
    restored: int
    kept: Path | None
    reappended: int
    problems: tuple[Problem, ...]


def repair(channel_path: Path) -> Repair:
    """Restore the accepted history (and the entries appended after it), or cut an unreadable tail.

    Raises:
        CollabError: there is no usable ledger or its copy is damaged, so there is nothing to
            restore from (``accept_current`` is the way out).
        ChannelNotFound: neither the channel nor its ledger exists.
    """
    if not os.path.lexists(channel_path):
        return _recreate(channel_path)
    with files.locked_for_append(channel_path) as fd:
        shot = reading.snapshot(fd)
        ledger = _ledger(channel_path)
        report = checks.verify(ledger, shot.data)
        if report.ok and shot.damage is None:
            return Repair(False, 0, None, 0, ())
        resume = shot.size  # where the old file is read again after the swap
        if report.ok:
            new, extras = shot.data, 0
            damage = shot.damage.warning()  # type: ignore[union-attr]
            problems: tuple[Problem, ...] = (Problem("the end of the file", "unreadable", damage),)
        else:
            accepted = _trusted(ledger)
            new, extras, last = _with_later_entries(accepted, shot.data)
            if shot.damage is None and last is not None:
                resume = last  # every byte was read and is readable: from the last entry on, read it again
            problems = report.problems
        kept = _swap(channel_path, fd, resume, new, "edited" if not report.ok else "unreadable")
        if ledger.intent is not None:
            journal.append(ledger, {"t": "abandon", "offset": ledger.intent.offset})
    return Repair(True, len(new), kept, extras, problems)


def accept_current(channel_path: Path) -> int:
    """Accept the channel as it is now: start its ledger again from its readable bytes.

    The explicit way out of a missing, damaged or foreign ledger (contract section 7, point 6).
    Returns the number of bytes accepted.

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    with files.locked_for_append(channel_path) as fd:
        shot = reading.snapshot(fd)
        ledger = wal.build(channel_path, shot.data)
    return ledger.accepted_end


def _ledger(channel_path: Path) -> Ledger:
    found = journal.load(channel_path)
    if not isinstance(found, Ledger):
        why = "has no ledger" if found is None else f"has a ledger that {found.detail}"
        raise CollabError(
            f"{channel_path} {why}, so there is no accepted history to restore; "
            f"`collab repair --accept-current {channel_path}` accepts the channel as it is now"
        )
    return found


def _trusted(ledger: Ledger) -> bytes:
    accepted = checks.trusted_copy(ledger)
    if accepted is None:
        raise CollabError(
            f"the ledger's copy of the accepted history of {ledger.channel_path} is missing or damaged, so it "
            f"cannot be restored; `collab repair --accept-current {ledger.channel_path}` accepts the channel as it is"
        )
    return accepted


def _recreate(channel_path: Path) -> Repair:
    """A channel deleted while its ledger remains is created again from the ledger's copy."""
    found = journal.load(channel_path)
    if found is None:
        raise ChannelNotFound(f"no channel at {channel_path}, and no ledger of one")
    accepted = _trusted(_ledger(channel_path))
    files.create_exclusive(channel_path, accepted)
    return Repair(True, len(accepted), None, 0, (DELETED,))


def _with_later_entries(accepted: bytes, data: bytes) -> tuple[bytes, int, int | None]:
    """``accepted`` followed by the entries of ``data`` that come after its last accepted entry, how
    many there are, and the offset in ``data`` from which the rest is to be read again from the old
    file once the new one is in place (None: from the end of what was read).

    The anchor is the last entry of ``data`` whose heading line is one the accepted history holds;
    every entry after it was appended after that history and is kept in the channel. The last of
    them may still be being written (by hand, in pieces), so it is not copied from ``data``: it is
    read again whole, from its heading on, after the swap (see :func:`_swap`). So the bytes read
    again start at a heading (or, with no later entry, at the start of the last line), and a hand
    entry that lands in the new file before them cannot take the rest of an entry as its own.
    """
    try:
        now = format.parse(data)
    except CollabError:
        return accepted, 0, None
    headings = {e.heading for e in format.parse(accepted).entries}
    anchored = [e for e in now.entries if e.heading in headings]
    begin = anchored[-1].end if anchored else now.body_start
    later = [e for e in now.entries if e.start >= begin]
    if not later:
        return accepted, 0, data.rfind(b"\n") + 1 or None
    tail = data[later[0].start : later[-1].start]
    closer = _separator(accepted)
    return accepted + closer + (b"" if tail.startswith(b"\n") else b"\n") + tail, len(later), later[-1].start


def _separator(data: bytes) -> bytes:
    """What must follow ``data`` so that a heading appended next starts a new block (judged from
    its last 64 KiB, from a line start)."""
    from collab.text import blocks

    end = data[-65536:]
    if len(end) < len(data):
        end = end[end.find(b"\n") + 1 :]
    closer = blocks.closer_for(end.decode("utf-8")) or ""
    return (b"" if data.endswith(b"\n") else b"\n") + (closer.encode() + b"\n" if closer else b"")


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically (renameat2(2) with RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _swap(channel_path: Path, old_fd: int, read_until: int, new: bytes, what: str) -> Path:
    """Put ``new`` at ``channel_path``; the old file becomes the kept file. Returns the kept path.

    The old file's bytes from ``read_until`` on, as they stand once the names are swapped, are
    appended to the new one (after what a hand writer may have appended to it meanwhile, closed as
    a writer closes it); anything later stays in the kept file.
    """
    from collab.store.paths import kept_path

    kept = kept_path(channel_path, what)
    temporary = kept.with_name(f".{kept.name}.tmp")
    files.create_exclusive(temporary, new)
    separator = _separator(new)  # worked out ahead: from the swap to the late bytes, hand writers may race
    new_fd = files.open_checked(temporary, append=True)
    try:
        import fcntl

        fcntl.flock(new_fd, fcntl.LOCK_EX)  # collab writers that find the new file wait for the late bytes
        if _exchange(temporary, channel_path):
            os.rename(temporary, kept)
        else:
            os.link(channel_path, kept)
            os.rename(temporary, channel_path)
        late = files.read_fd(old_fd, channel_path, read_until)
        if late:
            first = files.read_fd(new_fd, channel_path, len(new))  # a hand append that found the new file first
            if first:
                separator = _separator(new + format.readable(first, len(new))[0])
            files.write_all(new_fd, separator + late)
    finally:
        os.close(new_fd)
    return kept
