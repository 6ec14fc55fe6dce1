"""The ledger's journal: what collab has accepted of a channel, as typed records, append-only.

The journal lives in the user's private state directory (:func:`collab.store.paths.sidecar`, suffix
``ledger``), mode 0600, one JSON object per line, each line written with one ``write`` under the
channel's lock (a torn last line is ignored)::

    {"t": "header", "v": 2, "channel": ID, "end": E, "sha": H}
        bytes [0, E) (the header and the answers line) have digest H
    {"t": "accept", "start": A, "end": B, "sha": H, "prefix": P, "entries": [span, ...],
     "checkpoint": C, "counters": [answers, questions, index, questions_line, closed, latest], "warnings": [...]}
        bytes [A, B) accepted; P is the digest of [0, B); ``entries`` are the entries that became
        final (a structural heading follows them); C is where parsing resumes and ``counters`` the
        numbering just before C (see :mod:`collab.text.format`)
    {"t": "intent", "offset": O, "length": L, "sha": H, "head": X}
        a writer is about to append L bytes, at O or later; X is the hex of their first 64 bytes
    {"t": "abandon", "offset": O}
        that append never completed

Beside it, the *copy* (suffix ``accepted``) holds the accepted bytes themselves, so nothing
accepted can be lost. Digests are SHA-256 (FIPS 180-4), in hex.

Costs: :func:`load` reads the header record and parses only the records from the last ``accept``
on (found by its key, from the end), whatever the size of the channel or of the journal;
:func:`append` is one ``write``; :func:`accepts_back` reads back from the end only as far as its
caller needs; :func:`index` reads the whole journal (O(entries): for a full indexed read).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from collab.errors import ChannelNotFound, ChannelRefused, CollabError
from collab.store import files, paths
from collab.text import digest, naming
from collab.text.format import Closed, Counters, Entry
from collab.text.grammar import Ref

VERSION = 2


def sha(data: bytes | memoryview) -> str:
    """SHA-256 of ``data`` in hex."""
    return digest.sha256(data).hexdigest()


def ledger_path(channel_path: Path) -> Path:
    """The journal of the channel at ``channel_path`` (in the private state directory)."""
    return paths.sidecar(channel_path, "ledger")


def copy_path(channel_path: Path) -> Path:
    """The copy of the accepted bytes of the channel at ``channel_path``."""
    return paths.sidecar(channel_path, "accepted")


def places(channel_path: Path) -> tuple[Path, Path]:
    """The journal's and the copy's paths, looked up ahead (a writer does so before it locks)."""
    return ledger_path(channel_path), copy_path(channel_path)


class Span(NamedTuple):
    """A final entry as the journal keeps it (byte offsets into the channel)."""

    kind: str
    number: int
    index: int  # type: ignore[assignment]  # the field's name; it hides tuple.index
    start: int
    end: int
    timestamp: str | None
    author: str | None
    re: Ref | None

    @classmethod
    def of(cls, entry: Entry) -> Span:
        return cls(
            entry.kind, entry.number, entry.index, entry.start, entry.end, entry.timestamp, entry.author, entry.re
        )

    def to_json(self) -> list[Any]:
        head = [self.kind, self.number, self.index, self.start, self.end, self.timestamp, self.author]
        return head + ([self.re.kind, self.re.number] if self.re else [])


class Accept(NamedTuple):
    """Bytes ``[start, end)`` accepted; ``prefix`` is the digest of ``[0, end)``."""

    start: int
    end: int
    sha: str
    prefix: str
    entries: tuple[Span, ...]
    checkpoint: int
    counters: Counters
    warnings: tuple[tuple[int, str], ...]
    own: tuple[int, int] | None = None
    unlisted: int = 0  # warnings past the first MAX_WARNINGS of this record, counted only

    def to_json(self) -> dict[str, Any]:
        closed = self.counters.closed
        own = {"own": list(self.own)} if self.own else {}
        return (
            own
            | ({"unlisted": self.unlisted} if self.unlisted else {})
            | {
                "t": "accept",
                "start": self.start,
                "end": self.end,
                "sha": self.sha,
                "prefix": self.prefix,
                "entries": [s.to_json() for s in self.entries],
                "checkpoint": self.checkpoint,
                "counters": [*self.counters[:4], list(closed) if closed else None, self.counters.latest],
                "warnings": [list(w) for w in self.warnings],
            }
        )


def _counters(raw: dict[str, Any]) -> Counters:
    answers, questions, index, questions_line, closed, latest = raw["counters"]
    return Counters(
        int(answers),
        int(questions),
        int(index),
        bool(questions_line),
        Closed(closed[0], closed[1], int(closed[2])) if closed else None,
        None if latest is None else str(latest),
    )


class Intent(NamedTuple):
    """A writer is about to append ``length`` bytes with digest ``sha``, at ``offset`` or later."""

    offset: int
    length: int
    sha: str
    head: bytes

    def to_json(self) -> dict[str, Any]:
        return {"t": "intent", "offset": self.offset, "length": self.length, "sha": self.sha, "head": self.head.hex()}


class Ledger:
    """A channel's journal as loaded: what is accepted, and where parsing resumes.

    ``header_end``, ``accepted_end`` and ``checkpoint`` are byte offsets into the channel; the
    ``*_sha`` fields are hex digests; ``counters`` is the numbering just before ``checkpoint``;
    ``intent`` an append in flight; ``journal_size`` the bytes of whole lines in the journal.
    """

    __slots__ = (
        "_copy_file",
        "accepted_end",
        "channel",
        "channel_path",
        "checkpoint",
        "counters",
        "hasher",
        "header_end",
        "header_sha",
        "intent",
        "journal_file",
        "journal_size",
        "own",
        "prefix_sha",
    )

    def __init__(
        self, channel_path: Path, channel: str, header_end: int, header_sha: str, journal_file: Path | None = None
    ) -> None:
        self.channel_path = channel_path
        self.journal_file = ledger_path(channel_path) if journal_file is None else journal_file
        self._copy_file: Path | None = None
        self.channel = channel
        self.header_end = header_end
        self.header_sha = header_sha
        self.accepted_end = header_end
        self.prefix_sha = header_sha
        self.checkpoint = header_end
        self.counters = Counters()
        self.intent: Intent | None = None
        self.journal_size = 0
        self.hasher: Any = None  # hashlib state of [0, accepted_end), once checked in this process
        self.own: list[tuple[int, int]] = []  # spans of collab's appends named by the records loaded

    @property
    def copy_file(self) -> Path:
        """The copy of the accepted bytes (:func:`copy_path`), looked up once."""
        if self._copy_file is None:
            self._copy_file = copy_path(self.channel_path)
        return self._copy_file

    def wrote(self, start: int, end: int) -> bool:
        """True when a record loaded (or appended) by this ledger says collab appended ``[start, end)``
        exactly as it stands (as :func:`written_by_collab` does, from the state in memory)."""
        return any(begin <= start and finish == end for begin, finish in self.own)

    def apply(self, record: dict[str, Any]) -> None:
        """Take one journal record into the state.

        Raises:
            ValueError, KeyError, TypeError, IndexError: the record is malformed.
        """
        kind = record["t"]
        if kind == "accept":  # the state only: the record's entries are read by accepts() when needed
            self.hasher = None  # it covered the old accepted end
            self.accepted_end, self.prefix_sha = int(record["end"]), str(record["prefix"])
            self.checkpoint, self.counters, self.intent = int(record["checkpoint"]), _counters(record), None
            if "own" in record:
                self.own.append((int(record["own"][0]), int(record["own"][1])))
        elif kind == "intent":
            self.intent = Intent(
                int(record["offset"]), int(record["length"]), str(record["sha"]), bytes.fromhex(record["head"])
            )
            self.own.append((self.intent.offset, self.intent.offset + self.intent.length))
        elif kind == "abandon":
            self.intent = None
        else:
            raise ValueError(f"unknown record {kind!r}")

    def consistent(self) -> bool:
        """Whether the numbers could describe a channel (a garbled journal is not obeyed)."""
        digests = (self.header_sha, self.prefix_sha, *([self.intent.sha] if self.intent else []))
        offsets_ok = 0 < self.header_end <= self.checkpoint <= self.accepted_end <= files.MAX_CHANNEL_BYTES
        intent_ok = self.intent is None or (self.intent.offset >= self.accepted_end and self.intent.length > 0)
        return offsets_ok and intent_ok and all(len(d) == 64 and not d.strip("0123456789abcdef") for d in digests)


class LedgerTrouble(NamedTuple):
    """Why a channel's ledger cannot be trusted: ``what`` is ``missing``, ``damaged`` or ``foreign``."""

    what: str
    detail: str

    def sentence(self, channel_path: Path) -> str:
        """The warning every command gives until the channel is accepted as it is."""
        return (
            f"the ledger of {channel_path} {self.detail}, so edits of its history cannot be detected; "
            f"`collab repair --accept-current {channel_path}` accepts the channel as it is now"
        )


