"""Plain-text rendering of entries and transcripts, for pipes and for agents reading stdout.

A body is shown as its markdown source, so everything an agent receives (HTML comments, link
reference definitions) is on the page. Every string passes through
:func:`collab.text.sanitize.for_terminal`: it is data, never control sequences for whatever terminal
the text ends up on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from collab.text.sanitize import for_terminal

if TYPE_CHECKING:
    from collab.render.status import Participant, Status
    from collab.text.format import Document, Entry


def describe(entry: Entry, answers: tuple[int, ...] | None = None) -> str:
    """One line naming an entry, e.g. ``Answer 2 from site-a at 2026-06-22T14:05:02Z, re Question 1``.

    With ``answers`` (for a question in a transcript), the line ends with :func:`resolution`:
    ``Question 1 from site-b at 2026-06-22T14:03:40Z, answered by Answer 2``.
    """
    line = entry.label
    if entry.author:
        line += f" from {entry.author}"
    if entry.timestamp:
        line += f" at {entry.timestamp}"
    if entry.re:
        line += f", re {entry.re.label()}"
    if answers is not None:
        line += f", {resolution(answers)}"
    return for_terminal(line, one_line=True)


def resolution(answers: tuple[int, ...]) -> str:
    """``answered by Answer 4`` (``answered by Answer 4, Answer 6``) or ``open``: where a request
    or question stands (the rules are :mod:`collab.render.status`)."""
    return "answered by " + ", ".join(f"Answer {n}" for n in answers) if answers else "open"


def task_after_title(title: str, task: str) -> str:
    """What a view shows under "Task" when it already shows ``title`` as its heading.

    The title is the task's first line (:func:`collab.text.bodies.title`), so the task is shown once:
    without that line when the title holds it whole, and in full when the title shortened it
    (``…``) or was written by hand. Empty when the title is the whole task.
    """
    from collab.text.bodies import title as title_of

    if not title or title.endswith("…") or title_of(task) != title:
        return task
    lines = task.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    return "\n".join(lines[first + 1 :]).strip("\n")


def _indented(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in for_terminal(text).split("\n"))


def source_text(text: str) -> str:
    """Markdown ``text`` as its source, indented by two spaces, with a final newline."""
    return _indented(text) + "\n"


def body_text(entry: Entry) -> str:
    """An entry's body as plain text: its markdown source, indented by two spaces, with a final newline."""
    return source_text(entry.body)


def entry_text(entry: Entry, answers: tuple[int, ...] | None = None) -> str:
    """An entry as plain text: its description line (see :func:`describe`), then :func:`body_text`."""
    return f"{describe(entry, answers)}\n{body_text(entry)}"


def _checklist(status: Status) -> list[str]:
    lines = []
    for request in status.requests:
        mark = "x" if request.answered else " "
        text = for_terminal(request.text).replace("\n", "\n       ")
        lines.append(f"  [{mark}] {request.number}. {text}  ({resolution(request.answers)})")
    return lines


def _questions(status: Status) -> list[str]:
    """One line per question: ``[x] Question 1 from site-b: Do you sign…?  (answered by Answer 2)``."""
    lines = []
    for question in status.asked:
        by = f" from {question.author}" if question.author else ""
        line = f"Question {question.number}{by}: {question.summary}"
        mark = "x" if question.answered else " "
        lines.append(f"  [{mark}] {for_terminal(line, one_line=True)}  ({resolution(question.answers)})")
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
    if status.asked:
        out += ["", "Questions:", *_questions(status)]
    yield "\n".join(out) + "\n"
    answers = {q.number: q.answers for q in status.asked}
    # Each later part is set off by a blank line.
    for entry in entries:
        yield "\n" + entry_text(entry, answers.get(entry.number, ()) if entry.kind == "question" else None)
    if document.warnings:
        yield "\n" + "".join(f"warning: {for_terminal(w, one_line=True)}\n" for w in document.warnings)
    if document.closed:
        yield "\n" + closing_line(document) + "\n" + outcome_text(status)


def outcome_text(status: Status) -> str:
    """``Outcome:`` and the closing summary indented below it, or nothing when there is none."""
    return f"\nOutcome:\n{_indented(status.outcome)}\n" if status.outcome else ""


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


def participant_text(person: Participant, total: int) -> str:
    """One participant as a line: what it wrote, what it has read (its receipt) and whether it waits
    now, e.g. ``site-b: wrote 2 (last 2026-06-22T14:05:02Z); read 5 of 7 (at 2026-06-22T14:06:00Z); waiting``."""
    name = for_terminal(person.name, one_line=True)
    wrote = f"wrote {person.entries}" + (
        f" (last {for_terminal(person.last_entry, one_line=True)})" if person.last_entry else ""
    )
    read = f"read {person.seen} of {total}" + (
        f" (at {for_terminal(person.seen_at, one_line=True)})" if person.seen_at else ""
    )
    return f"{name}: {wrote}; {read}" + ("; waiting" if person.waiting else "")


def status_text(status: Status) -> str:
    """``collab status`` for people: what is open first, then the counts."""
    open_requests = [r.number for r in status.requests if not r.answered]
    task = for_terminal(status.task.split("\n")[0], one_line=True)
    out = [f"{task}  [{status.state}]  {for_terminal(str(status.path), one_line=True)}"]
    if status.outcome:
        out += ["Outcome:", _indented(status.outcome)]
    if status.requests:
        out += ["Requests:", *_checklist(status)]
    if status.asked:
        out += ["Questions:", *_questions(status)]
    summary = "open requests: " + (", ".join(map(str, open_requests)) or "none")
    summary += "; open questions: " + (", ".join(map(str, status.open_questions)) or "none")
    out.append(summary)
    out.append(counts_line(status))
    out.append("participants:" if status.participants else "participants: none yet")
    out += [f"  {participant_text(p, len(status.entries))}" for p in status.participants]
    out.append(f"integrity: {status.integrity}")
    return "\n".join(out) + "\n"
