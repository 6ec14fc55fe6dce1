"""Rich rendering for a terminal: transcripts (``show``), single entries (``watch``) and ``status``.

Bodies are untrusted markdown. Two promises hold for them (contract section 7, point 7):

- **Nothing acts on the terminal.** Every string that reaches the screen passes through
  :func:`collab.text.sanitize.for_terminal` *after* parsing, so a character reference such as
  ``&#27;`` that the parser decodes into ESC is caught as well. Labels are :class:`rich.text.Text`,
  never console markup, and hyperlinks are off, so a body cannot plant an OSC 8 link.
- **Nothing is hidden from the person.** rich's :class:`~rich.markdown.Markdown` drops raw HTML
  (an ``<!-- comment -->`` aimed at an agent would vanish) and markdown-it-py consumes link
  reference definitions (``[//]: # (hidden)``) without a token. :class:`ShownMarkdown` shows HTML
  blocks and definitions as literal code blocks, inline HTML as literal text, and the addresses
  and titles of links and images after them.

Laying markdown out with rich costs far more than reading the channel, so a transcript whose
bodies exceed :data:`RENDER_LIMIT` is shown as markdown source (as on a pipe), with a note saying
so; ``bench/render_big.py`` measures both. Within that limit, a body that would cost too much to lay
out (:mod:`collab.render.render_budget`, and here :data:`MAX_LINES`, :data:`MAX_CELLS`,
:data:`MAX_CODE_CHARS` and :data:`MAX_BREAKS`) is shown as its source under a note of its own
(:class:`MarkdownBody`); ``bench/adversarial.py --only render`` measures those.
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
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markdown import Markdown
from rich.measure import Measurement
from rich.rule import Rule
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from collab.render import render_budget
from collab.render.render_budget import Budget, Clock, TooCostly
from collab.render.render_text import (
    body_text,
    closing_line,
    counts_line,
    participant_text,
    resolution,
    source_text,
    task_after_title,
)
from collab.render.status import Status
from collab.text.format import Document, Entry
from collab.text.sanitize import for_terminal

#: Characters of entry bodies up to which a transcript is rendered as markdown; above it, as source.
RENDER_LIMIT = 1_000_000

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

_KIND_STYLE = {"answer": "bold green", "question": "bold yellow"}
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


class EntryTitle:
    """The line naming an entry: kind and number, author, what it replies to, time, and (for a
    question in a transcript) whether it was answered.

    On a wide terminal this is one rule: ``Answer 2 from site-a, re Question 1 · 2026-06-22T14:05:02Z ───``.
    The parts after the key (kind, number, author, ``re``) move to a dim line below it when they do
    not fit, and a key wider than the terminal wraps: nothing of it is ever cut, so a narrow
    terminal still shows what an entry replies to.

    Args:
        entry: the entry to name.
        answers: for a question, the answers that reply to it (see :class:`collab.render.status.QuestionState`);
            None shows no status (``watch`` shows a question as it lands).
    """

    def __init__(self, entry: Entry, answers: tuple[int, ...] | None = None) -> None:
        key = entry.label + (f" from {entry.author}" if entry.author else "")
        key += f", re {entry.re.label()}" if entry.re else ""
        self.key = Text(for_terminal(key, one_line=True), style=_KIND_STYLE.get(entry.kind, "bold"))
        self.rest: list[Text] = []
        if entry.timestamp:
            self.rest.append(Text(for_terminal(entry.timestamp, one_line=True), style="dim"))
        if answers is not None:
            self.rest.append(Text(resolution(answers), style="green" if answers else "yellow"))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        line, rest = self.key.copy(), list(self.rest)
        while rest and line.cell_len + 3 + rest[0].cell_len + _RULE_MIN <= width:
            line.append(" · ", style="dim")
            line.append_text(rest.pop(0))
        if line.cell_len + _RULE_MIN <= width:
            yield Rule(line, align="left", style="dim")
        else:
            yield line  # wraps; a rule would cut it
            yield Rule(style="dim")
        if rest:
            yield Text(" · ", style="dim").join(rest)


#: Columns a title leaves for the rule after it (a space and two rule characters).
_RULE_MIN = 3


def entry_renderable(entry: Entry, answers: tuple[int, ...] | None = None, budget: Budget | None = None) -> Group:
    """An :class:`EntryTitle` and the entry's markdown body (:class:`MarkdownBody`, spending from
    ``budget``, or a budget of its own when None).

    A body over :data:`RENDER_LIMIT` is shown as source, as one transcript of that size would be.
    """
    if len(entry.body) > RENDER_LIMIT:
        return Group(EntryTitle(entry, answers), Text(body_text(entry)))
    return Group(EntryTitle(entry, answers), MarkdownBody(entry.body, budget), Text(""))


class _Item:
    """A checklist item's text, wrapped to its column, then where it stands (``answered by Answer 1``):
    after the text's last line when it fits there, else on a line of its own. It never breaks
    inside (rich would break it at any space)."""

    def __init__(self, text: Text, tail: Text) -> None:
        self.text, self.tail = text, tail

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        whole = Measurement.get(console, options, Text.assemble(self.text, "  ", self.tail))
        return Measurement(max(whole.minimum, min(self.tail.cell_len, options.max_width)), whole.maximum)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        lines = list(self.text.wrap(console, width, overflow="fold"))
        if lines and lines[-1].cell_len + 2 + self.tail.cell_len <= width:
            lines[-1] = Text.assemble(lines[-1], "  ", self.tail)
        else:
            lines.extend(self.tail.wrap(console, width, overflow="fold"))  # wider than the column: folded
        yield Text("\n").join(lines)


def _checklist(rows: Iterable[tuple[bool, str, str, tuple[int, ...]]]) -> Table:
    """Marks, labels and items (:class:`_Item`) in a grid, so each item wraps under itself."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    table.add_column(ratio=1)
    for answered, label, text, answers in rows:
        tail = Text(resolution(answers), style="dim" if answered else "yellow")
        mark = Text(" ✔" if answered else " ○", style="green" if answered else "yellow")
        table.add_row(mark, label, _Item(Text(for_terminal(text)), tail))
    return table