def load(channel_path: Path, places: tuple[Path, Path] | None = None) -> Ledger | LedgerTrouble | None:
    """The channel's ledger; a :class:`LedgerTrouble` when it is damaged or foreign; None when absent.

    A journal that is a link, a special file or another user's is a trouble too (never followed).
    ``places`` are the journal's and the copy's paths (:func:`places`) when the caller has them.
    Cost: the header record and the records from the last ``accept`` on.
    """
    journal_file, copy_file = places or (ledger_path(channel_path), None)
    try:
        fd = files.open_checked(journal_file)
    except ChannelNotFound:
        return None
    except ChannelRefused:  # a link, a FIFO, another user's file: not a journal collab wrote
        return LedgerTrouble("damaged", "is not a plain file of yours (a link, a special file or another user's)")
    try:
        size = os.fstat(fd).st_size
        first = os.pread(fd, 4096, 0).split(b"\n", 1)[0]
        records, complete = _last_records(fd, size)
    finally:
        os.close(fd)
    try:
        header = json.loads(first)
        if not isinstance(header, dict) or header.get("t") != "header" or header.get("v") != VERSION:
            raise ValueError
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        return LedgerTrouble("damaged", "is damaged (no header record)")
    channel = naming.channel_id(channel_path)
    if header.get("channel") != channel:
        return LedgerTrouble("foreign", f"belongs to another channel ({str(header.get('channel'))[:40]!r})")
    if records is None:
        return LedgerTrouble("damaged", "is damaged (a line is not JSON)")
    try:
        ledger = Ledger(channel_path, channel, int(header["end"]), str(header["sha"]), journal_file)
        ledger._copy_file = copy_file
        ledger.journal_size = complete
        for record in records:
            if record.get("t") != "header":
                ledger.apply(record)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return LedgerTrouble("damaged", "is damaged (a record is malformed)")
    if not ledger.consistent():
        return LedgerTrouble("damaged", "is damaged (its offsets or digests cannot be right)")
    return ledger


