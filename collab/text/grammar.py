"""The entry heading grammar: compose strictly, read leniently.

The writer emits exactly (contract section 2)::

    ### <Kind> <N> (<YYYY-MM-DDTHH:MM:SSZ>)[ from <author>][ re <Request|Question|Answer> <M>]

The reader accepts what agents write by hand: no timestamp, minute precision, other separators,
brackets, extra words. A heading that starts with ``Answer`` or ``Question`` is always an entry; what
cannot be read from it is reported as a warning, never raised.
"""

import functools
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collab.text.format import Entry

KINDS = ("answer", "question")
#: Highest entry or reference number collab reads; a heading with a larger one reads as having none.
MAX_NUMBER = 999_999
#: How much of a heading's text is read for its details; the rest is ignored (keeps every pattern linear).
MAX_HEADING_CHARS = 1024
RE_KINDS = ("request", "question", "answer")

#: Characters allowed in an author name; anything else would make the heading ambiguous.
_AUTHOR_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_AUTHOR_BAD_CHARS = r"[^A-Za-z0-9._@+-]+"  # used once a run: compiled (and cached) by re on first use

_ENTRY_START = re.compile(r"^\s*(answer|question)\b", re.IGNORECASE)
# The patterns that read a heading's details are strings, compiled (and cached) by re on first use:
# a command reading an indexed channel never needs them, so it never pays for compiling them.
# Numbers are ASCII digits: ``\d`` would also take other scripts' digits (U+FF11, U+0663), which int() reads.
_NUMBER = r"(?i)^\s*(?:no\.?|#|n[°º])?\s*([0-9]{1,9})\b"
_TIMESTAMP = (
    r"(?i)([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?\s*"
    r"(Z|UTC|[+-][0-9]{2}:?[0-9]{2})?"
)
# Only the keyword ignores case: an IGNORECASE character class would also take the Kelvin sign and the
# long s as letters (Unicode case folding), and takes twice as long to compile.
_AUTHOR = r"\b(?i:from)\s+@?([A-Za-z0-9][A-Za-z0-9._@+-]*)"
_RE = (
    r"(?i)\b(?:re|in\s+reply\s+to|replying\s+to|reply\s+to|answers?|for|to)\b\s*:?\s*"
    r"(request|question|answer)\s*(?:#|no\.?)?\s*([0-9]{1,9})\b"
)

# What a hand-written heading tried to say and the patterns above could not read (see unread_details).
_TIME_SLOT = r"^\s*[(\[][^)\]\n]*[)\]]"  # the writer's ``(<timestamp>)``, right after the number
_DATE_LIKE = r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}[^\s)\]]*"
_FROM_WORD = r"\b(?i:from)\b"
_RE_WORD = r"\b(?i:re|in\s+reply\s+to|replying\s+to|reply\s+to)(?=[\s:#]|$)"
#: How much of an unreadable part a warning quotes, in characters.
_QUOTED_CHARS = 40


@functools.cache
def _pattern(source: str) -> re.Pattern[str]:
    """``source`` compiled on first use and kept (``re``'s own cache costs a lookup on every call)."""
    return re.compile(source)


class Ref(NamedTuple):
    """What an entry replies to: ``kind`` is ``request``, ``question`` or ``answer``; ``number`` from 1."""

    kind: str
    number: int

    def label(self) -> str:
        """The reference as it reads in a heading, e.g. ``Request 2``."""
        return f"{self.kind.capitalize()} {self.number}"

    @classmethod
    def parse(cls, value: str) -> "Ref":
        """A ``--re`` value such as ``request:2``, ``question:1`` or ``Request 2``, read by :func:`parse_re`.

        Raises:
            UsageError: ``value`` is none of those forms.
        """
        from collab.errors import UsageError

        if not isinstance(value, str):
            raise UsageError(f"a reference is text such as 'request:2', not {type(value).__name__}")
        try:
            return parse_re(value)
        except ValueError as exc:
            raise UsageError(str(exc)) from None


