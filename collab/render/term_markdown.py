"""Markdown bodies on a terminal, laid out by rich, with nothing hidden and nothing acting on it.

Bodies are untrusted markdown. Two promises hold for them (contract section 7, point 7):

- **Nothing acts on the terminal.** Every string that reaches the screen passes through
  :func:`collab.text.sanitize.for_terminal` *after* parsing, so a character reference such as
  ``&#27;`` that the parser decodes into ESC is caught as well. Hyperlinks are off, so a body
  cannot plant an OSC 8 link.
- **Nothing is hidden from the person.** rich's :class:`~rich.markdown.Markdown` drops raw HTML
  (an ``<!-- comment -->`` aimed at an agent would vanish) and markdown-it-py consumes link
  reference definitions (``[//]: # (hidden)``) without a token. :class:`ShownMarkdown` shows HTML
  blocks and definitions as literal code blocks, inline HTML as literal text, and the addresses
  and titles of links and images after them.

A body that would cost too much to lay out (:mod:`collab.render.render_budget`, and here
:data:`MAX_LINES`, :data:`MAX_CELLS`, :data:`MAX_CODE_CHARS` and :data:`MAX_BREAKS`) is shown as
its source under a note of its own (:class:`MarkdownBody`); ``bench/adversarial.py --only render``
measures those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Markdown
from rich.segment import Segment
from rich.text import Text

from collab.render import render_budget
from collab.render.render_budget import Budget, Clock, TooCostly
from collab.render.render_text import source_text
from collab.text.sanitize import for_terminal

#: Table cells one body may hold and still be laid out: rich measures a whole table before it
#: shows a line of it, so the clock cannot stop it half-way.
MAX_CELLS = 20_000
#: The longest code block (or HTML block) a body may hold and still be laid out, in characters:
#: rich highlights a whole block before it shows a line of it.
MAX_CODE_CHARS = 50_000
#: Lines one body may hold and still be laid out: a line that is a block of its own (a list item,
#: a heading, a fence) costs rich about ten times what it costs the page. 100 KB of ordinary prose
#: holds about 1,500 lines, and of code about 3,500.
MAX_LINES = 20_000
#: Hard line breaks one paragraph may hold and still be laid out: rich splits a paragraph's lines
#: by copying the rest of it at each, which costs the square of their number.
MAX_BREAKS = 5_000

_NEWLINES = re.compile(r"\r\n?")  # as markdown-it-py normalises them, so line numbers agree
#: Where a body's :class:`~collab.render.render_budget.Clock` is kept in markdown-it-py's ``env``.
_CLOCK = "collab.clock"


def _tick_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A block rule that matches nothing: it looks at the body's clock before each block."""
    clock = state.env.get(_CLOCK)
    if clock is not None:
        clock.tick()
    return False


def _tick_inline(state: StateInline, silent: bool) -> bool:
    """An inline rule that matches nothing: it looks at the body's clock before each token, and
    each step of scanning ahead (a link label, an emphasis run)."""
    clock = state.env.get(_CLOCK)
    if clock is not None:
        clock.tick()
    return False


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # rich's own parser settings, plus definitions kept as tokens with their source lines, and
    # first in each chain a rule that looks at the clock.
    parser = MarkdownIt("commonmark", {"inline_definitions": True}).enable(["strikethrough", "table"])
    parser.block.ruler.before("table", "collab_clock", _tick_block)
    parser.inline.ruler.before("text", "collab_clock", _tick_inline)
    return parser


def _literal(token: Token, text: str) -> Token:
    """A code block showing ``text`` as it is, in place of ``token``."""
    return Token("code_block", "code", 0, map=token.map, level=token.level, content=for_terminal(text), block=True)


def _text(text: str) -> Token:
    return Token("text", "", 0, content=for_terminal(text))


def _inline(children: Iterable[Token]) -> Iterator[Token]:
    titles: list[str] = []
    for child in children:
        attrs = {name: str(value) for name, value in child.attrs.items()}
        title = f' "{attrs["title"]}"' if attrs.get("title") else ""
        if child.type == "image":
            # rich shows only an image's alt text, ahead of its paragraph: show it in place, in full.
            yield _text(f"🌆 {child.content} ({attrs.get('src', '')}{title})")
            continue
        if child.type == "html_inline":
            child.type = "text"
        child.content = for_terminal(child.content)
        child.attrs = {name: for_terminal(value) for name, value in attrs.items()}
        yield child
        if child.type == "link_open":
            titles.append(title)
        elif child.type == "link_close" and titles:
            shown = titles.pop()  # rich shows a link as "text (address)"; the title follows
            if shown:
                yield _text(shown)


