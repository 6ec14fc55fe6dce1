"""The channel file format: parse a channel's bytes, whole or from a checkpoint.

The format is contract section 2. There is one parsing model, whatever part of a file is read:

- The structure is CommonMark's (:mod:`collab.text.structure`): an entry starts at a top-level level-3
  heading whose text starts with ``Answer`` or ``Question``, and runs to the next *structural*
  heading (any top-level level-1 or level-2 heading, or the next entry). So a hand-written entry
  that leaves a fence open takes everything after it, for collab as for any CommonMark reader.
- Parsing may start at a *checkpoint*: the start of a structural heading, with the numbering as it
  stood just before it (:class:`Counters`). Reading a file from a checkpoint gives exactly what a
  full parse gives from that point, so the ledger, ``wait``, ``watch`` and the writers read only
  the last entry and what follows it, and agree with :func:`parse` by construction.
- Only readable bytes are parsed: at the first invalid UTF-8 sequence or NUL byte the file is cut
  at the start of that line, and the cut is reported (:class:`Damage`) instead of refusing it all.

Parsing is lenient (hand-written entries, CRLF, CR, a BOM, no final newline, stray text all read,
with warnings); composing is strict (:mod:`collab.ledger.writer`). Offsets in parsed results are byte
offsets into the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from collab.errors import ChannelFormatError
from collab.text import blocks, structure
from collab.text.grammar import (
    MAX_HEADING_CHARS,
    Ref,
    format_timestamp,
    is_entry_heading,
    parse_heading,
    parse_timestamp,
)
from collab.text.header import BY_AUTHOR, Header, Request, parse_header

__all__ = ["Closed", "Counters", "Damage", "Document", "Entry", "Header", "Request", "Tail", "parse", "parse_tail"]

BOM = b"\xef\xbb\xbf"
#: The warning for entries below a ``## Closed`` line.
AFTER_CLOSE = "entries appended after the channel was closed"
QUESTIONS_LINE = "## Questions"
#: Warnings about the text listed at most; more are counted (a channel of a million stray headings
#: would otherwise carry a million sentences into every read and into the ledger).
MAX_WARNINGS = 1000


class Entry(NamedTuple):
    """One ``### Answer N`` or ``### Question N`` section.

    ``start``/``end`` are byte offsets of the section in the file (heading to the next structural
    heading, or the end of the readable file); ``index`` is the 1-based position among entries;
    ``body`` is normalised and unwrapped: the text as its author meant it.
    """

    kind: str
    number: int
    timestamp: str | None
    author: str | None
    re: Ref | None
    body: str
    index: int  # type: ignore[assignment]  # the contract's name; it hides tuple.index, which nothing uses
    start: int
    end: int
    heading: str

    def to_json(self) -> dict[str, object]:
        """The contract's entry shape (section 4)."""
        return {
            "kind": self.kind,
            "number": self.number,
            "timestamp": self.timestamp,
            "author": self.author,
            "re": {"kind": self.re.kind, "number": self.re.number} if self.re else None,
            "body": self.body,
            "index": self.index,
        }

    @property
    def label(self) -> str:
        """``Answer 3`` or ``Question 1``."""
        return f"{self.kind.capitalize()} {self.number}"

    def describe(self) -> str:
        """One line naming the entry, e.g. ``Answer 5 from site-a re Question 1``."""
        words = [self.label]
        if self.author:
            words.append(f"from {self.author}")
        if self.re is not None:
            words.append(f"re {self.re.label()}")
        return " ".join(words)


class Closed(NamedTuple):
    """The ``## Closed (<timestamp>)[ by <author>]`` line; ``start`` is its byte offset."""

    timestamp: str | None
    author: str | None
    start: int


class Damage(NamedTuple):
    """Where a file stops being readable: ``offset`` (bytes) and ``reason`` (a phrase)."""

    offset: int
    reason: str

    def warning(self) -> str:
        """The sentence every command shows while the damage is there."""
        return f"bytes from offset {self.offset} cannot be read ({self.reason}); `collab repair` moves them aside"


class Counters(NamedTuple):
    """The numbering at a point of a file: what parsing from a checkpoint carries over.

    ``answers``/``questions`` are the highest numbers so far, ``index`` the entries so far,
    ``questions_line`` whether ``## Questions`` was seen, ``closed`` the closing line if any, and
    ``latest`` the newest entry timestamp so far (``YYYY-MM-DDTHH:MM:SSZ``, which sorts as text).
    """

    answers: int = 0
    questions: int = 0
    index: int = 0  # type: ignore[assignment]  # the field's name; it hides tuple.index
    questions_line: bool = False
    closed: Closed | None = None
    latest: str | None = None


