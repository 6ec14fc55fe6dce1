"""The ledger: what collab has accepted of a channel, so that every edit of history is detected.

Beside the channel ``collab-<id>.md`` live two hidden files, both mode 0600:

- ``.collab-<id>.ledger``, a journal with one JSON object per line, only ever appended to (one
  ``write`` per line, under the channel's ``flock``; a torn last line is ignored)::

      {"t": "header", "v": 1, "channel": ID, "end": E, "sha": H}      bytes [0, E): header and answers line
      {"t": "accept", "start": A, "end": B, "sha": H, "prefix": P,
       "entries": [[kind, number, index, start, end, timestamp, author, (re kind, re number)], ...],
       "answers": N, "questions": M, "index": I, "qline": bool, "closed": bool, "last": S}
                                                                      bytes [A, B) accepted; P is the digest of
                                                                      [0, B); the rest is the state after B
      {"t": "intent", "offset": O, "length": L, "sha": H, "head": X}  a writer is about to append L bytes at O;
                                                                      X is the hex of their first 64 bytes
      {"t": "abandon", "offset": O}                                   that append was torn and rolled back

- ``.collab-<id>.accepted``, a copy of the accepted bytes ``[0, accepted end)``, so nothing accepted
  can be lost (``collab repair`` restores from it).

Bytes are accepted when collab appends them, and when collab next reads a channel to which entries
were appended by hand. A change to any accepted byte is a violation. Each accept record carries the
whole state needed to go on (numbering, the digest of everything accepted so far), so loading reads
only the journal's first and last records, and checking costs one SHA-256 pass over the accepted
bytes, without parsing; only when a digest differs are both versions parsed, to name the parts that
changed. Crash safety (a writer killed mid-append) follows the intent records: the
next writer, under the lock and only once the accepted history checks out, keeps a complete append
and rolls back a torn one, saving its bytes to ``collab-<id>.torn-<time>.md`` first. Bytes at the
intended offset that do not start as the intended append did (the writer died before writing, and
someone appended by hand) are not its bytes: they are left alone. The journal is not fsync'ed: it
guards against processes that die, not against power loss. Threat model: contract section 3.
"""

import difflib
import hashlib
import json
import os
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from collab import files, format
from collab.errors import ChannelFormatError, ChannelNotFound, CollabError, IntegrityError
from collab.format import Counters, Document, Entry

VERSION = 1


class LedgerWarning(UserWarning):
    """The ledger was missing, damaged or rebuilt, or a torn append was rolled back."""


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


class Ledger:
    """The state of one channel's ledger: what is accepted, and what is needed to append after it.

    ``header_end``/``accepted_end`` are byte offsets into the channel and the ``*_sha`` fields their
    SHA-256 hex digests; ``intent`` is ``(offset, length, sha)`` of an append in flight;
    ``prefix_hash`` is the hashlib state of ``[0, accepted_end)`` once checked in this process.
    """

    __slots__ = (
        "accepted_end", "channel", "channel_path", "closed", "counters", "header_end", "header_sha",
        "intent", "intent_head", "journal_size", "last_entry_start", "prefix_hash", "prefix_sha",
    )  # fmt: skip

    def __init__(
        self,
        channel_path: Path,
        channel: str,
        header_end: int,
        header_sha: str,
        accepted_end: int = 0,
        prefix_sha: str = "",
        *,
        journal_size: int = 0,
    ) -> None:
        self.channel_path = channel_path
        self.channel = channel
        self.header_end = header_end
        self.header_sha = header_sha
        self.accepted_end = accepted_end
        self.prefix_sha = prefix_sha
        self.counters = Counters()
        self.closed = False
        self.last_entry_start: int | None = None
        self.intent: tuple[int, int, str] | None = None
        self.intent_head: bytes | None = None  # the first bytes of the intended append (None in older journals)
        self.journal_size = journal_size
        self.prefix_hash: Any = None


def ledger_path(channel_path: Path) -> Path:
    """``.collab-<id>.ledger`` beside the channel."""
    return channel_path.with_name(f".{channel_path.stem}.ledger")


def copy_path(channel_path: Path) -> Path:
    """``.collab-<id>.accepted`` beside the channel: the accepted bytes."""
    return channel_path.with_name(f".{channel_path.stem}.accepted")


