"""The top-level headings of a channel, as a CommonMark reader sees them, in linear time.

Agents, editors and GitHub read a channel as CommonMark, so collab's view of where entries start is
CommonMark's: a *top-level heading* is a heading that is a block of the document itself, not
inside a code block, HTML block, block quote or list item (CommonMark 0.31, sections 4.2, 4.3 and
5). markdown-it-py, the CommonMark reference implementation for Python, decides every case that
is not plain; the tests check the fast path against it.

Two facts make one left-to-right pass enough:

- Block structure is decided line by line from what came before (CommonMark appendix A): text
  after a line never changes whether that line is an ATX heading. So a prefix can be parsed alone.
- Just before a top-level heading's first line, no block is open. Parsing may restart there
  (a *checkpoint*) and reach the same result as parsing from the top of the file.

The fast path reads lines itself while every line is *plain*: at column 0, opening no container
and no multi-line block other than a fenced code block at column 0 (whose lines it skips until
the closing fence, CommonMark 4.5). At the first line that is not plain, markdown-it-py parses a
window from the last checkpoint; the window doubles until it holds a top-level heading, so the
work stays proportional to the text (each window costs at most twice the ground it covers).

Offsets are character offsets into the scanned text, which must use ``\\n`` line ends (see
:func:`scan_text`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Generator, Iterator
from typing import Any, NamedTuple

#: Smallest window, in characters, that markdown-it-py parses when the fast path stops.
WINDOW = 16384


class TopHeading(NamedTuple):
    """A top-level heading: ``level`` 1-6, ``text`` without markers, ``style`` ``atx`` or ``setext``.

    ``start`` is where its first line begins and ``body_start`` where the text after it begins
    (character offsets into the scanned text).
    """

    level: int
    text: str
    start: int
    body_start: int
    style: str


def scan_text(text: str) -> str:
    """Return ``text`` with CRLF and lone CR line ends turned into LF without moving any offset.

    ``\\r\\n`` becomes `` \\n`` (trailing white space, which no block structure depends on), so a
    character offset in the result is the same offset in ``text``.
    """
    return text.replace("\r\n", " \n").replace("\r", "\n")


def atx_heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` when ``line`` (no newline, at column 0) is an ATX heading, else None.

    CommonMark 4.2: 1-6 ``#`` followed by a space, a tab or the end of the line; the optional
    closing sequence of ``#`` must be preceded by a space or tab. Linear in the line's length.
    """
    level = 0
    while level < len(line) and line[level] == "#":
        level += 1
    if not 1 <= level <= 6 or (level < len(line) and line[level] not in " \t"):
        return None
    text = line[level:].strip(" \t")
    closing = text.rstrip("#")
    if not closing:
        text = ""
    elif len(closing) < len(text) and closing[-1] in " \t":
        text = closing.rstrip(" \t")
    return level, text


def _fence_opening(line: str) -> tuple[str, int] | None:
    """``(character, length)`` when ``line`` opens a fenced code block at column 0 (CommonMark 4.5)."""
    char = line[:1]
    if char not in ("`", "~"):
        return None
    length = len(line) - len(line.lstrip(char))
    if length < 3 or (char == "`" and "`" in line[length:]):
        return None
    return char, length


def _is_plain(line: str) -> bool:
    """True when ``line`` cannot make a later line at column 0 anything but what it looks like.

    Not plain: indentation (code, or a list item's continuation), ``<`` (an HTML block runs on), and
    lines of only ``=`` or ``-`` (setext underlines; a ``-`` line may also be a list item or a rule).
    A ``>`` line is plain: whatever a block quote holds ends at the first line that is neither a quote
    line nor lazy paragraph text, and a heading or a fence is never lazy (CommonMark 5.1).
    """
    if not line.strip(" \t\f\v"):
        return True
    if line[0] in " \t\f\v<":
        return False
    if line[0] in "=-":
        return bool(line.rstrip(" \t").strip(line[0]))
    return True


