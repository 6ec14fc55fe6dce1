"""The channel file format: parse a channel's bytes, compose what a writer appends.

The format is contract section 2. Parsing is lenient (hand-written entries, CRLF, a BOM, no final
newline, stray text all read, with warnings); composing is strict (the writer's grammar, bodies
neutralised by :func:`collab.blocks.neutralise`). Offsets in the parsed result are byte offsets
into the file, so callers can read only what is new.
"""

import re
from datetime import datetime
from typing import Any, NamedTuple

from collab import blocks
from collab.errors import ChannelFormatError
from collab.grammar import Ref, compose_heading, format_timestamp, parse_heading, parse_timestamp

BOM = b"\xef\xbb\xbf"
#: The warning for entries below a ``## Closed`` line.
AFTER_CLOSE = "entries appended after the channel was closed"
ANSWERS_LINE = "## Answers"
QUESTIONS_LINE = "## Questions"

# Patterns used once or twice a run are kept as strings: re compiles and caches them on first use,
# so commands that never read the header do not pay to compile them at start-up.
_META = r"(?im)^\s*[-*]\s*(Channel|Created)\s*:\s*(.+?)\s*$"
_BY = r"\b(?i:by)\s+@?([A-Za-z0-9][A-Za-z0-9._@+-]*)"  # as grammar._AUTHOR


class Request(NamedTuple):
    """A numbered request from the header (numbers from 1, as the markdown list gives them)."""

    number: int
    text: str


class Header(NamedTuple):
    """What the header (everything above the answers line) says."""

    title: str
    task: str
    context: str
    requests: tuple[Request, ...]
    channel_id: str | None
    created: str | None
    creator: str | None


class Entry(NamedTuple):
    """One ``### Answer N`` or ``### Question N`` section.

    ``start``/``end`` are byte offsets of the section in the file (heading to the next boundary);
    ``index`` is the 1-based position among entries; ``body`` is normalised and unwrapped, i.e. the
    text as its author meant it.
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


class Closed(NamedTuple):
    """The ``## Closed (<timestamp>)[ by <author>]`` line; ``start`` is its byte offset."""

    timestamp: str | None
    author: str | None
    start: int


class Counters:
    """Numbering state carried from one part of a file to the next (for reading only what is new).

    A plain slotted class rather than a dataclass: defining a dataclass costs about 0.5 ms of every
    command's start-up (the mutable state of the ledger and the follower is written the same way).
    """

    __slots__ = ("answers", "has_questions_line", "index", "questions", "seen")

    def __init__(
        self,
        answers: int = 0,
        questions: int = 0,
        index: int = 0,
        seen: dict[str, set[int]] | None = None,
        has_questions_line: bool = False,
    ) -> None:
        self.answers = answers
        self.questions = questions
        self.index = index
        self.seen = {"answer": set(), "question": set()} if seen is None else seen
        self.has_questions_line = has_questions_line

    def copy(self) -> "Counters":
        """An independent copy (the sets of seen numbers are copied too)."""
        seen = {kind: set(numbers) for kind, numbers in self.seen.items()}
        return Counters(self.answers, self.questions, self.index, seen, self.has_questions_line)


class Tail(NamedTuple):
    """What :func:`parse_entries` found below the answers line (or below a known boundary)."""

    entries: list[Entry]
    closed: Closed | None
    warnings: list[str]
    counters: Counters


class Document:
    """A parsed channel. ``answers_offset`` is the byte offset of the answers line; ``size`` the file size.

    The :attr:`header` is parsed on first use: appending and following a channel never need it.
    """

    __slots__ = ("_header", "_header_source", "answers_offset", "closed", "counters", "entries", "size", "warnings")

    def __init__(
        self,
        answers_offset: int,
        entries: tuple[Entry, ...],
        closed: Closed | None,
        warnings: tuple[str, ...],
        counters: Counters,
        size: int,
        header_source: tuple[str, list[blocks.TopHeading], int],
    ) -> None:
        self.answers_offset = answers_offset
        self.entries = entries
        self.closed = closed
        self.warnings = warnings
        self.counters = counters
        self.size = size
        self._header_source = header_source
        self._header: Header | None = None

    @property
    def header(self) -> Header:
        """What the header says (title, task, context, requests, id, creation)."""
        if self._header is None:
            self._header = _parse_header(*self._header_source)
        return self._header

    @property
    def state(self) -> str:
        """``open`` or ``closed``."""
        return "closed" if self.closed else "open"