def _sha(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def _channel_id(channel_path: Path) -> str:
    return channel_path.stem.removeprefix("collab-")


def _header_end(data: bytes, document: Document) -> int:
    line_end = data.find(b"\n", document.answers_offset)
    return len(data) if line_end < 0 else line_end + 1


# --- reading and writing the journal ---------------------------------------------------------------


def load(channel_path: Path) -> Ledger | None:
    """The channel's ledger, or None when there is none or it is unusable (a warning says which).

    Reads the header record and the records from the last ``accept`` on: the cost does not grow with
    the channel.

    Raises:
        ChannelRefused: the ledger file is a link, another user's, or not a regular file.
    """
    try:
        fd = files.open_checked(ledger_path(channel_path))
    except ChannelNotFound:
        return None
    try:
        size = os.fstat(fd).st_size
        first = os.pread(fd, 4096, 0).split(b"\n", 1)[0]
        records, complete = _last_records(fd, size)
    finally:
        os.close(fd)
    if records is None:
        return _unusable(channel_path, "is damaged (a line is not JSON)")
    try:
        header = json.loads(first)
    except ValueError:
        return _unusable(channel_path, "is damaged (no header record)")
    if not isinstance(header, dict) or header.get("t") != "header" or header.get("v") != VERSION:
        return _unusable(channel_path, "is damaged (no header record)")
    if header.get("channel") != _channel_id(channel_path):
        return _unusable(channel_path, f"belongs to another channel ({header.get('channel')!r})")
    try:
        end, digest = int(header["end"]), str(header["sha"])
        ledger = Ledger(channel_path, header["channel"], end, digest, end, digest, journal_size=complete)
        for record in records:
            if record is not records[0] or record.get("t") != "header":
                _apply(ledger, record)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return _unusable(channel_path, "is damaged (a record is malformed)")
    if not _consistent(ledger):
        return _unusable(channel_path, "is damaged (its offsets or digests cannot be right)")
    return ledger


def _consistent(ledger: Ledger) -> bool:
    """Whether the ledger's numbers could describe a channel (so a garbled journal is rebuilt, not obeyed)."""
    digests = (ledger.header_sha, ledger.prefix_sha, *([ledger.intent[2]] if ledger.intent else []))
    offsets_ok = 0 < ledger.header_end <= ledger.accepted_end <= files.MAX_CHANNEL_BYTES
    intent_ok = ledger.intent is None or (ledger.intent[0] >= ledger.accepted_end and ledger.intent[1] > 0)
    return offsets_ok and intent_ok and all(len(d) == 64 and not d.strip("0123456789abcdef") for d in digests)


def _last_records(fd: int, size: int) -> tuple[list[dict[str, Any]] | None, int]:
    """The journal's records from its last ``accept`` (or its start) on, and the size of its whole lines."""
    chunk = 65536
    while True:
        begin = max(0, size - chunk)
        raw = os.pread(fd, size - begin, begin)
        complete = begin + raw.rfind(b"\n") + 1  # a torn last line: the write that made it never finished
        lines = raw[: complete - begin].split(b"\n")[:-1]
        if begin > 0:
            lines = lines[1:]  # the first line of the chunk may be cut
        try:
            records = json.loads(b"[" + b",".join(lines) + b"]")
        except ValueError:
            return None, complete
        if not all(isinstance(r, dict) for r in records):
            return None, complete
        last = max((i for i, r in enumerate(records) if r.get("t") == "accept"), default=None)
        if last is not None or begin == 0:
            return records[last or 0 :], complete
        chunk *= 8


def _unusable(channel_path: Path, why: str) -> Ledger | None:
    warnings.warn(
        f"the ledger {ledger_path(channel_path)} {why}: rebuilt from the channel as it is now",
        LedgerWarning,
        stacklevel=3,
    )
    return None


def _apply(ledger: Ledger, record: dict[str, Any]) -> None:
    kind = record["t"]
    if kind == "accept":
        ledger.accepted_end, ledger.prefix_sha = int(record["end"]), str(record["prefix"])
        answers, questions = int(record["answers"]), int(record["questions"])
        # Numbers up to the highest count as seen: duplicate warnings need no history.
        seen = {"answer": set(range(1, answers + 1)), "question": set(range(1, questions + 1))}
        ledger.counters = Counters(answers, questions, int(record["index"]), seen, bool(record["qline"]))
        ledger.closed = bool(record["closed"])
        ledger.last_entry_start = None if record["last"] is None else int(record["last"])
        ledger.intent = None
    elif kind == "intent":
        ledger.intent = (int(record["offset"]), int(record["length"]), str(record["sha"]))
        ledger.intent_head = bytes.fromhex(record["head"]) if "head" in record else None
    elif kind == "abandon":
        ledger.intent = None
    else:
        raise ValueError(f"unknown record {kind!r}")


def _journal(ledger: Ledger, *records: dict[str, Any]) -> None:
    """Append records to the journal, one ``write`` for all of them."""
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode()
    fd = os.open(ledger_path(ledger.channel_path), os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        if files.check_fd(fd, ledger_path(ledger.channel_path)).st_size != ledger.journal_size:
            os.ftruncate(fd, ledger.journal_size)  # drop a line torn by a writer that died
        files.write_all(fd, text)
    finally:
        os.close(fd)
    ledger.journal_size += len(text)
    for record in records:
        _apply(ledger, record)


def _restore_copy(ledger: Ledger, data: bytes) -> None:
    """Rewrite a missing or short copy from ``data``, whose accepted part matches the ledger's digest."""
    try:
        size = os.stat(copy_path(ledger.channel_path), follow_symlinks=False).st_size
    except FileNotFoundError:
        size = -1
    if size >= ledger.accepted_end:
        return
    files.replace_atomic(copy_path(ledger.channel_path), data[: ledger.accepted_end])
    warnings.warn(
        f"the ledger's copy {copy_path(ledger.channel_path)} was {'missing' if size < 0 else 'short'}: "
        "rewritten from the channel, which matches the ledger",
        LedgerWarning,
        stacklevel=4,
    )


def _append_copy(ledger: Ledger, data: bytes) -> None:
    path = copy_path(ledger.channel_path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = files.check_fd(fd, path)
        if st.st_size != ledger.accepted_end:
            os.ftruncate(fd, ledger.accepted_end)
        files.write_all(fd, data)
    finally:
        os.close(fd)


def _build(channel_path: Path, data: bytes) -> Ledger:
    """A new ledger accepting every complete entry of ``data`` (which must parse as a channel)."""
    document = format.parse(data)
    end = _header_end(data, document)
    digest = _sha(data[:end])
    ledger = Ledger(channel_path, _channel_id(channel_path), end, digest, end, digest)
    header = {"t": "header", "v": VERSION, "channel": ledger.channel, "end": end, "sha": ledger.header_sha}
    records = [header]
    accept = _accept_record(ledger, data)
    if accept:
        records.append(accept)
    journal = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode()
    ledger.journal_size = len(journal)
    for record in records[1:]:
        _apply(ledger, record)
    files.replace_atomic(copy_path(channel_path), data[: ledger.accepted_end])
    files.replace_atomic(ledger_path(channel_path), journal)
    return ledger


def start(channel_path: Path, data: bytes) -> None:
    """Write the ledger of a channel just created with ``data``."""
    _build(channel_path, data)


# --- accepting what is new ----------------------------------------------------------------------------


def _accept_record(ledger: Ledger, data: bytes) -> dict[str, Any] | None:
    """The record accepting the complete entries after the accepted end, or None if there are none.

    Bytes that do not end a line are left for later (a writer may be part-way through them); so is
    an entry whose last line has no newline yet.
    """
    begin = ledger.accepted_end
    if ledger.intent is not None:
        offset, length, digest = ledger.intent
        if len(data) < offset + length or _sha(data[offset : offset + length]) != digest:
            return None  # an append is in flight (or torn, for the next writer to settle)
    cut = data.rfind(b"\n") + 1
    if cut <= begin:
        return None
    counters = ledger.counters.copy()
    tail = format.parse_tail(data[begin:cut], begin, counters)
    if cut < len(data) and tail.entries and data[tail.entries[-1].start : cut].count(b"\n") < 2:
        cut = tail.entries[-1].start
        counters = ledger.counters.copy()
        tail = format.parse_tail(data[begin:cut], begin, counters)
    if cut <= begin:
        return None
    prefix = _prefix_hash(ledger, data)
    prefix.update(data[begin:cut])
    extra: dict[str, Any] = {}
    found = list(tail.warnings) + ([format.AFTER_CLOSE] if ledger.closed and tail.entries else [])
    if found:
        shift = data.count(b"\n", 0, begin)
        extra["warnings"] = [format.shift_line(w, shift) for w in found]
    if tail.closed is not None:
        extra["closed_at"] = [tail.closed.timestamp, tail.closed.author, tail.closed.start]
    return extra | {
        "t": "accept",
        "start": begin,
        "end": cut,
        "sha": _sha(data[begin:cut]),
        "prefix": prefix.hexdigest(),
        "entries": [_span(e) for e in tail.entries],
        "answers": counters.answers,
        "questions": counters.questions,
        "index": counters.index,
        "qline": counters.has_questions_line,
        "closed": ledger.closed or tail.closed is not None,
        "last": tail.entries[-1].start if tail.entries else ledger.last_entry_start,
    }


def _span(entry: Entry) -> list[Any]:
    span = [entry.kind, entry.number, entry.index, entry.start, entry.end, entry.timestamp, entry.author]
    return [*span, entry.re.kind, entry.re.number] if entry.re else span


def _prefix_hash(ledger: Ledger, data: bytes) -> Any:
    """A hashlib object holding ``[0, accepted_end)`` of ``data`` (reused from the last check)."""
    if ledger.prefix_hash is None:
        ledger.prefix_hash = hashlib.sha256(memoryview(data)[: ledger.accepted_end])
    return ledger.prefix_hash.copy()


def _accept(ledger: Ledger, data: bytes) -> None:
    """Accept what is complete after the accepted end (``data`` was just checked against the ledger)."""
    _restore_copy(ledger, data)
    record = _accept_record(ledger, data)
    if record is None:
        return
    prefix = _prefix_hash(ledger, data)
    prefix.update(data[record["start"] : record["end"]])
    _append_copy(ledger, data[record["start"] : record["end"]])
    _journal(ledger, record)
    ledger.prefix_hash = prefix


# --- checking ------------------------------------------------------------------------------------------


def verify_bytes(ledger: Ledger, data: bytes) -> Report:
    """Compare ``data`` (the channel now) with what the ledger accepted: digests first, names on a mismatch."""
    view = memoryview(data)
    intact = len(data) >= ledger.accepted_end and _sha(view[: ledger.header_end]) == ledger.header_sha
    if intact:
        prefix = hashlib.sha256(view[: ledger.accepted_end])
        intact = prefix.hexdigest() == ledger.prefix_sha
        ledger.prefix_hash = prefix if intact else None
    if intact:
        return Report(True)
    try:
        accepted = files.read_checked(copy_path(ledger.channel_path))[: ledger.accepted_end]
    except CollabError:
        accepted = b""
    # The copy names the parts only if it is what was accepted (it is hashed on this failure path only).
    trusted = len(accepted) == ledger.accepted_end and _sha(accepted) == ledger.prefix_sha
    problems = _name_changes(accepted, data, ledger) if trusted else []
    return Report(False, tuple(problems or [Problem("accepted history", "edited", "")]))


def _load_read_only(channel_path: Path) -> Ledger | None:
    """:func:`load` with its warnings silenced, for readers that write nothing: an unusable ledger is just absent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LedgerWarning)
        return load(channel_path)


def check(channel_path: Path, data: bytes) -> Report | None:
    """Check ``data`` against the ledger without writing anything; None when there is no ledger."""
    ledger = _load_read_only(channel_path)
    return None if ledger is None else verify_bytes(ledger, data)


def parse(channel_path: Path, data: bytes) -> tuple[Report | None, Document]:
    """:func:`check`, then ``data`` parsed: the accepted part from the ledger's index when the check
    passes, everything otherwise. Read-only, like :func:`check`: no lock is taken, nothing is written.

    Returns:
        ``(report, document)``; ``report`` is None when there is no ledger.

    Raises:
        ChannelFormatError: as :func:`collab.format.parse`.
    """
    ledger = _load_read_only(channel_path)
    if ledger is None:
        return None, format.parse(data)
    report = verify_bytes(ledger, data)
    return report, format.parse_indexed(data, index(ledger)) if report.ok else format.parse(data)


class Prepared(NamedTuple):
    """A channel checked and brought up to date under its lock, ready for an append."""

    ledger: Ledger
    data: bytes


def prepare(channel_path: Path, fd: int, data: bytes) -> Prepared:
    """Under the channel's lock: load or rebuild the ledger, settle a pending append, check, accept.

    ``fd`` is the locked descriptor (open for appending); a torn append is rolled back through it.

    Raises:
        IntegrityError: accepted bytes changed (nothing is written). ChannelFormatError: as
            :func:`collab.format.parse`, for a channel without a usable ledger.
    """
    ledger = load(channel_path) or _rebuild(channel_path, data)
    report = verify_bytes(ledger, data)  # before settling: a violated channel is not written to at all
    if not report.ok:
        raise IntegrityError(
            f"{report.summary()}. Nothing was written. See `collab verify {channel_path}`; "
            f"`collab repair {channel_path}` restores the history and keeps the edited text"
        )
    data = _settle_intent(ledger, fd, data)
    _accept(ledger, data)
    return Prepared(ledger, data)


def _rebuild(channel_path: Path, data: bytes) -> Ledger:
    """A ledger built from ``data``; warns when there was none (load() warned about a damaged one)."""
    had_one = ledger_path(channel_path).exists()
    ledger = _build(channel_path, data)
    if not had_one:
        warnings.warn(
            f"{channel_path} had no ledger: one was started from the channel as it is now "
            "(edits made before now cannot be detected)",
            LedgerWarning,
            stacklevel=4,
        )
    return ledger


def _settle_intent(ledger: Ledger, fd: int, data: bytes) -> bytes:
    """Keep a complete pending append; roll back a torn one (its bytes saved beside the channel).

    Call only when the accepted history is intact (the intended offset is at or after its end).
    The bytes from the intended offset are rolled back only when they begin as the intended append
    began (its first 64 bytes, recorded in the intent): bytes that do not are someone else's (the
    writer died before writing, then an entry was appended by hand) and are kept.
    """
    if ledger.intent is None:
        return data
    offset, length, digest = ledger.intent
    if len(data) >= offset + length and _sha(data[offset : offset + length]) == digest:
        return data
    head = ledger.intent_head
    rest = data[offset : offset + len(head)] if head is not None else b""
    if len(data) > offset and (head is None or head.startswith(rest)):
        saved = _save_beside(ledger.channel_path, "torn", data[offset:])
        os.ftruncate(fd, offset)
        data = data[:offset]
        warnings.warn(
            f"a writer died part-way through an append at byte {offset}: the partial entry was rolled back "
            f"(its bytes are kept in {saved})",
            LedgerWarning,
            stacklevel=4,
        )
    _journal(ledger, {"t": "abandon", "offset": offset})
    return data


def _save_beside(channel_path: Path, what: str, data: bytes) -> Path:
    moment = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = channel_path.with_name(f"{channel_path.stem}.{what}-{moment}.md")
    files.create_exclusive(path, data)
    return path


def in_flight(channel_path: Path) -> tuple[int, int] | None:
    """``(offset, length)`` of an append recorded as intended but not yet accepted, else None.

    Reads only the end of the journal (and, while an append is pending, the channel's bytes at its
    offset); for readers that must not show a half-written entry. Bytes at the offset that do not
    begin as the intended append began are not that append's (its writer died before writing, and
    someone appended by hand): then nothing is in flight. Writes nothing; never raises.
    """
    try:
        fd = files.open_checked(ledger_path(channel_path))
    except CollabError:
        return None
    try:
        size = os.fstat(fd).st_size
        tail = os.pread(fd, min(size, 4096), max(0, size - 4096))
    finally:
        os.close(fd)
    lines = tail.rstrip(b"\n").rsplit(b"\n", 1)
    try:
        record = json.loads(lines[-1])
        if not isinstance(record, dict) or record.get("t") != "intent":
            return None
        offset, length = int(record["offset"]), int(record["length"])
        head = bytes.fromhex(record["head"]) if "head" in record else None
    except (ValueError, KeyError, TypeError):
        return None
    if head is not None:
        try:
            fd = files.open_checked(channel_path)
        except CollabError:
            return None
        try:
            there = os.pread(fd, len(head), offset)
        finally:
            os.close(fd)
        if not head.startswith(there):
            return None
    return offset, length


def intend(ledger: Ledger, offset: int, payload: bytes) -> None:
    """Record, before writing, that ``payload`` is about to be appended at ``offset``."""
    _journal(
        ledger,
        {"t": "intent", "offset": offset, "length": len(payload), "sha": _sha(payload), "head": payload[:64].hex()},
    )


def accept(ledger: Ledger, data: bytes) -> None:
    """After an append: accept what ``data`` (the whole channel now) holds beyond the accepted end."""
    _accept(ledger, data)


def sync(channel_path: Path) -> Report:
    """Check the channel against its ledger and accept entries appended by hand (under the lock).

    A missing or unusable ledger is rebuilt from the channel, with a :class:`LedgerWarning`.

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    return _synced(channel_path)[2]


def read(channel_path: Path) -> tuple[Report, Document]:
    """:func:`sync`, then the channel parsed; the accepted part comes from the ledger's index, unparsed.

    Raises:
        ChannelNotFound, ChannelRefused, ChannelFormatError: the channel cannot be read.
    """
    ledger, data, report = _synced(channel_path)
    return report, format.parse_indexed(data, index(ledger)) if report.ok else format.parse(data)


def _synced(channel_path: Path) -> tuple[Ledger, bytes, Report]:
    with files.locked_for_append(channel_path) as fd:
        data = files.read_fd(fd, channel_path)
        ledger = load(channel_path) or _rebuild(channel_path, data)
        report = verify_bytes(ledger, data)
        if report.ok:  # settling a pending append may truncate: only on an intact history
            data = _settle_intent(ledger, fd, data)
            _accept(ledger, data)
        return ledger, data, report


def index(ledger: Ledger) -> format.Index:
    """Every accepted entry's span, the warnings and the closing line, from the whole journal."""
    raw = files.read_checked(ledger_path(ledger.channel_path))[: ledger.journal_size]
    records = json.loads(b"[" + raw.rstrip(b"\n").replace(b"\n", b",") + b"]")
    spans: list[list[Any]] = []
    warnings_: list[str] = []
    closed = None
    for record in records:
        if record.get("t") != "accept":
            continue
        spans += record["entries"]
        warnings_ += record.get("warnings", [])
        if closed is None and "closed_at" in record:
            closed = format.Closed(*record["closed_at"])
    unique = list(dict.fromkeys(warnings_))
    return format.Index(ledger.header_end, ledger.accepted_end, spans, unique, closed, ledger.counters)


# --- naming what changed ------------------------------------------------------------------------------


def _diff(old: str, new: str) -> str:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), "accepted", "now", n=1, lineterm=""))
    shown = lines[2:14]
    if len(lines) > 14:
        shown.append(f"... ({len(lines) - 14} more diff lines)")
    return "\n".join(shown)


