"""The rules of an exchange between participants (contract section 6.3).

- *Crossed messages*: the entries from others that landed after a writer's cursor and before its
  own entry are *unseen*; ``answer`` and ``ask`` report them and ``close`` refuses while any exist.
- *Checked references*: a ``--re`` must point at a request, question or answer that exists.
- *Closing*: ``## Closed (<timestamp>) by <author>`` may carry a summary below it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from collab.errors import UsageError
from collab.text import blocks, format, structure
from collab.text.format import Closed, Counters, Entry
from collab.text.grammar import Ref

#: Decides whether an entry is the reader's own (not delivered as news, never "unseen").
IsOwn = Callable[[Entry], bool]


class Closing(NamedTuple):
    """The closing line of a channel: when, by whom, and the summary written below it (or None)."""

    timestamp: str | None
    author: str | None
    summary: str | None

    def to_json(self) -> dict[str, str | None]:
        """``{"timestamp", "author", "summary"}`` (contract section 6.3)."""
        return {"timestamp": self.timestamp, "author": self.author, "summary": self.summary}


class Posted(NamedTuple):
    """What an append wrote (``entry``, as read back) and the ``unseen`` entries from others before it."""

    entry: Entry
    unseen: tuple[Entry, ...] = ()


def by_name(name: str | None) -> IsOwn:
    """Own entries are those whose heading names ``name``."""
    return lambda entry: entry.author is not None and entry.author == name


def unseen(entries: Sequence[Entry], seen: int, before: int, own: IsOwn) -> list[Entry]:
    """The entries from others with ``seen < index < before`` (indexes count from 1).

    Args:
        entries: the channel's entries in file order (``entries[i].index == i + 1``).
        seen: the reader's cursor: how many entries from the top it has seen.
        before: the index of the writer's own entry (or one past the last entry).
        own: which entries are the reader's own.
    """
    return [e for e in entries[max(0, seen) : max(0, before - 1)] if not own(e)]


def check_ref(ref: Ref, counters: Counters, data: bytes) -> None:
    """Refuse a reference to nothing: no such request in the header, or no such entry yet.

    Args:
        ref: what the new entry replies to.
        counters: the numbering at the end of the channel (the highest answer and question numbers).
        data: the channel's readable bytes (the header is read from them for a request).

    Raises:
        UsageError: the request, question or answer does not exist (exit 2; nothing is written).
    """
    if ref.kind == "request":
        header, _, _ = format.head(data)
        exists = any(r.number == ref.number for r in header.requests)
        have = f"the channel has {len(header.requests)} request(s)"
    else:
        highest = counters.answers if ref.kind == "answer" else counters.questions
        exists = 1 <= ref.number <= highest
        have = f"the highest {ref.kind} is {highest}" if highest else f"the channel has no {ref.kind}s yet"
    if not exists:
        raise UsageError(f"--re {ref.kind}:{ref.number} points at nothing ({have}); nothing was written")


def compose_closed(stamp: str, author: str | None, summary: str | None) -> str:
    """The text that closes a channel, after the writer's separator: ``## Closed (<stamp>)[ by <author>]``
    and the summary below it, ending with a blank line (as an entry does, :func:`collab.ledger.writer.compose_entry`).

    ``summary`` must be normalised and checked like an entry's body.
    """
    line = f"## Closed ({stamp})" + (f" by {author}" if author else "") + "\n"
    return line + (blocks.neutralise(summary) + "\n\n" if summary else "")


def closing_of(data: bytes, closed: Closed) -> Closing:
    """The closing of a channel, with the summary read from below its closing line in ``data``."""
    text = data[closed.start :].decode("utf-8", "replace")
    headings = structure.top_headings(structure.scan_text(text), 0, format.is_structural)
    first = next(headings, None)
    if first is None:
        return Closing(closed.timestamp, closed.author, None)
    following = next(headings, None)
    end = following.start if following is not None else len(text)
    summary = blocks.read_body(text[first.body_start : end])
    return Closing(closed.timestamp, closed.author, summary or None)