@functools.cache
def _block_parser() -> Any:
    """markdown-it-py with only its block rules: headings, containers and leaf blocks, no inline."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    parser.core.ruler.disable(["inline", "text_join"], ignoreInvalid=True)
    return parser


def _slow_headings(text: str, start: int, end: int) -> list[TopHeading]:
    """Every top-level heading of ``text[start:end]``, by markdown-it-py (``start`` is a checkpoint)."""
    window = text[start:end]
    line_starts = [0]
    position = window.find("\n")
    while position >= 0:
        line_starts.append(position + 1)
        position = window.find("\n", position + 1)
    tokens = _block_parser().parse(window)
    found = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.level != 0 or token.map is None:
            continue
        first, last = token.map
        body = line_starts[last] if last < len(line_starts) else len(window)
        style = "setext" if token.markup in ("=", "-") else "atx"
        found.append(TopHeading(int(token.tag[1]), tokens[i + 1].content.strip(), start + line_starts[first],
                                start + body, style))  # fmt: skip
    return found


#: The start of a line the fast path must look at: a possible heading, fence, indentation followed by
#: text, HTML, a quote, or a possible setext underline. Every other line is a plain paragraph line or
#: blank, and is skipped at the speed of the regex engine.
_NOTABLE = re.compile(r"^(?:#|```|~~~|[ \t\f\v]+[^ \t\f\v\n]|[<=-])", re.MULTILINE)


@functools.cache
def _closing(char: str, length: int) -> re.Pattern[str]:
    """A closing fence line for a fence of ``length`` ``char`` characters (CommonMark 4.5)."""
    return re.compile(rf"^ {{0,3}}{re.escape(char)}{{{length},}}[ \t]*$", re.MULTILINE)


def is_plain_text(text: str) -> bool:
    """True when no line of ``text`` could start a heading, a fence, a container, HTML or an underline."""
    return _NOTABLE.search(text) is None


def top_headings(text: str, start: int = 0, keep: Callable[[int, str], bool] | None = None) -> Iterator[TopHeading]:
    """Yield the top-level headings of ``text`` from ``start`` on, in order (only those ``keep`` accepts).

    Args:
        text: the text, with ``\\n`` line ends (:func:`scan_text`).
        start: a checkpoint: 0, or where a top-level heading of ``text`` begins.
        keep: ``keep(level, text)`` selects the headings to yield; all of them when None.
    """
    n = len(text)
    checkpoint = start
    done = start - 1  # headings up to here were handled (the checkpoint's own, once read)
    notable = _NOTABLE.search(text, start)
    while notable is not None:
        position = notable.start()
        line_end = text.find("\n", position)
        next_line = n if line_end < 0 else line_end + 1
        line = text[position:next_line].rstrip("\n")
        if (heading := atx_heading(line)) is not None:
            checkpoint = done = position
            if keep is None or keep(*heading):
                yield TopHeading(heading[0], heading[1], position, next_line, "atx")
        elif (opening := _fence_opening(line)) is not None:
            closing = _closing(*opening).search(text, next_line)
            if closing is None:
                return  # an unclosed fence runs to the end of the document
            next_line = closing.end() + 1
        elif not _is_plain(line):
            last = yield from _slow(text, checkpoint, done, next_line, keep)
            if last is None:
                return
            checkpoint = done = last.start
            next_line = last.body_start
        notable = _NOTABLE.search(text, next_line) if next_line < n else None


def _slow(
    text: str, checkpoint: int, done: int, reached: int, keep: Callable[[int, str], bool] | None
) -> Generator[TopHeading, None, TopHeading | None]:
    """Parse windows from ``checkpoint`` (at least up to ``reached``) until one holds a top-level
    heading after ``done``; yield the headings it holds after ``done``.

    Returns the last heading found (the fast path resumes after it), or None when the windows
    reached the end of ``text``.
    """
    n = len(text)
    size = max(WINDOW, 2 * (reached - checkpoint))
    while True:
        end = n if checkpoint + size >= n else text.find("\n", checkpoint + size) + 1 or n
        found = [h for h in _slow_headings(text, checkpoint, end) if h.start > done]
        if end == n or found:
            for heading in found:
                if keep is None or keep(heading.level, heading.text):
                    yield heading
            return None if end == n else found[-1]
        size *= 2