def _reveal(tokens: Iterable[Token], lines: list[str], clock: Clock | None) -> Iterator[Token]:
    for token in tokens:
        if token.type == "definition" and token.map:
            yield _literal(token, "\n".join(lines[token.map[0] : token.map[1]]) + "\n")
        elif token.type == "html_block":
            yield _literal(token, token.content)
        else:
            token.content = for_terminal(token.content)
            if token.children:
                token.children = _Tokens(_inline(token.children), clock)
            yield token


class _Tokens(list[Token]):
    """The tokens of a body, which look at the body's clock as rich walks them."""

    def __init__(self, tokens: Iterable[Token], clock: Clock | None) -> None:
        super().__init__(tokens)
        self.clock = clock

    def __iter__(self) -> Iterator[Token]:
        for token in super().__iter__():
            if self.clock is not None:
                self.clock.tick()
            yield token


class ShownMarkdown(Markdown):
    """rich's :class:`~rich.markdown.Markdown` with nothing in the source hidden and nothing raw shown.

    Args:
        markup: untrusted markdown (CommonMark with tables and strikethrough, as rich reads it).
        clock: looked at while parsing and laying out (:class:`MarkdownBody` runs it); None for none.
    """

    def __init__(self, markup: str, clock: Clock | None = None) -> None:
        super().__init__("", code_theme="monokai", hyperlinks=False)
        source = _NEWLINES.sub("\n", markup)
        self.markup = source
        env = {_CLOCK: clock} if clock is not None else {}
        self.parsed = _Tokens(_reveal(_parser().parse(source, env), source.split("\n"), clock), clock)


def _layable(tokens: Iterable[Token]) -> bool:
    """Whether rich can lay ``tokens`` out a piece at a time: at most :data:`MAX_CELLS` table
    cells in all, no code block longer than :data:`MAX_CODE_CHARS`, and no paragraph of more than
    :data:`MAX_BREAKS` hard line breaks."""
    cells = 0
    for token in tokens:
        cells += token.type in ("td_open", "th_open")
        too_long = token.type in ("fence", "code_block") and len(token.content) > MAX_CODE_CHARS
        if too_long or _breaks(token) > MAX_BREAKS:
            return False
    return cells <= MAX_CELLS


def _breaks(token: Token) -> int:
    return sum(child.type == "hardbreak" for child in token.children) if token.children else 0


class MarkdownBody:
    """Untrusted markdown as a terminal shows it: laid out by :class:`ShownMarkdown`, or, when that
    would cost too much, as its source under :data:`collab.render.render_budget.NOTICE`.

    Too much is what :mod:`collab.render.render_budget` says (mostly markup, or slower than its clock
    allows, parsing and laying out together), more than :data:`MAX_LINES` lines, or a part rich
    would have to lay out whole (:func:`_layable`). The body is parsed at once and laid out when
    printed, into segments kept until it is done, so a body that runs out of time prints only its
    source.

    Args:
        markup: untrusted markdown.
        budget: what the transcript may still spend (:func:`collab.render.render_budget.terminal_budget`
            when None).
    """

    def __init__(self, markup: str, budget: Budget | None = None) -> None:
        self.markup = markup
        self.clock = (budget or render_budget.terminal_budget()).clock(markup)
        self.markdown = self._parsed()

    def _parsed(self) -> ShownMarkdown | None:
        if self.clock.left <= 0 or render_budget.too_dense(self.markup) or self.markup.count("\n") >= MAX_LINES:
            return None
        try:
            with self.clock.running():
                shown = ShownMarkdown(self.markup, self.clock)
        except TooCostly:
            return None
        return shown if _layable(shown.parsed) else None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.markdown is not None:
            laid_out: list[Segment] = []
            try:
                with self.clock.running():
                    for segment in console.render(self.markdown, options):
                        self.clock.tick()
                        laid_out.append(segment)
            except TooCostly:
                self.markdown = None
            else:
                yield from laid_out
                return
        yield from console.render(Text(render_budget.NOTICE, style="yellow"), options)
        yield from _folded(source_text(self.markup), options.max_width)


#: Lines of plain text put in one segment: rich splits a segment's lines by copying what follows
#: each, so a segment of every line would cost the square of the body's length.
_LINES_PER_SEGMENT = 64


def _folded(text: str, width: int) -> Iterator[Segment]:
    """``text`` cut into lines of at most ``width`` cells, as segments: every character is kept
    (rich would crop a longer line), and none of rich's wrapping, which costs far more per line."""
    lines: list[str] = []
    for line in text.split("\n")[:-1]:
        lines.extend(chop_cells(line, width) if cell_len(line) > width else (line,))
        if len(lines) >= _LINES_PER_SEGMENT:
            yield Segment("\n".join(lines) + "\n")
            lines = []
    if lines:
        yield Segment("\n".join(lines) + "\n")
