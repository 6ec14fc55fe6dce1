"""Plain-text rendering of entries and transcripts, for pipes and for agents reading stdout.

Every body passes through :func:`collab.sanitize.for_terminal`: a body is data, never control
sequences for whatever terminal the text ends up on.
"""

from __future__ import annotations

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
    return for_terminal(line)


def entry_text(entry: Entry) -> str:
    """An entry as plain text: its description line, then the body indented by two spaces."""
    body = "\n".join(("  " + line) if line else "" for line in for_terminal(entry.body).split("\n"))
    return f"{describe(entry)}\n{body}\n"


def _checklist(status: Status) -> list[str]:
    lines = []
    for request in status.requests:
        mark = "x" if request.answered else " "
        text = for_terminal(request.text).replace("\n", "\n       ")
        by = f"  (Answer {', '.join(map(str, request.answers))})" if request.answers else ""
        lines.append(f"  [{mark}] {request.number}. {text}{by}")
    return lines


def transcript(document: Document, status: Status, entries: tuple[Entry, ...]) -> str:
    """The whole channel as plain text: title, task, context, requests checklist, then ``entries``."""
    header = document.header
    out = [f"{for_terminal(header.title or status.id)}  [{status.state}]  {status.path}", ""]
    out += ["Task:", *("  " + line for line in for_terminal(header.task).split("\n")), ""]
    if header.context:
        out += ["Context:", *("  " + line for line in for_terminal(header.context).split("\n")), ""]
    if status.requests:
        out += ["Requests:", *_checklist(status), ""]
    for entry in entries:
        out.append(entry_text(entry))
    if document.closed:
        by = f" by {document.closed.author}" if document.closed.author else ""
        out.append(f"Closed at {document.closed.timestamp or 'an unknown time'}{by}\n")
    for warning in document.warnings:
        out.append(f"warning: {for_terminal(warning)}")
    return "\n".join(out).rstrip("\n") + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def counts_line(status: Status) -> str:
    """``3 answers, 1 question; last activity <time>``."""
    answers, questions = _plural(status.answers, "answer"), _plural(status.questions, "question")
    return f"{answers}, {questions}; last activity {status.last_activity or '-'}"


def status_text(status: Status) -> str:
    """``collab status`` for people: what is open first, then the counts."""
    open_requests = [r.number for r in status.requests if not r.answered]
    out = [f"{for_terminal(status.task.split(chr(10))[0])}  [{status.state}]  {status.path}"]
    if status.requests:
        out += ["Requests:", *_checklist(status)]
    summary = "open requests: " + (", ".join(map(str, open_requests)) or "none")
    summary += "; open questions: " + (", ".join(map(str, status.open_questions)) or "none")
    out.append(summary)
    out.append(counts_line(status))
    people = ", ".join(f"{for_terminal(p.name)} ({p.entries}, last {p.last_entry or '-'})" for p in status.participants)
    out.append(f"participants: {people or 'none yet'}")
    out.append(f"integrity: {status.integrity}")
    return "\n".join(out) + "\n"
