"""What is still open in a channel: the data behind ``collab status`` (contract section 4).

A request is answered by an answer that says ``re Request N``, or by an answer with no ``re`` whose
number equals the request's number (the original /collab convention of answering in order), unless
the channel's creator, who wrote the requests, wrote that answer (contract section 6.3). A question
is open until an answer says ``re Question N``; the answers that say so are its resolution, which
every view shows (``answered by Answer 4``, or ``open``), all from :func:`question_states`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from collab.live.receipts import Reader, read_by
from collab.text.exchange import Closing
from collab.text.format import Document, Entry
from collab.text.grammar import parse_timestamp


class RequestState(NamedTuple):
    """A header request and the numbers of the answers that resolve it."""

    number: int
    text: str
    answers: tuple[int, ...]

    @property
    def answered(self) -> bool:
        """True when at least one answer resolves the request."""
        return bool(self.answers)


class QuestionState(NamedTuple):
    """A question entry, who asked it, the first line of its body, and the numbers of the answers
    that reply to it with ``re Question N`` (empty while the question is open)."""

    number: int
    author: str | None
    summary: str
    answers: tuple[int, ...]

    @property
    def answered(self) -> bool:
        """True when at least one answer replies to the question."""
        return bool(self.answers)


class Participant(NamedTuple):
    """A participant: an author, a seat or a reader. How many entries it wrote, the timestamp of its
    last one (or None), whether it is blocked in ``wait`` on the channel now (see
    :mod:`collab.live.presence`), how many entries it has ``seen`` from the top and when its cursor last
    moved (``seen_at``, or None: see :mod:`collab.live.receipts`)."""

    name: str
    entries: int
    last_entry: str | None
    waiting: bool = False
    seen: int = 0
    seen_at: str | None = None


@dataclass(frozen=True, slots=True)
class EntryState:
    """An entry's place (``index``, 1-based), ``label`` (``Answer 3``), ``author``, and the
    participants other than its author who have read it (``read_by``, sorted).

    A frozen dataclass, not a NamedTuple: a tuple's field named ``index`` would hide ``tuple.index``.
    """

    index: int
    label: str
    author: str | None
    read_by: tuple[str, ...]


class Status(NamedTuple):
    """The state of a channel at a glance."""

    id: str
    #: The channel's path, or its ``ssh://`` address when it lives on another machine.
    path: Path | str
    task: str
    state: str
    requests: tuple[RequestState, ...]
    open_questions: tuple[int, ...]
    asked: tuple[QuestionState, ...]
    participants: tuple[Participant, ...]
    entries: tuple[EntryState, ...]
    answers: int
    questions: int
    last_activity: str | None
    integrity: str
    #: The closing line and its summary (the outcome of the exchange), or None while open.
    closing: Closing | None = None

    @property
    def outcome(self) -> str | None:
        """The closing summary, markdown, or None (open, or closed without one)."""
        return self.closing.summary if self.closing is not None else None

    def to_json(self) -> dict[str, Any]:
        """The contract's ``status`` shape."""
        return {
            "id": self.id,
            "path": str(self.path),
            "task": self.task,
            "state": self.state,
            "requests": [
                {"number": r.number, "text": r.text, "answered": r.answered, "answers": list(r.answers)}
                for r in self.requests
            ],
            "open_questions": list(self.open_questions),
            "questions": [
                {
                    "number": q.number,
                    "author": q.author,
                    "summary": q.summary,
                    "answered": q.answered,
                    "answers": list(q.answers),
                }
                for q in self.asked
            ],
            "participants": [
                {
                    "name": p.name,
                    "entries": p.entries,
                    "last_entry": p.last_entry,
                    "waiting": p.waiting,
                    "seen": p.seen,
                    "seen_at": p.seen_at,
                }
                for p in self.participants
            ],
            "entries": [
                {"index": e.index, "label": e.label, "author": e.author, "read_by": list(e.read_by)}
                for e in self.entries
            ],
            "counts": {"answers": self.answers, "questions": self.questions},
            "last_activity": self.last_activity,
            "integrity": self.integrity,
        } | ({"closing": self.closing.to_json()} if self.closing is not None else {})


def resolving_answers(document: Document) -> dict[int, list[int]]:
    """Map each request number to the numbers of the answers that resolve it, in file order."""
    numbers = {r.number for r in document.header.requests}
    creator = (document.header.creator or "").lower()
    resolved: dict[int, list[int]] = {n: [] for n in numbers}
    for entry in document.entries:
        if entry.kind != "answer":
            continue
        if entry.re is not None and entry.re.kind == "request" and entry.re.number in numbers:
            resolved[entry.re.number].append(entry.number)
        elif entry.re is None and entry.number in numbers and (not creator or (entry.author or "").lower() != creator):
            resolved[entry.number].append(entry.number)
    return resolved


