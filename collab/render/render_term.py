"""Rich rendering for a terminal: transcripts (``show``), single entries (``watch``) and ``status``.

Bodies are laid out by :mod:`collab.render.term_markdown` (nothing hidden, nothing acting on the
terminal); labels are :class:`rich.text.Text`, never console markup. Laying markdown out with rich
costs far more than reading the channel, so a transcript whose bodies exceed :data:`RENDER_LIMIT`
is shown as markdown source (as on a pipe), with a note saying so; ``bench/render_big.py``
measures both.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from collab.render import render_budget, sides
from collab.render.render_budget import Budget
from collab.render.render_text import (
    body_text,
    closing_line,
    counts_line,
    participant_text,
    resolution,
    task_after_title,
)
from collab.render.status import Status
from collab.render.term_markdown import MarkdownBody
from collab.text.format import Document, Entry
from collab.text.sanitize import for_terminal

#: Characters of entry bodies up to which a transcript is rendered as markdown; above it, as source.
RENDER_LIMIT = 1_000_000

_KIND_STYLE = {"answer": "bold green", "question": "bold yellow"}


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
        hue: the author's hue (:mod:`collab.render.sides`, as on the HTML page); None colours by kind.
    """

    def __init__(self, entry: Entry, answers: tuple[int, ...] | None = None, hue: int | None = None) -> None:
        key = entry.label + (f" from {entry.author}" if entry.author else "")
        key += f", re {entry.re.label()}" if entry.re else ""
        style = f"bold {sides.terminal_colour(hue)}" if hue is not None else _KIND_STYLE.get(entry.kind, "bold")
        self.key = Text(for_terminal(key, one_line=True), style=style)
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


def entry_renderable(
    entry: Entry, answers: tuple[int, ...] | None = None, budget: Budget | None = None, hue: int | None = None
) -> Group:
    """An :class:`EntryTitle` (in the author's ``hue``) and the entry's markdown body
    (:class:`MarkdownBody`, spending from ``budget``, or a budget of its own when None).

    A body over :data:`RENDER_LIMIT` is shown as source, as one transcript of that size would be.
    """
    if len(entry.body) > RENDER_LIMIT:
        return Group(EntryTitle(entry, answers, hue), Text(body_text(entry)))
    return Group(EntryTitle(entry, answers, hue), MarkdownBody(entry.body, budget), Text(""))


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
    hues = sides.cast(header.creator, (e.author for e in document.entries))
    answers = {q.number: q.answers for q in status.asked}
    for entry in entries:
        replies = answers.get(entry.number, ()) if entry.kind == "question" else None
        if as_source:
            console.print(EntryTitle(entry, replies, hues[entry.author or sides.UNKNOWN].hue))
            # Straight to the file: laying the text out with rich would cost what rendering saves.
            console.file.write(body_text(entry) + "\n")
        else:
            console.print(entry_renderable(entry, replies, budget, hues[entry.author or sides.UNKNOWN].hue))
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