def _last_records(fd: int, size: int) -> tuple[list[dict[str, Any]] | None, int]:
    """The journal's records from its last ``accept`` (or its start) on, and the size of its whole lines.

    Reads back from the end until a chunk holds the last ``accept`` line whole, and parses only the
    lines from it on: the cost is that of the last few records, not of the journal.
    """
    chunk = 8192
    while True:
        begin = max(0, size - chunk)
        raw = os.pread(fd, size - begin, begin)
        complete = begin + raw.rfind(b"\n") + 1  # a torn last line: the write that made it never finished
        whole = raw[: complete - begin]
        at = whole.rfind(_ACCEPT_KEY)
        line = whole.rfind(b"\n", 0, max(at, 0)) + 1 if at >= 0 else 0
        if begin > 0 and line == 0:
            chunk *= 8  # no accept line begins in this chunk (or it began before it): read further back
            continue
        records = _parsed(whole[line:])
        if records and at >= 0 and records[0].get("t") != "accept":
            return _last_records_parsing_all(fd, size)  # the key stood inside another record
        return records, complete


#: How collab writes the kind of an accept record (:func:`encode`: no spaces). In valid JSON these
#: bytes only occur as a key ``t`` with the value ``accept`` (a quote inside a string is escaped).
_ACCEPT_KEY = b'"t":"accept"'


def _parsed(lines: bytes) -> list[dict[str, Any]] | None:
    """The records of whole journal ``lines``; None when one is not a JSON object."""
    try:
        records = json.loads(b"[" + lines[:-1].replace(b"\n", b",") + b"]")  # each line ends with a newline
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        return None
    return records if all(isinstance(r, dict) for r in records) else None


def _last_records_parsing_all(fd: int, size: int) -> tuple[list[dict[str, Any]] | None, int]:
    """:func:`_last_records` for a journal collab did not write as it writes: parse every line."""
    raw = os.pread(fd, size, 0)
    complete = raw.rfind(b"\n") + 1
    records = _parsed(raw[:complete])
    if records is None:
        return None, complete
    last = max((i for i, r in enumerate(records) if r.get("t") == "accept"), default=0)
    return records[last:], complete


