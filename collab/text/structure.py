"""The top-level headings of a channel, as a CommonMark reader sees them, in linear time.

Agents, editors and GitHub read a channel as CommonMark, so collab's view of where entries start is
CommonMark's: a *top-level heading* is a heading that is a block of the document itself, not
inside a code block, HTML block, block quote or list item (CommonMark 0.31, sections 4.2, 4.3 and
5). markdown-it-py, the CommonMark reference implementation for Python, decides every case that
is not plain; the tests check the fast path against it.

Two facts make one left-to-right pass enough:

- Block structure is decided line by line from what came before (CommonMark appendix A): text
  after a line never changes whether that line is an ATX heading, nor where a top-level block
  starts, but for the title of a link reference definition (:func:`_settled`). So a prefix can be
  parsed alone.
- Just before a top-level block's first line (a heading's, say), and just after a top-level
  heading, thematic break or closed fence, no block is open. Parsing may restart there (a
  *checkpoint*) and reach the same result as parsing from the top of the file.

The fast path reads lines itself while every line is *plain*: at column 0, opening no container
and no multi-line block other than a fenced code block at column 0 (whose lines it skips until
the closing fence, CommonMark 4.5). It also reads a setext heading (CommonMark 4.3) whose paragraph
is *simple* (:func:`_paragraph_start`), and a ``---`` thematic break at column 0 that no paragraph
precedes (CommonMark 4.1). At any other line that is not plain, markdown-it-py parses a window
(:mod:`collab.text.windows`) from the last checkpoint, or from that line itself when it opens an
HTML block that ends whatever is open (:func:`_interrupts_anything`; collab's end-of-entry mark is
one), and the fast path resumes where the window's last top-level block starts (a checkpoint). The
window doubles until that block starts after the line that stopped the fast path.
So markdown-it-py's work stays proportional to the text: the doubled windows of one stop cost at
most twice the last, and beyond where the fast path resumes the last parses only the top-level
block it resumes at (and the lines after its last blank line when a link reference definition may
run on past it).

Offsets are character offsets into the scanned text, which must use ``\\n`` line ends (see
:func:`scan_text`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple


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
    if line[0] == "<":
        return False
    if line[0] in " \t\f\v":
        columns = 0
        for char in line:
            if char == " ":
                columns += 1
            elif char == "\t":
                columns += 4 - columns % 4
            else:
                break
        if char in "\f\v":
            return False
        if columns >= 4:
            return True
        line = line.lstrip(" \t")
        # 1-3 columns in, these may still open a top-level heading, HTML block or fence (a fence
        # needs three backticks or tildes: a code span such as `x` opens nothing).
        if char in "#<" or line.startswith(("```", "~~~")):
            return False
    if line[0] in "=-":
        return bool(line.rstrip(" \t").strip(line[0]))
    return True


#: A setext heading underline (CommonMark 4.3): up to three spaces, a run of ``=`` or of ``-``, then
#: only spaces and tabs. Read as a line of a top-level paragraph, it ends the paragraph as a heading.
_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*")

#: A thematic break at column 0 (CommonMark 4.1), as the fast path reads one: three or more ``-``.
_RULE = re.compile(r"-{3,}[ \t]*")

#: The start of a *simple* line: at column 0, with a character that starts no block (not white space,
#: not one of ``#`~>*+-_=<[``, and not an ordered list marker such as ``12.`` or ``3)``). A simple
#: line never interrupts a paragraph, and after a blank line or a checkpoint it starts a top-level one.
_SIMPLE = re.compile(r"(?![0-9]{1,9}[.)](?:[ \t]|$))[^\s#`~>*+\-_=<\[]")


def _paragraph_start(text: str, checkpoint: int, end: int) -> int | None:
    """Where the top-level paragraph of simple lines that ends just before ``end`` begins.

    Goes back line by line from ``end`` (a line start) to the last blank line or to ``checkpoint``.
    Returns ``end`` itself when there is no such line (a blank line, or ``checkpoint``, is just
    before ``end``), and None when a line that is not simple comes first: a list item, a quote or
    anything else before the paragraph text could make it part of another block.

    After a blank line, a simple line is top-level whatever came before: a block quote ends at a
    line without ``>``, a list item at a line indented less than its content, and the fenced code
    blocks, HTML blocks and indented code that survive a blank line start with a line the fast path
    does not skip (CommonMark 4.4-4.6, 5.1, 5.2).
    """
    first = end
    while first > checkpoint:
        line_start = text.rfind("\n", checkpoint, first - 1) + 1 or checkpoint
        line = text[line_start : first - 1]
        if not line.strip(" \t"):
            return first
        if _SIMPLE.match(line) is None:
            return None
        first = line_start
    return first


def _underlined(text: str, checkpoint: int, position: int, line: str) -> int | None:
    """For ``line``, an underline at ``position``: where the top-level setext heading it ends begins,
    ``position`` when it is a thematic break that ends no paragraph, None when only a parser can tell."""
    first = _paragraph_start(text, checkpoint, position)
    if first is None or first < position:
        return first
    return position if _RULE.fullmatch(line) else None


def _heading_text(raw: str) -> str:
    """A heading's text as markdown-it-py gives it: NUL as U+FFFD (CommonMark 2.3), then stripped."""
    return raw.replace("\0", "\ufffd").strip()