class Tail(NamedTuple):
    """What parsing from a checkpoint found.

    ``warnings`` are ``(byte offset, sentence)``; ``checkpoint`` is the byte offset of the last
    structural heading found (or the start, if none) and ``at_checkpoint`` the counters just
    before it, so parsing can resume there; ``counters`` is the state at the end.
    """

    entries: list[Entry]
    warnings: list[tuple[int, str]]
    counters: Counters
    checkpoint: int
    at_checkpoint: Counters


class Document(NamedTuple):
    """A parsed channel.

    ``answers_offset`` is the byte offset of the answers line, ``body_start`` of the line after it;
    ``size`` is the file size; ``damage`` where it stops being readable (None when all of it is).
    ``warnings`` are sentences (``line N: ...``). ``checkpoint`` is where parsing may resume (the
    last structural heading) and ``at_checkpoint`` the numbering just before it.
    """

    header: Header
    answers_offset: int
    body_start: int
    entries: tuple[Entry, ...]
    closed: Closed | None
    warnings: tuple[str, ...]
    counters: Counters
    size: int
    damage: Damage | None
    checkpoint: int
    at_checkpoint: Counters

    @property
    def state(self) -> str:
        """``open`` or ``closed``."""
        return "closed" if self.closed else "open"


def readable(data: bytes, base: int = 0) -> tuple[bytes, Damage | None]:
    """The readable part of ``data`` (bytes from file offset ``base``), and where it stops.

    A line holding invalid UTF-8 or a NUL byte, and everything after it, is left out and reported
    as :class:`Damage`; so is a final partial UTF-8 sequence. Never raises.
    """
    bad, reason = data.find(b"\x00"), "a NUL byte"
    try:
        data[: None if bad < 0 else bad].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad, reason = exc.start, "not UTF-8"
    if bad < 0:
        return data, None
    cut = data.rfind(b"\n", 0, bad) + 1
    return data[:cut], Damage(base + cut, f"{reason} at offset {base + bad}")


class _ByteOffsets:
    """Converts character offsets of ``text`` into file byte offsets, encoding only the text between
    one offset asked for and the next: linear overall when offsets mostly increase."""

    def __init__(self, text: str, base: int) -> None:
        self._text = text
        self._char = 0
        self._byte = base
        self._base = base

    def __call__(self, char_offset: int) -> int:
        if char_offset < self._char:  # back a little (to where stray text began): encode only the gap
            self._byte -= len(self._text[char_offset : self._char].encode())
        else:
            self._byte += len(self._text[self._char : char_offset].encode())
        self._char = char_offset
        return self._byte


def is_structural(level: int, text: str) -> bool:
    """True for headings that delimit the channel: levels 1-2, and level-3 ``Answer``/``Question``."""
    return level <= 2 or (level == 3 and is_entry_heading(text))


def parse_tail(text: str, base: int, counters: Counters) -> Tail:
    """Parse channel text that starts at a checkpoint (file byte offset ``base``).

    Args:
        text: decoded text from a checkpoint: the line after the answers line, or the start of a
            structural heading. Any line ends.
        base: the file byte offset where ``text`` starts.
        counters: the numbering just before ``base``.
    """
    scan = structure.scan_text(text)
    to_bytes: Callable[[int], int] = (lambda offset: base + offset) if text.isascii() else _ByteOffsets(text, base)
    headings = list(structure.top_headings(scan, 0, is_structural))
    entries: list[Entry] = []
    warnings: list[tuple[int, str]] = []
    answers, questions, index, questions_line, closed, latest = counters
    checkpoint = base
    stray_from = 0
    at_last: tuple[Any, ...] = tuple(counters)
    for i, h in enumerate(headings):
        stop = headings[i + 1].start if i + 1 < len(headings) else len(text)
        checkpoint = to_bytes(h.start)
        at_last = (answers, questions, index, questions_line, closed, latest)
        if scan[stray_from : h.start].strip():
            warnings.append((to_bytes(stray_from), "text outside any entry"))
        stray_from = stop
        if h.level == 3:
            heading = parse_heading(h.text)
            last = answers if heading.kind == "answer" else questions
            number = heading.number or last + 1
            if heading.number is None:
                warnings.append(
                    (
                        checkpoint,
                        f"heading '{h.text[:80]}' has {heading.warnings[0]}; read as "
                        f"{heading.kind.capitalize()} {number}",
                    )
                )
            elif number != last + 1:
                label = heading.kind.capitalize()
                order = "appears twice" if number == last else f"follows {label} {last}"
                warnings.append((checkpoint, f"{label} {number} {order}"))
            if heading.kind == "answer":
                answers = max(answers, number)
            else:
                questions = max(questions, number)
            index += 1
            if heading.timestamp and (latest is None or heading.timestamp > latest):
                latest = heading.timestamp
            body = blocks.read_body(text[h.body_start : stop])
            line = text[h.start : h.body_start].strip()
            entries.append(
                Entry(
                    heading.kind,
                    number,
                    heading.timestamp,
                    heading.author,
                    heading.re,
                    body,
                    index,
                    checkpoint,
                    to_bytes(stop),
                    line,
                )
            )
        elif h.text == "Questions" and h.level == 2:
            questions_line = True
        elif h.text.split("(")[0].strip() == "Closed" and h.level == 2:
            moment = parse_timestamp(h.text)
            by = BY_AUTHOR.search(h.text[:MAX_HEADING_CHARS])
            author = by.group(1) if by else None
            closed = closed or Closed(format_timestamp(moment) if moment else None, author, checkpoint)
            stray_from = stop  # the text below the closing line is its summary
        elif h.text == "Answers" and h.level == 2:
            warnings.append((checkpoint, "a second '## Answers' line (ignored)"))
        else:
            stray_from = h.body_start  # the heading line is warned about; what is under it is stray text
            warnings.append((checkpoint, f"unexpected heading {'#' * h.level} {h.text[:80]}"))
    if scan[stray_from:].strip():
        warnings.append((to_bytes(stray_from), "text outside any entry"))
    at_checkpoint = Counters(*at_last)
    return Tail(
        entries,
        warnings,
        Counters(answers, questions, index, questions_line, closed, latest),
        checkpoint,
        at_checkpoint,
    )