def _requests(status: Status) -> Table:
    return _checklist((r.answered, f"{r.number}.", r.text, r.answers) for r in status.requests)


def _questions(status: Status) -> Table:
    rows = []
    for q in status.asked:
        who = f"{q.author}: " if q.author else ""
        summary = q.summary if len(q.summary) <= _SUMMARY else q.summary[: _SUMMARY - 1] + "…"
        rows.append((q.answered, f"Q{q.number}", for_terminal(who + summary, one_line=True), q.answers))
    return _checklist(rows)


#: Characters of a question's first line shown in a checklist (the transcript shows it whole).
_SUMMARY = 72


def _state(title: str, state: str) -> Text:
    text = Text(for_terminal(title, one_line=True), style="bold")
    text.append(f"  [{state}]", style="green" if state == "open" else "red")
    return text


def print_transcript(console: Console, document: Document, status: Status, entries: tuple[Entry, ...]) -> None:
    """Print the whole channel: title, task, context, requests checklist, then ``entries``.

    Each entry is printed as soon as it is rendered, so memory grows with the largest entry rather
    than with the channel. When the bodies of ``entries`` hold more than :data:`RENDER_LIMIT`
    characters, they are printed as markdown source and a closing note says why. The task, the
    context and the bodies share one :func:`collab.render.render_budget.terminal_budget`.
    """
    header = document.header
    budget = render_budget.terminal_budget()
    console.print(_state(header.title or status.id, status.state))
    console.print(Text(for_terminal(str(status.path), one_line=True), style="dim"))
    task = task_after_title(header.title, header.task)
    if task.strip():
        console.print(Rule("Task", align="left", style="cyan"))
        console.print(MarkdownBody(task, budget))
    if header.context:
        console.print(Rule("Context", align="left", style="cyan"))
        console.print(MarkdownBody(header.context, budget))
    if status.requests:
        console.print(Rule("Requests", align="left", style="cyan"))
        console.print(_requests(status))
    if status.asked:
        console.print(Rule("Questions", align="left", style="cyan"))
        console.print(_questions(status))
    console.print()
    size = sum(len(entry.body) for entry in entries)
    as_source = size > RENDER_LIMIT
    answers = {q.number: q.answers for q in status.asked}
    for entry in entries:
        replies = answers.get(entry.number, ()) if entry.kind == "question" else None
        if as_source:
            console.print(EntryTitle(entry, replies))
            # Straight to the file: laying the text out with rich would cost what rendering saves.
            console.file.write(body_text(entry) + "\n")
        else:
            console.print(entry_renderable(entry, replies, budget))
    if as_source:
        console.print(
            Text(
                f"note: these entries hold {size / 1e6:.1f} MB of text, more than collab renders on a terminal "
                f"({RENDER_LIMIT / 1e6:.0f} MB): they are shown as markdown source. Narrow them with --since, "
                "--author or --kind to see them rendered.",
                style="yellow",
            )
        )
    for warning in document.warnings:
        console.print(Text(f"warning: {for_terminal(warning, one_line=True)}", style="yellow"))
    if document.closed:
        console.print(Rule(Text(closing_line(document), style="red"), style="red"))
        print_outcome(console, status.outcome, budget)


def print_outcome(console: Console, outcome: str | None, budget: Budget | None = None) -> None:
    """The closing summary, rendered as markdown under an ``Outcome`` rule; nothing when there is none."""
    if outcome:
        console.print(Rule("Outcome", align="left", style="red"))
        console.print(MarkdownBody(outcome, budget))


def print_status(console: Console, status: Status) -> None:
    """``collab status`` for a terminal."""
    console.print(_state(status.task.split("\n")[0], status.state))
    if status.outcome:
        console.print(Text("Outcome", style="red"))
        console.print(MarkdownBody(status.outcome))
    if status.requests:
        console.print(Text("Requests", style="cyan"))
        console.print(_requests(status))
    if status.asked:
        console.print(Text("Questions", style="cyan"))
        console.print(_questions(status))
    open_requests = [str(r.number) for r in status.requests if not r.answered]
    line = Text("open requests: ")
    line.append(", ".join(open_requests) or "none", style="yellow" if open_requests else "green")
    line.append("; open questions: ")
    line.append(
        ", ".join(map(str, status.open_questions)) or "none", style="yellow" if status.open_questions else "green"
    )
    console.print(line)
    console.print(Text(counts_line(status)))
    console.print(Text("participants:" if status.participants else "participants: none yet"))
    for person in status.participants:
        console.print(
            Text(f"  {participant_text(person, len(status.entries))}", style="green" if person.waiting else "")
        )
    console.print(Text(f"integrity: {status.integrity}", style="red" if status.integrity == "violated" else "dim"))