def _name_changes(accepted: bytes, data: bytes, ledger: Ledger) -> list[Problem]:
    old = format.parse(accepted)
    try:
        new = format.parse(data)
    except ChannelFormatError as exc:
        return [Problem("file", "replaced by an unrelated file", str(exc))]
    unrelated = new.header.title != old.header.title and new.header.task != old.header.task
    if unrelated and (new.header.channel_id != old.header.channel_id or not _common_entries(old, new)):
        return [Problem("file", "replaced by an unrelated file", _diff(old.header.title, new.header.title))]
    problems = _header_changes(accepted[: ledger.header_end], data, old, new)
    problems += _entry_changes(accepted, data, old, new)
    if not problems:
        problems.append(Problem("text between entries", "edited", _diff(_text(accepted), _text(data[: len(accepted)]))))
    return problems


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _common_entries(old: Document, new: Document) -> bool:
    bodies = {e.body for e in old.entries}
    return any(e.body in bodies for e in new.entries)


def _header_changes(old_bytes: bytes, data: bytes, old: Document, new: Document) -> list[Problem]:
    problems = []
    a, b = old.header, new.header
    for name, before, after in (
        ("Title", a.title, b.title),
        ("Task", a.task, b.task),
        ("Context", a.context, b.context),
    ):
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
    new_header = data[: _header_end(data, new)]
    if not problems and new_header != old_bytes:
        problems.append(Problem("the header", "edited", _diff(_text(old_bytes), _text(new_header))))
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
        if current.body != entry.body:
            problems.append(Problem(f"{entry.label} body", "edited", _diff(entry.body, current.body)))
        elif current.heading == entry.heading:
            was = accepted[entry.start : entry.end].rstrip(b"\n").partition(b"\n")
            is_now = data[current.start : current.end].rstrip(b"\n").partition(b"\n")
            for index, part in ((0, "heading"), (2, "body")):
                if was[index] != is_now[index]:
                    diff = _diff(_text(was[index]), _text(is_now[index]))
                    problems.append(Problem(f"{entry.label} {part}", "edited (white space)", diff))
    return problems


