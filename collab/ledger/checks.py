"""Verification: is every accepted byte of a channel as it was accepted, and if not, what changed?

Checking costs one SHA-256 pass over the accepted bytes, without parsing: O(accepted bytes), and
it must be, since any byte of them may have been edited (no file metadata proves an in-place edit
absent: a write within the clock tick of the last one leaves the size and times as they were).
The digest state is kept on the ledger, so an accept that follows extends it with the new bytes
only. The ledger's copy is the reference where it is longer than the journal says (a journal cut
short after the copy was written is caught by comparing the channel with the copy's extra bytes).
Only when something differs are both versions parsed, to name the parts that changed in a
reader's terms (O(N) then).
"""

from __future__ import annotations

import difflib
import os
from typing import Any, NamedTuple

from collab.errors import ChannelFormatError, CollabError
from collab.ledger.journal import Ledger, sha
from collab.store import files
from collab.text import digest, format
from collab.text.format import Document, Entry


class Problem(NamedTuple):
    """One changed part, in the reader's terms: ``part`` (``Request 2 in the header``, ``Answer 1 body``),
    ``change`` (``edited``, ``entry removed``, ...) and a short unified ``diff`` (may be empty)."""

    part: str
    change: str
    diff: str

    def to_json(self) -> dict[str, str]:
        return {"part": self.part, "change": self.change, "diff": self.diff}


class Report(NamedTuple):
    """The outcome of a check: ``ok`` when every accepted byte is as accepted."""

    ok: bool
    problems: tuple[Problem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": [p.to_json() for p in self.problems]}

    def summary(self) -> str:
        """One line naming what changed."""
        return "history was edited: " + "; ".join(f"{p.part} {p.change}" for p in self.problems)


#: The problem reported for a channel file that is gone while its ledger remains.
DELETED = Problem("file", "deleted", "")


def verify(ledger: Ledger, data: bytes) -> Report:
    """Compare ``data`` (the channel now) with what the ledger accepted: digests first, names on a mismatch."""
    view = memoryview(data)
    intact = len(data) >= ledger.accepted_end and sha(view[: ledger.header_end]) == ledger.header_sha
    if intact:
        prefix = digest.sha256(view[: ledger.accepted_end])
        intact = prefix.hexdigest() == ledger.prefix_sha
        ledger.hasher = prefix if intact else None
    copy = _copy_beyond(ledger) if intact else b""
    # The copy may run ahead of ``data``: a writer appended, and copied, after ``data`` was read.
    end = ledger.accepted_end
    if intact and data[end : end + len(copy)] == copy[: len(data) - end]:
        return Report(True)
    accepted = trusted_copy(ledger)
    problems = _name_changes(accepted, data, ledger.header_end) if accepted is not None else []
    return Report(False, tuple(problems or [Problem("accepted history", "edited", "")]))


def intact(ledger: Ledger, fd: int, tail: bytes, base: int) -> bool:
    """Whether the accepted bytes of the channel open as ``fd`` are as accepted, as :func:`verify`
    decides it, without naming anything and without holding the file in memory.

    ``tail`` is the file's bytes from ``base`` (at most the accepted end) on, as the caller read
    them; the bytes before it are read in pieces into one small buffer and digested. The digest
    state of the accepted bytes is left on the ledger, for the accept that follows.
    """
    end, header_end = ledger.accepted_end, ledger.header_end
    if not 0 <= base <= end <= base + len(tail):
        return False
    header = os.pread(fd, min(header_end, base), 0) + tail[: max(0, header_end - base)]
    if sha(header) != ledger.header_sha:
        return False
    prefix = _digest(fd, base)
    if prefix is None:
        return False
    prefix.update(memoryview(tail)[: end - base])
    ledger.hasher = prefix if prefix.hexdigest() == ledger.prefix_sha else None
    copy = _copy_beyond(ledger) if ledger.hasher is not None else b""
    return ledger.hasher is not None and tail[end - base : end - base + len(copy)] == copy[: base + len(tail) - end]


#: Bytes read at a time to digest a file (one buffer, reused).
PIECE = 1 << 18


def _digest(fd: int, stop: int) -> Any:
    """The SHA-256 state of the first ``stop`` bytes of the open file; None if it is shorter."""
    state = digest.sha256(size=stop)
    buffer = bytearray(min(PIECE, stop))
    view = memoryview(buffer)
    offset = 0
    while offset < stop:
        want = view[: min(len(buffer), stop - offset)]
        got = os.preadv(fd, [want], offset) if hasattr(os, "preadv") else _pread_into(fd, want, offset)
        if got <= 0:
            return None
        state.update(want[:got])
        offset += got
    return state


def _pread_into(fd: int, into: memoryview, offset: int) -> int:
    piece = os.pread(fd, len(into), offset)
    into[: len(piece)] = piece
    return len(piece)


def _copy_beyond(ledger: Ledger) -> bytes:
    """The copy's bytes past the journal's accepted end (none, unless the journal was cut short)."""
    path = ledger.copy_file
    try:
        if os.stat(path, follow_symlinks=False).st_size <= ledger.accepted_end:
            return b""
        return files.read_checked(path, ledger.accepted_end)
    except (CollabError, OSError):
        return b""


def trusted_copy(ledger: Ledger) -> bytes | None:
    """The copy of the accepted bytes when its accepted part matches the journal's digest, else None."""
    try:
        accepted = files.read_checked(ledger.copy_file)
    except CollabError:
        return None
    return accepted if sha(accepted[: ledger.accepted_end]) == ledger.prefix_sha else None


def _diff(old: str, new: str) -> str:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), "accepted", "now", n=1, lineterm=""))
    shown = lines[2:14]
    if len(lines) > 14:
        shown.append(f"... ({len(lines) - 14} more diff lines)")
    return "\n".join(shown)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _name_changes(accepted: bytes, data: bytes, header_end: int) -> list[Problem]:
    old = format.parse(accepted)
    try:
        new = format.parse(data)
    except ChannelFormatError as exc:
        return [Problem("file", "replaced by an unrelated file", str(exc))]
    unrelated = new.header.title != old.header.title and new.header.task != old.header.task
    if unrelated and (new.header.channel_id != old.header.channel_id or not _common_entries(old, new)):
        return [Problem("file", "replaced by an unrelated file", _diff(old.header.title, new.header.title))]
    problems = _header_changes(accepted[:header_end], data, old, new)
    problems += _entry_changes(accepted, data, old, new)
    if not problems and len(data) < len(accepted):
        problems.append(Problem("the end of the file", "cut off", _diff(_text(accepted[len(data) :]), "")))
    if not problems:
        problems.append(Problem("text between entries", "edited", _diff(_text(accepted), _text(data[: len(accepted)]))))
    return problems


