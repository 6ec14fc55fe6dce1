"""Rich rendering for a terminal: transcripts (``show``), single entries (``watch``) and ``status``.

Bodies are untrusted markdown. Two promises hold for them (contract section 7, point 7):

- **Nothing acts on the terminal.** Every string that reaches the screen passes through
  :func:`collab.sanitize.for_terminal` *after* parsing, so a character reference such as
  ``&#27;`` that the parser decodes into ESC is caught as well. Labels are :class:`rich.text.Text`,
  never console markup, and hyperlinks are off, so a body cannot plant an OSC 8 link.
- **Nothing is hidden from the person.** rich's :class:`~rich.markdown.Markdown` drops raw HTML
  (an ``<!-- comment -->`` aimed at an agent would vanish) and markdown-it-py consumes link
  reference definitions (``[//]: # (hidden)``) without a token. :class:`ShownMarkdown` shows HTML
  blocks and definitions as literal code blocks, inline HTML as literal text, and the addresses
  and titles of links and images after them.

Laying markdown out with rich costs far more than reading the channel, so a transcript whose
bodies exceed :data:`RENDER_LIMIT` is shown as markdown source (as on a pipe), with a note saying
so; ``bench/render_big.py`` measures both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.rule import Rule
from rich.text import Text

from collab.format import Document, Entry
from collab.render_text import body_text, closing_line, counts_line, describe
from collab.sanitize import for_terminal
from collab.status import Status

#: Characters of entry bodies up to which a transcript is rendered as markdown; above it, as source.
RENDER_LIMIT = 1_000_000

_KIND_STYLE = {"answer": "bold green", "question": "bold yellow"}
_NEWLINES = re.compile(r"\r\n?")  # as markdown-it-py normalises them, so line numbers agree


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # rich's own parser settings, plus definitions kept as tokens with their source lines.
    return MarkdownIt("commonmark", {"inline_definitions": True}).enable(["strikethrough", "table"])


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


def _reveal(tokens: Iterable[Token], lines: list[str]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "definition" and token.map:
            yield _literal(token, "\n".join(lines[token.map[0] : token.map[1]]) + "\n")
        elif token.type == "html_block":
            yield _literal(token, token.content)
        else:
            token.content = for_terminal(token.content)
            if token.children:
                token.children = list(_inline(token.children))
            yield token


class ShownMarkdown(Markdown):
    """rich's :class:`~rich.markdown.Markdown` with nothing in the source hidden and nothing raw shown.

    Args:
        markup: untrusted markdown (CommonMark with tables and strikethrough, as rich reads it).
    """

    def __init__(self, markup: str) -> None:
        super().__init__("", code_theme="monokai", hyperlinks=False)
        source = _NEWLINES.sub("\n", markup)
        self.markup = source
        self.parsed = list(_reveal(_parser().parse(source), source.split("\n")))


def _title(entry: Entry) -> Rule:
    return Rule(Text(describe(entry), style=_KIND_STYLE.get(entry.kind, "bold")), align="left", style="dim")


def entry_renderable(entry: Entry) -> Group:
    """A rule naming the entry (kind, number, author, time, what it replies to) and its markdown body.

    A body over :data:`RENDER_LIMIT` is shown as source, as one transcript of that size would be.
    """
    if len(entry.body) > RENDER_LIMIT:
        return Group(_title(entry), Text(body_text(entry)))
    return Group(_title(entry), ShownMarkdown(entry.body), Text(""))


def _checklist(status: Status) -> Text:
    text = Text()
    for request in status.requests:
        mark, style = ("✔", "green") if request.answered else ("○", "yellow")
        text.append(f" {mark} ", style=style)
        text.append(f"{request.number}. {for_terminal(request.text)}")
        if request.answers:
            text.append(f"  (Answer {', '.join(map(str, request.answers))})", style="dim")
        text.append("\n")
    return text


def _state(title: str, state: str) -> Text:
    text = Text(for_terminal(title, one_line=True), style="bold")
    text.append(f"  [{state}]", style="green" if state == "open" else "red")
    return text


def print_transcript(console: Console, document: Document, status: Status, entries: tuple[Entry, ...]) -> None:
    """Print the whole channel: title, task, context, requests checklist, then ``entries``.

    Each entry is printed as soon as it is rendered, so memory grows with the largest entry rather
    than with the channel. When the bodies of ``entries`` hold more than :data:`RENDER_LIMIT`
    characters, they are printed as markdown source and a closing note says why.
    """
    header = document.header
    console.print(_state(header.title or status.id, status.state))
    console.print(Text(for_terminal(str(status.path), one_line=True), style="dim"))
    console.print(Rule("Task", align="left", style="cyan"))
    console.print(ShownMarkdown(header.task))
    if header.context:
        console.print(Rule("Context", align="left", style="cyan"))
        console.print(ShownMarkdown(header.context))
    if status.requests:
        console.print(Rule("Requests", align="left", style="cyan"))
        console.print(_checklist(status), end="")
    console.print()
    size = sum(len(entry.body) for entry in entries)
    as_source = size > RENDER_LIMIT
    for entry in entries:
        if as_source:
            console.print(_title(entry))
            # Straight to the file: laying the text out with rich would cost what rendering saves.
            console.file.write(body_text(entry) + "\n")
        else:
            console.print(entry_renderable(entry))
    if document.closed:
        console.print(Rule(Text(closing_line(document), style="red"), style="red"))
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


def print_status(console: Console, status: Status) -> None:
    """``collab status`` for a terminal."""
    console.print(_state(status.task.split("\n")[0], status.state))
    if status.requests:
        console.print(_checklist(status), end="")
    open_requests = [str(r.number) for r in status.requests if not r.answered]
    line = Text("open requests: ")
    line.append(", ".join(open_requests) or "none", style="yellow" if open_requests else "green")
    line.append("; open questions: ")
    line.append(
        ", ".join(map(str, status.open_questions)) or "none", style="yellow" if status.open_questions else "green"
    )
    console.print(line)
    console.print(Text(counts_line(status)))
    people = ", ".join(
        f"{for_terminal(p.name, one_line=True)} ({p.entries}{', waiting' if p.waiting else ''})"
        for p in status.participants
    )
    console.print(Text(f"participants: {people or 'none yet'}"))
    console.print(Text(f"integrity: {status.integrity}", style="red" if status.integrity == "violated" else "dim"))
