"""markdown-it-py on windows of a channel's text, where :mod:`collab.text.structure`'s fast path stops.

markdown-it-py, the CommonMark reference implementation for Python, parses a window from a
checkpoint (a place where no block is open) with its block rules only. The window doubles until the
last top-level block it finds starts after the line that stopped the fast path, so the parse costs
at most twice the last window; the fast path resumes where that block starts. See
:mod:`collab.text.structure` for why a window can be parsed alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Generator
from typing import Any

from collab.text.structure import TopHeading

#: Smallest window, in characters, that markdown-it-py parses when the fast path stops.
WINDOW = 16384


@functools.cache
def _block_parser() -> Any:
    """markdown-it-py with only its block rules: headings, containers and leaf blocks, no inline."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    parser.core.ruler.disable(["inline", "text_join"], ignoreInvalid=True)
    return parser


def block_tokens(text: str) -> list[Any]:
    """markdown-it-py's block tokens for ``text`` (no inline parsing)."""
    return list(_block_parser().parse(text))


def _slow_headings(text: str, start: int, end: int, settled: int) -> tuple[list[TopHeading], int]:
    """Every top-level heading of ``text[start:end]`` by markdown-it-py (``start`` is a checkpoint),
    and where the window's last top-level block that starts before ``settled`` starts (``start``
    when none does)."""
    window = text[start:end]
    line_starts = [0]
    position = window.find("\n")
    while position >= 0:
        line_starts.append(position + 1)
        position = window.find("\n", position + 1)
    tokens = _block_parser().parse(window)
    found = []
    last_block = 0
    for i, token in enumerate(tokens):
        if token.level != 0 or token.nesting < 0 or token.map is None:
            continue
        first, last = token.map
        if start + line_starts[first] < settled:
            last_block = line_starts[first]
        if token.type != "heading_open":
            continue
        body = line_starts[last] if last < len(line_starts) else len(window)
        style = "setext" if token.markup in ("=", "-") else "atx"
        found.append(
            TopHeading(
                int(token.tag[1]), tokens[i + 1].content.strip(), start + line_starts[first], start + body, style
            )
        )
    return found, start + last_block


#: A line on which a link reference definition could start (CommonMark 4.7): ``[`` after nothing
#: but indentation, ``>`` and list item markers.
_DEFINITION = re.compile(r"(?:[ \t>]|[-+*][ \t]|[0-9]{1,9}[.)][ \t])*\[")


def _settled(text: str, start: int, end: int) -> int:
    """How far a parse of ``text[start:end]`` (``end`` a line start) reads blocks as the whole text does.

    A link reference definition's title may go on over later lines up to a blank line; cut short,
    its first lines read as a paragraph, so a window could show a block starting where the whole text
    has none. Other blocks only grow with later text. So: ``end``, unless a definition could start
    after the window's last blank line; then that blank line's start (``start`` when there is none).
    """
    line_end = end
    definition = False
    while line_end > start:
        line_start = text.rfind("\n", start, line_end - 1) + 1 or start
        line = text[line_start : line_end - 1]
        if not line.strip(" \t"):
            return line_start if definition else end
        definition = definition or _DEFINITION.match(line) is not None
        line_end = line_start
    return start if definition else end


def headings(
    text: str, checkpoint: int, reached: int, keep: Callable[[int, str], bool] | None
) -> Generator[TopHeading, None, int | None]:
    """Parse windows from ``checkpoint`` until the last top-level block of one that starts before
    the window is unsettled (:func:`_settled`) starts at ``reached`` or later; yield the headings
    before that block.

    Returns where that block starts (the fast path resumes there), or None when the window reached
    the end of ``text`` (all of its headings were yielded).
    """
    n = len(text)
    size = max(WINDOW, 2 * (reached - checkpoint))
    while True:
        end = n if checkpoint + size >= n else text.find("\n", checkpoint + size) + 1 or n
        settled = n if end == n else _settled(text, checkpoint, end)
        found, last_block = _slow_headings(text, checkpoint, end, settled)
        if end == n or last_block >= reached:
            for heading in found:
                if end < n and heading.start >= last_block:
                    break
                if keep is None or keep(heading.level, heading.text):
                    yield heading
            return None if end == n else last_block
        size *= 2