def write_new(channel_path: Path, header_end: int, header_sha: str, records: list[dict[str, Any]]) -> Ledger:
    """Start (or replace) the journal of ``channel_path`` with a header record and ``records``."""
    ledger = Ledger(channel_path, naming.channel_id(channel_path), header_end, header_sha)
    head = {"t": "header", "v": VERSION, "channel": ledger.channel, "end": header_end, "sha": header_sha}
    journal = _lines([head, *records])
    for record in records:
        ledger.apply(record)
    ledger.journal_size = len(journal)
    files.replace_atomic(ledger.journal_file, journal)
    return ledger


def _lines(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=True) + "\n" for r in records).encode()


def encode(*records: dict[str, Any]) -> bytes:
    """The journal lines for ``records`` (one JSON object per line), as :func:`append` writes them."""
    return _lines(list(records))


def append(ledger: Ledger, *records: dict[str, Any], encoded: bytes | None = None) -> None:
    """Append records to the journal with one ``write`` (a line torn by a dead writer is cut first).

    ``encoded`` is :func:`encode` of the same records, when the caller made it ahead.

    Raises:
        OSError: the journal cannot be written (the state is then unchanged).
    """
    text = _lines(list(records)) if encoded is None else encoded
    files.append_checked(ledger.journal_file, ledger.journal_size, text)
    ledger.journal_size += len(text)
    for record in records:
        ledger.apply(record)


def prefix_hash(ledger: Ledger, data: bytes) -> Any:
    """A copy of the hashlib state of ``data[:accepted_end]`` (reused when it was computed already)."""
    if ledger.hasher is None:
        ledger.hasher = digest.sha256(memoryview(data)[: ledger.accepted_end])
    return ledger.hasher.copy()


def recent_appends(channel_path: Path) -> list[tuple[int, int]]:
    """The byte spans of collab's own appends named by the journal's last few records (never raises).

    An accepted append names its span; an intended one, logged before its bytes are written, names
    the span it has when no hand append came first, so a reader need not wait for the commit.
    """
    try:
        fd = files.open_checked(ledger_path(channel_path))
    except CollabError:
        return []
    try:
        size = os.fstat(fd).st_size
        raw = os.pread(fd, min(size, 8192), max(0, size - 8192))
    finally:
        os.close(fd)
    spans = []
    for line in raw.split(b"\n")[1:]:
        try:
            record = json.loads(line)
            if record.get("t") == "intent":
                spans.append((int(record["offset"]), int(record["offset"]) + int(record["length"])))
            else:
                spans.append((int(record["own"][0]), int(record["own"][1])))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
            continue
    return spans


def written_by_collab(channel_path: Path, start: int, end: int) -> bool:
    """True when the journal's last records say collab appended the bytes ``[start, end)`` exactly
    as they stand: one of :func:`recent_appends` begins at or before ``start`` and ends at ``end``."""
    return any(begin <= start and finish == end for begin, finish in recent_appends(channel_path))


def index(ledger: Ledger) -> list[dict[str, Any]] | None:
    """The journal's accept records as JSON objects, in order (their ``entries`` are
    :meth:`Span.to_json` lists); None when the journal cannot be read as JSON lines."""
    raw = files.read_checked(ledger.journal_file)[: ledger.journal_size]
    try:
        records = json.loads(b"[" + raw.rstrip(b"\n").replace(b"\n", b",") + b"]")
    except (ValueError, RecursionError):
        return None
    return [r for r in records if isinstance(r, dict) and r.get("t") == "accept"]


def accepts_back(ledger: Ledger, enough: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]] | None:
    """The journal's last accept records, in order: read back from its end until one for which
    ``enough`` is true (or the first), so the cost is that of the records read. None when a line
    cannot be read as a JSON object."""
    try:
        fd = files.open_checked(ledger.journal_file)
    except CollabError:
        return None
    found: list[dict[str, Any]] = []
    try:
        end, chunk = ledger.journal_size, 65536
        while end > 0:
            begin = max(0, end - chunk)
            raw = os.pread(fd, end - begin, begin)
            first = raw.find(b"\n") + 1 if begin else 0  # the chunk's first line may be cut: it is read next time
            chunk *= 4
            if begin and not first:
                continue  # one line longer than the chunk
            for line in reversed(raw[first:].split(b"\n")[:-1]):
                record = json.loads(line)
                if not isinstance(record, dict):
                    return None
                if record.get("t") == "accept":
                    found.append(record)
                    if enough(record):
                        return found[::-1]
            end = begin + first
    except (ValueError, RecursionError):
        return None
    finally:
        os.close(fd)
    return found[::-1]