def decode(data: bytes) -> tuple[str, int]:
    """Decode channel bytes as UTF-8 and return ``(text, base)``; ``base`` is 3 after a BOM, else 0.

    Raises:
        ChannelFormatError: the bytes are not UTF-8 or hold NUL bytes (binary data).
    """
    base = len(BOM) if data.startswith(BOM) else 0
    try:
        text = data[base:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChannelFormatError(
            f"not UTF-8 text (bad byte at offset {exc.start + base}): this is not a collab channel"
        ) from None
    if "\x00" in text:
        raise ChannelFormatError(
            f"holds a NUL byte at offset {base + len(text[: text.index(chr(0))].encode())}: binary data, not a channel"
        )
    return text, base


class _ByteOffsets:
    """Converts increasing character offsets of ``text`` into byte offsets, in one pass overall."""

    def __init__(self, text: str, base: int) -> None:
        self._text = text
        self._base = base
        self._char = 0
        self._byte = base

    def __call__(self, char_offset: int) -> int:
        if char_offset < self._char:
            self._char, self._byte = 0, self._base
        self._byte += len(self._text[self._char : char_offset].encode())
        self._char = char_offset
        return self._byte


def _section_text(text: str) -> str:
    return blocks.unwrap(blocks.normalize_body(text))


def _parse_requests(section: str) -> tuple[Request, ...]:
    requests: list[Request] = []
    for token in blocks.scan_tokens(blocks.scan_text(section)):
        if token["type"] != "list":
            continue
        first = int(token["attrs"].get("start", 1)) if token["attrs"].get("ordered") else 1
        for offset, item in enumerate(token["children"]):
            parts = [c.get("text") or c.get("raw") or "" for c in item["children"]]
            text = "\n\n".join(p.strip() for p in parts if p and p.strip())
            requests.append(Request(first + offset, text))
        break
    return tuple(requests)


def _parse_header(text: str, headings: list[blocks.TopHeading], end: int) -> Header:
    title = ""
    sections: dict[str, str] = {}
    top = [h for h in headings if h.start < end and h.level <= 2]
    for i, h in enumerate(top):
        stop = top[i + 1].start if i + 1 < len(top) else end
        if h.level == 1 and not title:
            title = re.sub(r"^Collab:\s*", "", h.text, flags=re.IGNORECASE)
            meta_region = text[h.body_start : stop]
        elif h.level == 2:
            sections.setdefault(h.text.strip().lower(), text[h.body_start : stop])
    if not title:
        meta_region = text[: top[0].start] if top else text[:end]
    meta = {k.lower(): v for k, v in re.findall(_META, meta_region)}
    created = meta.get("created")
    creator_match = re.search(_BY, created) if created else None
    created_at = parse_timestamp(created) if created else None
    return Header(
        title=title,
        task=_section_text(sections.get("task", "")),
        context=_section_text(sections.get("context", "")),
        requests=_parse_requests(sections.get("requests", "")),
        channel_id=meta.get("channel"),
        created=format_timestamp(created_at) if created_at else None,
        creator=creator_match.group(1) if creator_match else None,
    )


def _line_number(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_entries(text: str, to_bytes: _ByteOffsets | None = None, counters: Counters | None = None) -> Tail:
    """Parse the part of a channel below the answers line (or below any entry boundary).

    Args:
        text: decoded text that starts at an entry boundary (a structural heading or the line after
            the answers line). CRLF is accepted.
        to_bytes: maps character offsets of ``text`` to file byte offsets; identity+UTF-8 if omitted.
        counters: numbering carried over from the part of the file above ``text``.

    Returns:
        The entries, the closing line if any, and warnings (line numbers are relative to ``text``).
    """
    to_bytes = to_bytes or _ByteOffsets(text, 0)
    counters = counters or Counters()
    scan = blocks.scan_text(text)
    headings = [h for h in blocks.scan_headings(scan) if blocks.is_structural(h.level, h.text)]
    entries: list[Entry] = []
    warnings: list[str] = []
    closed: Closed | None = None
    stray_from = 0
    for i, h in enumerate(headings):
        stop = headings[i + 1].start if i + 1 < len(headings) else len(text)
        if text[stray_from : h.start].strip():
            warnings.append(f"line {_line_number(text, stray_from)}: text outside any entry")
        stray_from = stop
        if h.level == 3:
            entries.append(_entry(text, h, stop, to_bytes, counters, warnings))
            continue
        if h.level == 2 and h.text == "Questions":
            counters.has_questions_line = True
        elif h.level == 2 and h.text.split("(")[0].strip() == "Closed":
            moment = parse_timestamp(h.text)
            by = re.search(_BY, h.text)
            closed = closed or Closed(
                format_timestamp(moment) if moment else None, by.group(1) if by else None, to_bytes(h.start)
            )
        elif h.level == 2 and h.text == "Answers":
            warnings.append(f"line {_line_number(text, h.start)}: a second '## Answers' line (ignored)")
        else:
            stray_from = h.start
            warnings.append(f"line {_line_number(text, h.start)}: unexpected heading {'#' * h.level} {h.text}")
    if text[stray_from:].strip():
        warnings.append(f"line {_line_number(text, stray_from)}: text outside any entry")
    if closed and any(e.start > closed.start for e in entries):
        warnings.append(AFTER_CLOSE)
    return Tail(entries, closed, warnings, counters)


def parse_tail(data: bytes, offset: int, counters: Counters) -> Tail:
    """Parse bytes read from ``offset`` of a channel file, which must be an entry boundary.

    ``counters`` (numbering so far) is updated in place; entry spans are file byte offsets.

    Raises:
        ChannelFormatError: not UTF-8 or NUL bytes (see :func:`decode`).
    """
    text, base = decode(data) if offset == 0 else (_decode_part(data, offset), 0)
    return parse_entries(text, _ByteOffsets(text, offset + base), counters)


def _decode_part(data: bytes, offset: int) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChannelFormatError(f"not UTF-8 text (bad byte at offset {offset + exc.start})") from None
    if "\x00" in text:
        raise ChannelFormatError("holds a NUL byte: binary data, not a channel")
    return text


def _entry(
    text: str, h: blocks.TopHeading, stop: int, to_bytes: _ByteOffsets, counters: Counters, warnings: list[str]
) -> Entry:
    parsed = parse_heading(h.text)
    last = counters.answers if parsed.kind == "answer" else counters.questions
    number = parsed.number
    if number is None or number in counters.seen[parsed.kind] or number != last + 1:
        where = f"line {_line_number(text, h.start)}"
    if number is None:
        number = last + 1
        warnings.append(f"{where}: heading '{h.text}' has no number; read as {parsed.kind.capitalize()} {number}")
    elif number in counters.seen[parsed.kind]:
        warnings.append(f"{where}: {parsed.kind.capitalize()} {number} appears twice")
    elif number != last + 1:
        warnings.append(f"{where}: {parsed.kind.capitalize()} {number} follows {parsed.kind.capitalize()} {last}")
    counters.seen[parsed.kind].add(number)
    if parsed.kind == "answer":
        counters.answers = max(counters.answers, number)
    else:
        counters.questions = max(counters.questions, number)
    counters.index += 1
    body = blocks.unwrap(blocks.normalize_body(text[h.body_start : stop]))
    start = to_bytes(h.start)
    return Entry(
        kind=parsed.kind,
        number=number,
        timestamp=parsed.timestamp,
        author=parsed.author,
        re=parsed.re,
        body=body,
        index=counters.index,
        start=start,
        end=to_bytes(stop),
        heading=text[h.start : h.body_start].strip(),
    )


def parse(data: bytes) -> Document:
    """Parse a whole channel file.

    Raises:
        ChannelFormatError: not UTF-8, NUL bytes, or no ``## Answers`` line (contract section 2).
    """
    text, base = decode(data)
    headings, answers = _find_answers_line(blocks.scan_text(text))
    to_bytes = _ByteOffsets(text, base)
    answers_offset = to_bytes(answers.start)
    body_start = to_bytes(answers.body_start)
    tail_text = text[answers.body_start :]
    tail = parse_entries(tail_text, _ByteOffsets(tail_text, body_start))
    line_shift = _line_number(text, answers.body_start) - 1
    warnings = [shift_line(w, line_shift) for w in tail.warnings]
    return Document(
        answers_offset, tuple(tail.entries), tail.closed, tuple(warnings), tail.counters, len(data),
        header_source=(text, headings, answers.start),
    )


class Index(NamedTuple):
    """What is already known of the accepted part ``[0, end)`` of a channel (kept by :mod:`collab.integrity`).

    ``spans`` are ``[kind, number, index, start, end]`` per entry, byte offsets; ``warnings`` carry
    file line numbers; ``counters`` and ``closed`` are the state at ``end``.
    """

    header_end: int
    end: int
    spans: list[list[Any]]
    warnings: list[str]
    closed: Closed | None
    counters: Counters


def entry_at(data: bytes, span: list[Any]) -> Entry:
    """Read back an entry whose span is known, no block parsing needed.

    ``span`` is ``[kind, number, index, start, end]``, optionally followed by the heading's
    ``timestamp, author[, re kind, re number]`` as read when it was accepted.
    """
    kind, number, index, start, end = span[:5]
    heading_line, _, rest = data[start:end].decode("utf-8").partition("\n")
    if len(span) > 5:
        timestamp, author = span[5], span[6]
        reply_to = Ref(span[7], span[8]) if len(span) > 7 else None
    else:
        parsed = parse_heading(blocks.atx_text(heading_line))
        timestamp, author, reply_to = parsed.timestamp, parsed.author, parsed.re
    body = blocks.unwrap(blocks.normalize_body(rest))
    return Entry(kind, number, timestamp, author, reply_to, body, index, start, end, heading_line.strip())


def parse_indexed(data: bytes, index: Index) -> Document:
    """Parse a channel whose accepted part is described by ``index``: only the rest is parsed.

    The result equals :func:`parse` of the same bytes when the accepted part is as the index says
    (which :mod:`collab.integrity` checks by digest first), with one difference that follows from
    append-only: text appended later below an accepted entry, without a heading of its own, is
    text outside any entry (a warning), not more of that entry's body.

    Raises:
        ChannelFormatError: as :func:`parse`.
    """
    text, base = decode(data[: index.header_end])
    headings, answers = _find_answers_line(blocks.scan_text(text))
    answers_offset = _ByteOffsets(text, base)(answers.start)
    entries = [entry_at(data, span) for span in index.spans]
    warnings = list(index.warnings)
    closed = index.closed
    counters = index.counters
    if len(data) > index.end:
        counters = counters.copy()
        tail = parse_tail(data[index.end :], index.end, counters)
        entries += tail.entries
        shift = data.count(b"\n", 0, index.end)
        warnings += [shift_line(w, shift) for w in tail.warnings]
        if closed and tail.entries:
            warnings.append(AFTER_CLOSE)
        closed = closed or tail.closed
    if AFTER_CLOSE in warnings:  # once, and last, as parse() reports it
        warnings = [w for w in warnings if w != AFTER_CLOSE] + [AFTER_CLOSE]
    return Document(
        answers_offset, tuple(entries), closed, tuple(warnings), counters, len(data),
        header_source=(text, headings, answers.start),
    )


_ANSWERS_CANDIDATE = re.compile(
    r"^ {0,3}(?:##[ \t]+Answers[ \t]*#*[ \t]*|Answers[ \t]*\n {0,3}-+[ \t]*)$", re.MULTILINE
)


def _find_answers_line(scan: str) -> tuple[list[blocks.TopHeading], blocks.TopHeading]:
    """The header's top-level headings and the answers line, scanning only as far as the answers line.

    A candidate line found by a regex is confirmed by a block parse of the text up to it (it may sit
    inside a code fence, say); text after a top-level heading cannot change how the text before it
    parses, so the entries below need not be scanned here.
    """
    for candidate in _ANSWERS_CANDIDATE.finditer(scan):
        headings = blocks.scan_headings(scan[: candidate.end() + 1])
        if headings and headings[-1].level == 2 and headings[-1].text == "Answers" and (
            headings[-1].start == candidate.start()
        ):
            return headings, headings[-1]
    raise ChannelFormatError("no '## Answers' line: this is not a collab channel (or its header was damaged)")


def shift_line(warning: str, shift: int) -> str:
    """Add ``shift`` to the line number a warning starts with (``line N: ...``)."""
    m = re.match(r"line (\d+):", warning)
    return f"line {int(m.group(1)) + shift}:{warning[m.end() :]}" if m else warning


def compose_entry(kind: str, number: int, moment: datetime, author: str | None, re_ref: Ref | None, body: str) -> str:
    """The text a writer appends for one entry: a blank line, the heading, the neutralised body.

    ``body`` must be normalised (:func:`collab.blocks.normalize_body`) and non-empty.
    """
    return f"\n{compose_heading(kind, number, moment, author, re_ref)}\n{blocks.neutralise(body)}\n"


def compose_closed(moment: datetime, author: str | None) -> str:
    """The text that closes a channel: ``## Closed (<timestamp>)[ by <author>]``."""
    return f"\n## Closed ({format_timestamp(moment)})" + (f" by {author}" if author else "") + "\n"
