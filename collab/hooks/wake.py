"""The text the wake hook leaves on stderr for the model to read when it wakes a session.

Claude Code shows an ``asyncRewake`` hook's stderr to the model as a system reminder (hooks
reference, "Command hook fields"). The text says, for each channel: which channel and as whom,
then each entry (number, author, time, what it replies to, body: :func:`collab.render.render_text.entry_text`,
so nothing in it acts on a terminal), then exactly how to reply (``collab answer`` / ``collab ask``
with the body on stdin through a quoted heredoc, so nothing in it reaches the shell), and that
ending the turn waits again. Claude Code keeps at most 10,000 characters of hook output (hooks
reference, "JSON output"): past :data:`BUDGET` characters, bodies are left out with a pointer to
``collab show``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from collab.integrations.templates import shell_word
from collab.render.render_text import entry_text
from collab.text.exchange import Closing
from collab.text.format import Entry
from collab.text.sanitize import for_terminal

#: Characters of entries, at most, in one wake message (Claude Code's cap is 10,000 for all of it).
BUDGET = 7_000
#: The heredoc delimiter in the reply commands, as in the join message.
DELIMITER = "COLLAB_BODY"


class News(NamedTuple):
    """What one channel has for the reader: its ``path`` and ``title``, the reader's ``name`` (and
    whether it was given ``explicit``-ly), the ``entries``, the ``closing`` if it was closed, the
    entries that ``claims`` the reader's name, ``notices`` such as an edited history, and ``read``:
    sentences saying who has read which of the reader's own entries since it last heard
    (:func:`collab.live.receipts.sentences`); ``where``: the channel as the reader's commands name
    it when that is not ``path`` (its ``ssh://`` address, for a channel on another host)."""

    path: Path
    title: str
    name: str
    explicit: bool
    entries: tuple[Entry, ...]
    closing: Closing | None = None
    claims: frozenset[int] = frozenset()
    notices: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    where: str = ""


def message(news: Sequence[News]) -> str:
    """The whole wake message: each channel's news, then how to go on."""
    left = BUDGET
    parts = []
    for item in news:
        text, left = _channel(item, left)
        parts.append(text)
    if all(item.closing is not None for item in news):
        parts.append("These entries are marked read. Nothing more will come: do not wait on this exchange again.")
    else:
        parts.append(
            "These entries are marked read: `collab wait` will not return them again. Reply if they need it; "
            "when you are done, end your turn: collab wakes you when the other side writes again."
        )
    return "\n\n".join(parts) + "\n"


def _channel(item: News, budget: int) -> tuple[str, int]:
    """One channel's part of the message, and the budget left after its entries."""
    path = shell_word(item.where or item.path)
    title = for_terminal(item.title, one_line=True)
    lines = [f"collab: news in the channel {for_terminal(path, one_line=True)} ({title}), where you are {item.name}:"]
    for notice in item.notices:
        lines.append(f"- {for_terminal(notice, one_line=True)} (run `collab verify {path}` to see what changed)")
    lines.extend(f"- {for_terminal(sentence, one_line=True)}." for sentence in item.read)
    for entry in item.entries:
        text = entry_text(entry)
        if len(text) > budget:
            head = entry_text(entry._replace(body=""))
            text = f"{head}  ({len(entry.body)} characters not shown here: `collab show {path}` prints them)\n"
        budget = max(0, budget - len(text))
        if entry.index in item.claims:
            text = f"(written by hand under your name, not by this session)\n{text}"
        lines.append("")
        lines.append(text.rstrip("\n"))
    if item.closing is not None:
        lines.append("")
        by = for_terminal(item.closing.author, one_line=True) if item.closing.author else "someone"
        lines.append(f"The exchange is over: {by} closed the channel, and nothing more can be written to it.")
        if item.closing.summary:
            lines.append(f"Their summary:\n{for_terminal(item.closing.summary)}")
        else:
            lines.append("They left no summary.")
        lines.append("Tell the person what came of the exchange if they do not know yet.")
    else:
        lines.append("")
        lines.extend(_replies(item, path))
    return "\n".join(lines), budget


def _replies(item: News, path: str) -> list[str]:
    """How to reply: one ``collab answer`` per question in the news (at most three), and ``collab ask``."""
    shown = for_terminal(path, one_line=True)
    who = f" --as {shell_word(item.name)}" if item.explicit else ""
    questions: list[int | None] = [e.number for e in item.entries if e.kind == "question"]
    del questions[3:]
    lines = ["Reply with collab, the text on stdin through a quoted heredoc (nothing in it reaches the shell):"]
    for number in questions or [None]:
        target, to = (f" --re question:{number}", f" to Question {number}") if number else ("", "")
        lines.append(f"  collab answer {shown}{target}{who} - <<'{DELIMITER}'")
        lines.append(f"  (your answer{to})")
        lines.append(f"  {DELIMITER}")
    lines.append(f"Ask something back the same way: collab ask {shown}{who} - <<'{DELIMITER}' ... {DELIMITER}")
    return lines