# --- repair ----------------------------------------------------------------------------------------------


class Repair(NamedTuple):
    """What :func:`repair` did: ``restored`` bytes of history; ``saved`` the edited file's copy, if any."""

    repaired: bool
    restored: int
    saved: Path | None
    problems: tuple[Problem, ...]


def repair(channel_path: Path) -> Repair:
    """Restore the accepted history from the ledger's copy, keeping the edited file beside it.

    The channel as it is now is saved to ``collab-<id>.edited-<time>.md`` (mode 0600) and the channel
    is replaced atomically by the accepted bytes. Nothing is asked; nothing is deleted.

    A channel that was deleted while its ledger remains is created again (``O_EXCL``, mode 0600)
    from the accepted bytes.

    Raises:
        CollabError: there is no ledger or its copy is damaged, so there is nothing to restore from.
        ChannelNotFound: neither the channel nor its ledger exists.
    """
    if missing(channel_path) is not None:
        ledger = load(channel_path)
        if ledger is None:
            raise CollabError(f"{channel_path} is gone and its ledger is damaged: there is nothing to restore from")
        accepted = _trusted_copy(ledger)
        files.create_exclusive(channel_path, accepted)
        if ledger.intent is not None:
            _journal(ledger, {"t": "abandon", "offset": ledger.intent[0]})
        return Repair(True, len(accepted), None, (DELETED,))
    with files.locked_for_append(channel_path) as fd:
        data = files.read_fd(fd, channel_path)
        ledger = load(channel_path)
        if ledger is None:
            raise CollabError(f"{channel_path} has no usable ledger, so there is no accepted history to restore")
        report = verify_bytes(ledger, data)
        if report.ok:
            return Repair(False, 0, None, ())
        accepted = _trusted_copy(ledger)
        saved = _save_beside(channel_path, "edited", data)
        files.replace_atomic(channel_path, accepted)
        if ledger.intent is not None:
            _journal(ledger, {"t": "abandon", "offset": ledger.intent[0]})
        return Repair(True, len(accepted), saved, report.problems)


def _trusted_copy(ledger: Ledger) -> bytes:
    """The ledger's copy of the accepted bytes, checked against the ledger's digest.

    Raises:
        CollabError: the copy is missing or does not match, so it cannot be restored from.
    """
    try:
        accepted = files.read_checked(copy_path(ledger.channel_path))[: ledger.accepted_end]
    except ChannelNotFound:
        accepted = b""
    if _sha(accepted) != ledger.prefix_sha:
        raise CollabError(
            f"the ledger's copy of the accepted history of {ledger.channel_path} is missing or damaged, so it cannot "
            f"be restored; to accept the channel as it is now instead, delete {ledger_path(ledger.channel_path)}"
        )
    return accepted


#: The problem reported for a channel file that is gone while its ledger remains.
DELETED = Problem("file", "deleted", "")


def missing(channel_path: Path) -> Report | None:
    """A failed :class:`Report` when nothing is at ``channel_path`` but its ledger remains, else None.

    Such a channel was deleted after collab accepted its history; :func:`repair` creates it again.
    Writes nothing.
    """
    if os.path.lexists(channel_path) or not os.path.lexists(ledger_path(channel_path)):
        return None
    return Report(False, (DELETED,))