class Heading(NamedTuple):
    """What a level-3 entry heading says.

    ``number`` is None when the heading has none; ``timestamp`` is normalised to
    ``YYYY-MM-DDTHH:MM:SSZ`` (UTC) or None; ``warnings`` lists what could not be read.
    """

    kind: str
    number: int | None
    timestamp: str | None
    author: str | None
    re: Ref | None
    warnings: tuple[str, ...] = ()


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as the writer's UTC form, ``YYYY-MM-DDTHH:MM:SSZ`` (RFC 3339, no fraction)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime | None:
    """Find the first ISO 8601 date-time in ``text`` and return it as an aware UTC datetime.

    Minute precision (``2026-06-22T14:02Z``) and offsets (``+02:00``) are accepted; a time with no
    zone is taken as UTC. Returns None when there is no readable date-time.
    """
    m = _pattern(_TIMESTAMP).search(text[:MAX_HEADING_CHARS])
    if not m:
        return None
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC)
    except ValueError:
        return None
    if zone and zone.upper() not in ("Z", "UTC"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_minutes = int(digits[:2]) * 60 + int(digits[2:])
        try:
            moment -= sign * timedelta(minutes=offset_minutes)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00: before the first representable moment
            return None
    return moment


def check_author(name: str) -> str:
    """Return ``name`` if it can stand in a heading as an author, else raise ValueError saying why."""
    if not _AUTHOR_OK.match(name):
        raise ValueError(
            f"name {name!r} cannot be used: use 1-64 letters, digits or . _ @ + - (starting with a letter or digit)"
        )
    return name


def author_from_label(label: str) -> str:
    """Turn a free label (a directory name) into a valid author name, e.g. ``my site`` -> ``my-site``."""
    cleaned = re.sub(_AUTHOR_BAD_CHARS, "-", label).strip("-._@+")[:64]
    return cleaned or "anonymous"


def compose_heading(kind: str, number: int, moment: datetime, author: str | None, re_ref: Ref | None) -> str:
    """Compose an entry heading line (no newline) in the writer's strict grammar."""
    if kind not in KINDS:
        raise ValueError(f"unknown entry kind {kind!r}")
    line = f"### {kind.capitalize()} {number} ({format_timestamp(moment)})"
    if author:
        line += f" from {check_author(author)}"
    if re_ref:
        line += f" re {re_ref.label()}"
    return line


def is_entry_heading(text: str) -> bool:
    """True when a level-3 heading's text starts with ``Answer`` or ``Question`` (any case)."""
    return bool(_ENTRY_START.match(text))


def parse_heading(text: str) -> Heading:
    """Read an entry heading's text (without the ``###``) leniently.

    Raises:
        ValueError: when the text does not start with ``Answer`` or ``Question``; callers check
            :func:`is_entry_heading` first.
    """
    m = _ENTRY_START.match(text)
    if not m:
        raise ValueError(f"not an entry heading: {text!r}")
    kind = m.group(1).lower()
    rest = text[m.end() : MAX_HEADING_CHARS]
    warnings: list[str] = []
    number: int | None = None
    nm = _pattern(_NUMBER).match(rest)
    if nm and int(nm.group(1)) <= MAX_NUMBER:
        number = int(nm.group(1))
        rest = rest[nm.end() :]
    else:
        warnings.append("no number" if not nm else f"number over {MAX_NUMBER}")
    moment = parse_timestamp(rest)
    timestamp = format_timestamp(moment) if moment else None
    am = _pattern(_AUTHOR).search(rest)
    author = am.group(1).rstrip(".,;:)") if am else None
    rm = _pattern(_RE).search(rest)
    re_ref = Ref(rm.group(1).lower(), int(rm.group(2))) if rm and int(rm.group(2)) <= MAX_NUMBER else None
    return Heading(kind, number, timestamp, author, re_ref, tuple(warnings))


def unread_details(text: str) -> tuple[str, ...]:
    """What an entry heading's text tries to say that :func:`parse_heading` cannot read.

    Each is a phrase for a warning (contract section 2: a heading collab cannot read fully is still
    an entry, with a warning): a time that is not a date and time collab reads, a ``from`` that
    names no usable author, a ``re`` that names no request, question or answer. The number is not
    among them (:attr:`Heading.warnings` has it), nor are extra words, which the grammar allows.
    Returns nothing for a text that is not an entry heading.
    """
    m = _ENTRY_START.match(text)
    if not m:
        return ()
    rest = text[m.end() : MAX_HEADING_CHARS]
    number = _pattern(_NUMBER).match(rest)
    if number:
        rest = rest[number.end() :]
    found: list[str] = []
    author = _pattern(_AUTHOR).search(rest)
    reply = _pattern(_RE).search(rest)
    if parse_timestamp(rest) is None:
        date = _pattern(_DATE_LIKE).search(rest)
        slot = _pattern(_TIME_SLOT).match(rest)
        says_more = slot and (_pattern(_FROM_WORD).search(slot.group()) or _pattern(_RE_WORD).search(slot.group()))
        shown = date.group() if date else slot.group().strip() if slot and not says_more else None
        if shown is not None:
            found.append(
                f"the time '{_quoted(shown)}' cannot be read (collab reads YYYY-MM-DDTHH:MM:SSZ): the entry has no time"
            )
    keyword = _pattern(_RE_WORD).search(rest)
    if author is None and (word := _pattern(_FROM_WORD).search(rest)):
        stop = keyword.start() if keyword and keyword.start() > word.start() else len(rest)
        found.append(
            f"'{_quoted(rest[word.start() : stop])}' names no author collab can read (letters, digits and "
            ". _ @ + -): the entry has no author"
        )
    if reply is not None and int(reply.group(2)) > MAX_NUMBER:
        found.append(f"'{_quoted(reply.group())}' has a number over {MAX_NUMBER}: the entry replies to nothing")
    elif reply is None and keyword and not (author and author.start() <= keyword.start() < author.end()):
        words = rest[keyword.start() :].split()
        found.append(
            f"'{_quoted(' '.join(words[:3]))}' names no request, question or answer by number: the entry "
            "replies to nothing"
        )
    return tuple(found)


def _quoted(part: str) -> str:
    """``part`` on one line, shortened to :data:`_QUOTED_CHARS` characters for a warning."""
    part = " ".join(part.split())
    return part if len(part) <= _QUOTED_CHARS else part[: _QUOTED_CHARS - 1] + "…"


def heading_text(line: str) -> str:
    """The text of an ATX heading line (``### Answer 1 ... ##`` -> ``Answer 1 ...``), as CommonMark reads it."""
    text = line.strip().lstrip("#").strip()
    bare = text.rstrip("#")  # a closing sequence: #s at the end, after a space or tab (CommonMark 4.2)
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare
    return text.strip()


def parse_re(value: str) -> Ref:
    """Parse a ``--re`` value such as ``request:2``, ``question:1`` or ``Request 2``.

    Raises:
        ValueError: with a message naming the accepted forms.
    """
    m = re.fullmatch(r"\s*(request|question|answer)\s*[:\s#]?\s*([0-9]{1,9})\s*", value, re.IGNORECASE)
    if not m or not 1 <= int(m.group(2)) <= MAX_NUMBER:
        raise ValueError(f"cannot read {value!r}: use request:N, question:N or answer:N with N from 1")
    return Ref(m.group(1).lower(), int(m.group(2)))


def heading_warnings(entries: Iterable["Entry"]) -> list[str]:
    """A warning for each part of an entry heading that collab could not read (contract section 2):
    a time, an author or a ``re`` that is there but cannot be read (:func:`unread_details`)."""
    warned = []
    for entry in entries:
        text = heading_text(entry.heading)
        shown = text if len(text) <= 80 else text[:79] + "…"
        warned += [f"{entry.label}, heading '{shown}': {detail}" for detail in unread_details(text)]
    return warned