#: The start of a line the fast path must look at: a possible heading, fence, indentation followed by
#: text, HTML, a quote, or a possible setext underline. Every other line is a plain paragraph line or
#: blank, and is skipped at the speed of the regex engine.
_NOTABLE = re.compile(r"^(?:#|```|~~~|[ \t\f\v]+[^ \t\f\v\n]|[<=-])", re.MULTILINE)


@functools.cache
def _closing(char: str, length: int) -> re.Pattern[str]:
    """A closing fence line for a fence of ``length`` ``char`` characters (CommonMark 4.5)."""
    return re.compile(rf"^ {{0,3}}{re.escape(char)}{{{length},}}[ \t]*$", re.MULTILINE)


#: The start of an HTML block of kinds 1 to 5 (CommonMark 4.6): ``<pre``, ``<script``, ``<style`` or
#: ``<textarea`` then white space, ``>`` or the end; ``<!--``; ``<?``; ``<!`` and a letter; ``<![CDATA[``.
_HTML_START = re.compile(r"<(?:(?a:pre|script|style|textarea)(?=\s|>|$)|!--|\?|![A-Za-z]|!\[CDATA\[)", re.IGNORECASE)
#: A tag that may open an HTML block of kind 6 (CommonMark 4.6), if its name is a block name.
_BLOCK_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?=\s|/?>|$)")


def _interrupts_anything(line: str) -> bool:
    """True when ``line``, at column 0, starts a top-level HTML block of kinds 1 to 6, however it is reached.

    Such a line interrupts a paragraph (CommonMark 4.6), so it is never a lazy continuation line,
    and at column 0 it continues no list item or block quote and no code block inside one (5.1,
    5.2): every block open before it ends there, but a top-level fence or HTML block, which the
    fast path either skips whole or hands to the parser from its start.
    """
    if not line.startswith("<"):
        return False
    if _HTML_START.match(line):
        return True
    from markdown_it.common.html_blocks import block_names  # kind 6: the parser is about to load anyway

    match = _BLOCK_TAG.match(line)
    return match is not None and match.group(1).lower() in block_names


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
    checkpoint = start  # no block is open here, and every heading that starts before it was yielded
    notable = _NOTABLE.search(text, start)
    while notable is not None:
        position = notable.start()
        line_end = text.find("\n", position)
        next_line = n if line_end < 0 else line_end + 1
        line = text[position:next_line].rstrip("\n")
        heading = None
        if (atx := atx_heading(line)) is not None:
            checkpoint = next_line
            heading = TopHeading(atx[0], _heading_text(atx[1]), position, next_line, "atx")
        elif (opening := _fence_opening(line)) is not None:
            closing = _closing(*opening).search(text, next_line)
            if closing is None:
                return  # an unclosed fence runs to the end of the document
            checkpoint = next_line = closing.end() + 1
        elif _UNDERLINE.fullmatch(line) and (first := _underlined(text, checkpoint, position, line)) is not None:
            checkpoint = next_line
            if first < position:
                level = 1 if "=" in line else 2
                heading = TopHeading(level, _heading_text(text[first : position - 1]), first, next_line, "setext")
        elif not _is_plain(line):
            # A line that starts a top-level block whatever is open is itself a checkpoint: the
            # parse starts there, not back at the last one (a long list before it is not parsed).
            origin = position if _interrupts_anything(line) else checkpoint
            from collab.text import windows  # markdown-it-py, loaded only when a line needs it

            resume = yield from windows.headings(text, origin, next_line, keep)
            if resume is None:
                return
            checkpoint = next_line = resume
        if heading is not None and (keep is None or keep(heading.level, heading.text)):
            yield heading
        notable = _NOTABLE.search(text, next_line) if next_line < n else None
