"""Plain-text rendering of entries and transcripts, for pipes and for agents reading stdout.

A body is shown as its markdown source, so everything an agent receives (HTML comments, link
reference definitions) is on the page. Every string passes through
:func:`collab.sanitize.for_terminal`: it is data, never control sequences for whatever terminal
the text ends up on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from collab.sanitize import for_terminal

if TYPE_CHECKING:
    from collab.format import Document, Entry
    from collab.status import Status


def describe(entry: Entry) -> str:
    """One line naming an entry, e.g. ``Answer 2 from site-a at 2026-06-22T14:05:02Z, re Question 1``."""
    line = entry.label
    if entry.author:
        line += f" from {entry.author}"
    if entry.timestamp:
        line += f" at {entry.timestamp}"
    if entry.re:
        line += f", re {entry.re.label()}"
    return for_terminal(line, one_line=True)


def _indented(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in for_terminal(text).split("\n"))


def body_text(entry: Entry) -> str:
    """An entry's body as plain text: its markdown source, indented by two spaces, with a final newline."""
    return _indented(entry.body) + "\n"


def entry_text(entry: Entry) -> str:
    """An entry as plain text: its description line, then :func:`body_text`."""
    return f"{describe(entry)}\n{body_text(entry)}"


def _checklist(status: Status) -> list[str]:
    lines = []
    for request in status.requests:
        mark = "x" if request.answered else " "
        text = for_terminal(request.text).replace("\n", "\n       ")
        by = f"  (Answer {', '.join(map(str, request.answers))})" if request.answers else ""
        lines.append(f"  [{mark}] {request.number}. {text}{by}")
    return lines


def transcript(document: Document, status: Status, entries: tuple[Entry, ...]) -> Iterator[str]:
    """The whole channel as plain text, in pieces to write one after the other as they are made.

    Title, task, context and the requests checklist come first, then one piece per entry, so the
    memory used grows with the largest entry, not with the channel.
    """
    header = document.header
    title = for_terminal(header.title or status.id, one_line=True)
    out = [f"{title}  [{status.state}]  {for_terminal(str(status.path), one_line=True)}", ""]
    out += ["Task:", _indented(header.task)]
    if header.context:
        out += ["", "Context:", _indented(header.context)]
    if status.requests:
        out += ["", "Requests:", *_checklist(status)]
    yield "\n".join(out) + "\n"
    # Each later part is set off by a blank line.
    for entry in entries:
        yield "\n" + entry_text(entry)
    if document.closed:
        yield "\n" + closing_line(document) + "\n"
    if document.warnings:
        yield "\n" + "".join(f"warning: {for_terminal(w, one_line=True)}\n" for w in document.warnings)


def closing_line(document: Document) -> str:
    """``Closed at <time> by <author>``, for a closed channel (an empty string for an open one)."""
    if not document.closed:
        return ""
    by = f" by {document.closed.author}" if document.closed.author else ""
    return for_terminal(f"Closed at {document.closed.timestamp or 'an unknown time'}{by}", one_line=True)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def counts_line(status: Status) -> str:
    """``3 answers, 1 question; last activity <time>``."""
    answers, questions = _plural(status.answers, "answer"), _plural(status.questions, "question")
    return f"{answers}, {questions}; last activity {for_terminal(status.last_activity or '-', one_line=True)}"


def status_text(status: Status) -> str:
    """``collab status`` for people: what is open first, then the counts."""
    open_requests = [r.number for r in status.requests if not r.answered]
    task = for_terminal(status.task.split("\n")[0], one_line=True)
    out = [f"{task}  [{status.state}]  {for_terminal(str(status.path), one_line=True)}"]
    if status.requests:
        out += ["Requests:", *_checklist(status)]
    summary = "open requests: " + (", ".join(map(str, open_requests)) or "none")
    summary += "; open questions: " + (", ".join(map(str, status.open_questions)) or "none")
    out.append(summary)
    out.append(counts_line(status))
    people = ", ".join(
        f"{for_terminal(p.name, one_line=True)} ({p.entries}, last {for_terminal(p.last_entry or '-', one_line=True)}"
        + (", waiting)" if p.waiting else ")")
        for p in status.participants
    )
    out.append(f"participants: {people or 'none yet'}")
    out.append(f"integrity: {status.integrity}")
    return "\n".join(out) + "\n"