def _common_entries(old: Document, new: Document) -> bool:
    bodies = {e.body for e in old.entries}
    return any(e.body in bodies for e in new.entries)


def _header_changes(old_bytes: bytes, data: bytes, old: Document, new: Document) -> list[Problem]:
    problems = []
    a, b = old.header, new.header
    fields = (("Title", a.title, b.title), ("Task", a.task, b.task), ("Context", a.context, b.context))
    for name, before, after in fields:
        if before != after:
            problems.append(Problem(f"{name} in the header", "edited", _diff(before, after)))
    old_requests = {r.number: r.text for r in a.requests}
    new_requests = {r.number: r.text for r in b.requests}
    for number in sorted(old_requests.keys() | new_requests.keys()):
        was, now = old_requests.get(number), new_requests.get(number)
        if was == now:
            continue
        change = "removed" if now is None else "added" if was is None else "edited"
        problems.append(Problem(f"Request {number} in the header", change, _diff(was or "", now or "")))
    if not problems and data[: new.body_start] != old_bytes:
        problems.append(Problem("the header", "edited", _diff(_text(old_bytes), _text(data[: new.body_start]))))
    return problems


def _entry_changes(accepted: bytes, data: bytes, old: Document, new: Document) -> list[Problem]:
    problems = []
    now: dict[str, Entry] = {}
    for entry in new.entries:
        now.setdefault(entry.label, entry)
    for entry in old.entries:
        current = now.get(entry.label)
        if current is None:
            problems.append(Problem(entry.label, "entry removed", _diff(entry.body, "")))
            continue
        if current.heading != entry.heading:
            problems.append(Problem(f"{entry.label} heading", "edited", _diff(entry.heading, current.heading)))
            continue
        # The last accepted entry may have grown since (text appended below it): compare what was accepted.
        was = accepted[entry.start : entry.end]
        is_now = (
            data[current.start : current.start + len(was)]
            if entry.end == len(accepted)
            else (data[current.start : current.end])
        )
        if was == is_now:
            continue
        same_words = was.split() == is_now.split() and current.body.split() == entry.body.split()
        change = "edited (white space)" if same_words else "edited"
        body = _diff(entry.body, current.body) if change == "edited" else _diff(_text(was), _text(is_now))
        problems.append(Problem(f"{entry.label} body", change, body))
    return problems