def parse(data: bytes, damage: Damage | None = None) -> Document:
    """Parse a whole channel file (its readable part; see :func:`readable`).

    ``damage`` is given when ``data`` was already cut (at the size limit), so the document says so.

    Raises:
        ChannelFormatError: no ``## Answers`` line in the readable part (contract section 2).
    """
    base = len(BOM) if data.startswith(BOM) else 0
    good, found = readable(data[base:], base)
    try:
        header, answers_offset, body_start = head(data[: base + len(good)])
    except ChannelFormatError:
        if (found or damage) is None:
            raise
        cut = found or damage
        raise ChannelFormatError(
            f"no '## Answers' line before the bytes it cannot read ({cut.reason}, from offset {cut.offset}): "  # type: ignore[union-attr]
            "this is not a collab channel"
        ) from None
    tail = parse_tail(data[body_start : base + len(good)].decode("utf-8"), body_start, Counters())
    return document(data, header, answers_offset, body_start, [], [], tail, found or damage)


def head(data: bytes) -> tuple[Header, int, int]:
    """The header, and the byte offsets of the answers line and of the line after it.

    ``data`` is readable (see :func:`readable`); only as much of it as the header needs is scanned.

    Raises:
        ChannelFormatError: there is no ``## Answers`` line.
    """
    base = len(BOM) if data.startswith(BOM) else 0
    text = data[base:].decode("utf-8")
    headings = []
    for h in structure.top_headings(structure.scan_text(text), 0, is_structural):
        headings.append(h)
        if h.level == 2 and h.text == "Answers":
            break
    else:
        raise ChannelFormatError("no '## Answers' line: this is not a collab channel (or its header was damaged)")
    answers = headings[-1]
    to_bytes = _ByteOffsets(text, base)
    return parse_header(text, headings, answers.start), to_bytes(answers.start), to_bytes(answers.body_start)


def document(
    data: bytes,
    header: Header,
    answers_offset: int,
    body_start: int,
    known: list[Entry],
    known_warnings: list[tuple[int, str]],
    tail: Tail,
    damage: Damage | None,
    unlisted: int = 0,
) -> Document:
    """Assemble a :class:`Document` from entries already known (from a ledger) and a parsed tail.

    ``unlisted`` counts warnings before the tail that the ledger did not keep (:data:`MAX_WARNINGS`).
    """
    entries = tuple(known + tail.entries)
    closed = tail.counters.closed
    located = sorted(known_warnings + tail.warnings, key=lambda pair: pair[0])
    unlisted += max(0, len(located) - MAX_WARNINGS)
    warnings = [f"line {line}: {sentence}" for line, sentence in _line_numbers(data, located[:MAX_WARNINGS])]
    if unlisted:
        warnings.append(f"{unlisted} more warnings like these (the first {MAX_WARNINGS} are listed)")
    if closed and any(e.start > closed.start for e in entries):
        warnings.append(AFTER_CLOSE)
    if damage:
        warnings.append(damage.warning())
    return Document(
        header,
        answers_offset,
        body_start,
        entries,
        closed,
        tuple(warnings),
        tail.counters,
        len(data),
        damage,
        tail.checkpoint,
        tail.at_checkpoint,
    )


def _line_numbers(data: bytes, located: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """``(line number, sentence)`` for ``(byte offset, sentence)`` pairs, counting lines once overall."""
    numbered = []
    line, counted = 1, 0
    for offset, sentence in sorted(located, key=lambda pair: pair[0]):
        line += data.count(b"\n", counted, offset)
        counted = max(counted, offset)
        numbered.append((line, sentence))
    return numbered
