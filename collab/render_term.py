"""Rich rendering for a terminal: transcripts (``show``) and single entries (``watch``).

Bodies are untrusted: they are sanitised (:func:`collab.sanitize.for_terminal`) and rendered as
markdown with :class:`rich.markdown.Markdown`, which does not interpret console markup such as
``[bold]``; headings and labels are :class:`rich.text.Text`, never markup strings. Hyperlinks are
off, so a body cannot plant an OSC 8 link.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.rule import Rule
from rich.text import Text

from collab.format import Document, Entry
from collab.render_text import counts_line, describe
from collab.sanitize import for_terminal
from collab.status import Status

_KIND_STYLE = {"answer": "bold green", "question": "bold yellow"}


def entry_renderable(entry: Entry) -> Group:
    """A rule naming the entry (kind, number, author, time, what it replies to) and its markdown body."""
    title = Text(describe(entry), style=_KIND_STYLE.get(entry.kind, "bold"))
    body = Markdown(for_terminal(entry.body), code_theme="monokai", hyperlinks=False)
    return Group(Rule(title, align="left", style="dim"), body, Text(""))


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


def print_transcript(console: Console, document: Document, status: Status, entries: tuple[Entry, ...]) -> None:
    """Print the whole channel: title, task, context, requests checklist, then ``entries``."""
    header = document.header
    title = Text(for_terminal(header.title or status.id), style="bold")
    title.append(f"  [{status.state}]", style="green" if status.state == "open" else "red")
    console.print(title)
    console.print(Text(str(status.path), style="dim"))
    console.print(Rule("Task", align="left", style="cyan"))
    console.print(Markdown(for_terminal(header.task), hyperlinks=False))
    if header.context:
        console.print(Rule("Context", align="left", style="cyan"))
        console.print(Markdown(for_terminal(header.context), hyperlinks=False))
    if status.requests:
        console.print(Rule("Requests", align="left", style="cyan"))
        console.print(_checklist(status), end="")
    console.print()
    for entry in entries:
        console.print(entry_renderable(entry))
    if document.closed:
        by = f" by {document.closed.author}" if document.closed.author else ""
        console.print(Rule(Text(f"Closed at {document.closed.timestamp or '?'}{by}", style="red"), style="red"))
    for warning in document.warnings:
        console.print(Text(f"warning: {for_terminal(warning)}", style="yellow"))


def print_status(console: Console, status: Status) -> None:
    """``collab status`` for a terminal."""
    title = Text(for_terminal(status.task.split("\n")[0]), style="bold")
    title.append(f"  [{status.state}]", style="green" if status.state == "open" else "red")
    console.print(title)
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
    people = ", ".join(f"{for_terminal(p.name)} ({p.entries})" for p in status.participants) or "none yet"
    console.print(Text(f"participants: {people}"))
    console.print(Text(f"integrity: {status.integrity}", style="red" if status.integrity == "violated" else "dim"))