def question_states(entries: tuple[Entry, ...]) -> list[QuestionState]:
    """Each question in file order, with the answers (any author, in file order) that say ``re Question N``."""
    replies: dict[int, list[int]] = {}
    for entry in entries:
        if entry.kind == "answer" and entry.re is not None and entry.re.kind == "question":
            replies.setdefault(entry.re.number, []).append(entry.number)
    return [
        QuestionState(e.number, e.author, summary(e.body), tuple(replies.get(e.number, ())))
        for e in entries
        if e.kind == "question"
    ]


def open_questions(entries: tuple[Entry, ...]) -> list[int]:
    """Numbers of questions that no answer replies to with ``re Question N``."""
    return [q.number for q in question_states(entries) if not q.answered]


def summary(body: str, limit: int = 200) -> str:
    """The first non-blank line of ``body``, whitespace collapsed, at most ``limit`` characters (``…`` marks a cut)."""
    first = next((line for line in body.split("\n") if line.strip()), "")
    words = " ".join(first.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def last_activity(document: Document) -> str | None:
    """The newest timestamp of the channel's creation, entries and closing line, or None."""
    stamps = [document.counters.latest] if document.counters.latest else []
    stamps += [s for s in (document.header.created, document.closed and document.closed.timestamp) if s]
    return max(stamps) if stamps else None


def select_entries(
    entries: tuple[Entry, ...], *, since: datetime | None = None, author: str | None = None, kind: str | None = None
) -> tuple[Entry, ...]:
    """The entries that match every filter given: written at or after ``since`` (entries without a
    timestamp never match ``since``), by ``author`` (case-insensitive), of ``kind``."""
    chosen = []
    for entry in entries:
        if kind and entry.kind != kind:
            continue
        if author and (entry.author or "").lower() != author.lower():
            continue
        if since:
            moment = parse_timestamp(entry.timestamp) if entry.timestamp else None
            if moment is None or moment < since:
                continue
        chosen.append(entry)
    return tuple(chosen)


def compute(
    document: Document,
    channel_id: str,
    path: Path | str,
    integrity: str = "unchecked",
    waiting: frozenset[str] = frozenset(),
    readers: Mapping[str, Reader] | None = None,
    seated: Iterable[str] = (),
    closing: Closing | None = None,
) -> Status:
    """Build the :class:`Status` of a parsed channel.

    ``integrity`` is ``ok``, ``violated`` or ``unchecked``; ``waiting`` names the participants
    blocked in ``wait`` now; ``readers`` are the cursors (:func:`collab.live.receipts.readers`);
    ``seated`` names the seats that have written nothing yet; ``closing`` is the channel's closing
    (:meth:`collab.Channel.closing`), whose summary is the outcome every view shows. The participants are the creator,
    then the authors in the order they first wrote, then the other seats and readers, sorted.
    """
    resolved = resolving_answers(document)
    asked = question_states(document.entries)
    known = readers or {}
    people: dict[str, list[Entry]] = {document.header.creator: []} if document.header.creator else {}
    for entry in document.entries:
        people.setdefault(entry.author or "unknown", []).append(entry)
    for name in sorted({*seated, *known} - set(people)):
        people[name] = []

    def participant(name: str, entries: list[Entry]) -> Participant:
        last = max((e.timestamp for e in entries if e.timestamp), default=None)
        reader = known.get(name)
        seen, seen_at = (reader.seen, reader.seen_at) if reader else (0, None)
        return Participant(name, len(entries), last, name in waiting, seen, seen_at)

    return Status(
        id=channel_id,
        path=path,
        task=document.header.task,
        state=document.state,
        requests=tuple(RequestState(r.number, r.text, tuple(resolved[r.number])) for r in document.header.requests),
        open_questions=tuple(q.number for q in asked if not q.answered),
        asked=tuple(asked),
        participants=tuple(participant(name, entries) for name, entries in people.items()),
        entries=tuple(
            EntryState(e.index, e.label, e.author, read_by(e.index, e.author, known.values())) for e in document.entries
        ),
        answers=sum(1 for e in document.entries if e.kind == "answer"),
        questions=sum(1 for e in document.entries if e.kind == "question"),
        last_activity=last_activity(document),
        integrity=integrity,
        closing=closing,
    )
