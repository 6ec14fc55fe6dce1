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
accepted can be lost. Loading reads the header record and the records from the last ``accept``
on: the cost does not grow with the channel. Digests are SHA-256 (FIPS 180-4), in hex.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from collab.errors import ChannelNotFound, ChannelRefused, CollabError
from collab.store import files, paths
from collab.text import naming
from collab.text.format import Closed, Counters, Entry
from collab.text.grammar import Ref

VERSION = 2


def sha(data: bytes | memoryview) -> str:
    """SHA-256 of ``data`` in hex."""
    return hashlib.sha256(data).hexdigest()


def ledger_path(channel_path: Path) -> Path:
    """The journal of the channel at ``channel_path`` (in the private state directory)."""
    return paths.sidecar(channel_path, "ledger")


def copy_path(channel_path: Path) -> Path:
    """The copy of the accepted bytes of the channel at ``channel_path``."""
    return paths.sidecar(channel_path, "accepted")


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
        return cls(entry.kind, entry.number, entry.index, entry.start, entry.end, entry.timestamp, entry.author,
                   entry.re)  # fmt: skip

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
        return ({"own": list(self.own)} if self.own else {}) | ({"unlisted": self.unlisted} if self.unlisted else {}) | {
            "t": "accept", "start": self.start, "end": self.end, "sha": self.sha, "prefix": self.prefix,
            "entries": [s.to_json() for s in self.entries], "checkpoint": self.checkpoint,
            "counters": [*self.counters[:4], list(closed) if closed else None, self.counters.latest],
            "warnings": [list(w) for w in self.warnings],
        }  # fmt: skip


def _counters(raw: dict[str, Any]) -> Counters:
    answers, questions, index, questions_line, closed, latest = raw["counters"]
    return Counters(int(answers), int(questions), int(index), bool(questions_line),
                    Closed(closed[0], closed[1], int(closed[2])) if closed else None,
                    None if latest is None else str(latest))  # fmt: skip


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

    __slots__ = ("accepted_end", "channel", "channel_path", "checkpoint", "counters", "hasher", "header_end",
                 "header_sha", "intent", "journal_size", "prefix_sha")  # fmt: skip

    def __init__(self, channel_path: Path, channel: str, header_end: int, header_sha: str) -> None:
        self.channel_path = channel_path
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
        elif kind == "intent":
            self.intent = Intent(int(record["offset"]), int(record["length"]), str(record["sha"]),
                                 bytes.fromhex(record["head"]))  # fmt: skip
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
        return (f"the ledger of {channel_path} {self.detail}, so edits of its history cannot be detected; "
                f"`collab repair --accept-current {channel_path}` accepts the channel as it is now")  # fmt: skip


def load(channel_path: Path) -> Ledger | LedgerTrouble | None:
    """The channel's ledger; a :class:`LedgerTrouble` when it is damaged or foreign; None when absent.

    A journal that is a link, a special file or another user's is a trouble too (never followed).
    """
    try:
        fd = files.open_checked(ledger_path(channel_path))
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
        ledger = Ledger(channel_path, channel, int(header["end"]), str(header["sha"]))
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
        except (ValueError, RecursionError):
            return None, complete
        if not all(isinstance(r, dict) for r in records):
            return None, complete
        last = max((i for i, r in enumerate(records) if r.get("t") == "accept"), default=None)
        if last is not None or begin == 0:
            return records[last or 0 :], complete
        chunk *= 8


def write_new(channel_path: Path, header_end: int, header_sha: str, records: list[dict[str, Any]]) -> Ledger:
    """Start (or replace) the journal of ``channel_path`` with a header record and ``records``."""
    ledger = Ledger(channel_path, naming.channel_id(channel_path), header_end, header_sha)
    head = {"t": "header", "v": VERSION, "channel": ledger.channel, "end": header_end, "sha": header_sha}
    journal = _lines([head, *records])
    for record in records:
        ledger.apply(record)
    ledger.journal_size = len(journal)
    files.replace_atomic(ledger_path(channel_path), journal)
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
    files.append_checked(ledger_path(ledger.channel_path), ledger.journal_size, text)
    ledger.journal_size += len(text)
    for record in records:
        ledger.apply(record)


def prefix_hash(ledger: Ledger, data: bytes) -> Any:
    """A copy of the hashlib state of ``data[:accepted_end]`` (reused when it was computed already)."""
    if ledger.hasher is None:
        ledger.hasher = hashlib.sha256(memoryview(data)[: ledger.accepted_end])
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
    raw = files.read_checked(ledger_path(ledger.channel_path))[: ledger.journal_size]
    try:
        records = json.loads(b"[" + raw.rstrip(b"\n").replace(b"\n", b",") + b"]")
    except (ValueError, RecursionError):
        return None
    return [r for r in records if isinstance(r, dict) and r.get("t") == "accept"]
