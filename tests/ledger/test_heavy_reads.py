"""Heavy hand-written channels: no reader or writer parses them while it holds the lock (attack N2).

Contract 7.5: no command holds the channel lock for longer than its own append. A first read that
accepts a large hand-written tail parses it without the lock, then takes the lock only to log it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import pytest

from collab.channel import Channel
from collab.ledger import journal
from collab.text import format
from tests.conftest import NOW
from tests.ledger.test_hand_writers import by_hand

#: Text a command may parse while it holds the lock: about its own entry and the last one.
SMALL = 65536

HEAVY = {
    "setext": "text\n===\n" * 40000,
    "atx": "## x\n" * 60000,
    "entries": "".join(f"\n### Answer {n} from hand\nbody {n}\n" for n in range(1, 8001)),
}


def _locked_by_someone(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@pytest.fixture
def parsed_under_lock(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every text :func:`collab.text.format.parse_tail` is given while the channel is locked."""
    sizes: list[int] = []
    real = format.parse_tail

    def spy(text: str, *args: Any, **kwargs: Any) -> format.Tail:
        if _locked_by_someone(channel.path):
            sizes.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(format, "parse_tail", spy)
    return sizes


@pytest.mark.parametrize("kind", sorted(HEAVY))
def test_a_first_read_parses_a_heavy_hand_tail_without_the_lock(
    channel: Channel, parsed_under_lock: list[int], kind: str
) -> None:
    by_hand(channel.path, HEAVY[kind])
    document = channel.check().document
    assert max(parsed_under_lock, default=0) < SMALL
    found = journal.load(channel.path)
    assert isinstance(found, journal.Ledger) and found.accepted_end == channel.path.stat().st_size  # accepted
    assert document.entries == format.parse(channel.path.read_bytes()).entries


@pytest.mark.parametrize("kind", sorted(HEAVY))
def test_a_writer_after_a_heavy_hand_tail_parses_it_without_the_lock(
    channel: Channel, parsed_under_lock: list[int], kind: str
) -> None:
    by_hand(channel.path, HEAVY[kind])
    entry = channel.answer("after the heavy part", author="site-a")
    assert max(parsed_under_lock, default=0) < SMALL
    assert channel.read().entries[-1].body == "after the heavy part" == entry.body
    assert channel.verify().ok


def test_warnings_past_the_limit_are_counted_alike_by_the_ledger_and_a_full_parse(channel: Channel) -> None:
    """Thousands of stray headings: the first MAX_WARNINGS are listed, the rest counted, the same
    way from the ledger's index (accepted in pieces) as by a full parse; the journal stays small."""
    for piece in range(3):
        by_hand(channel.path, "## stray\n" * 1500)
        channel.check()  # accepted in three records, each over the limit
        channel.answer(f"collab entry {piece}", author="site-a")
    indexed = channel.check().document
    full = format.parse(channel.path.read_bytes())
    assert indexed.warnings == full.warnings and indexed.entries == full.entries
    assert len(full.warnings) == format.MAX_WARNINGS + 1
    assert full.warnings[-1] == f"{4500 - format.MAX_WARNINGS} more warnings like these (the first 1000 are listed)"
    assert journal.ledger_path(channel.path).stat().st_size < 400_000


@pytest.mark.parametrize("body", ["1. a\n" * 20000, "    code\n" * 20000, "- item\n\nprose\n" * 5000])
def test_a_writer_parses_its_own_long_body_before_it_takes_the_lock(
    channel: Channel, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    """Whether a body ends in a list (the end mark) is worked out before the lock: a long list costs
    its writer a parse, and costs nobody waiting for the lock."""
    from collab.text import blocks

    looked: list[bool] = []
    real = blocks.ends_open

    def spy(text: str) -> bool:
        looked.append(_locked_by_someone(channel.path))
        return real(text)

    monkeypatch.setattr(blocks, "ends_open", spy)
    entry = channel.answer(body, author="site-b")
    assert looked == [False]
    assert entry.body == body.rstrip("\n") and channel.read().entries[-1].body == entry.body
    assert channel.verify().ok


@pytest.mark.parametrize("cursor", [0, 7990])
def test_a_close_behind_the_cursor_reads_only_the_unseen_entries_under_the_lock(
    channel: Channel, parsed_under_lock: list[int], cursor: int
) -> None:
    """A close whose closer has not read everything checks what it has not read, under the lock;
    that costs the entries after its cursor, not the channel (a heavy channel read back whole
    held the lock for a second at 10 MB). It still refuses while any of them is unread."""
    from collab.errors import UnseenEntries
    from collab.ledger import entries

    by_hand(channel.path, HEAVY["entries"])  # 8,000 entries from "hand"
    channel.check()  # accepted: the ledger lists them
    parsed_under_lock.clear()
    with pytest.raises(UnseenEntries, match="Answer 8000"):
        entries.close(channel.path, author="site-a", moment=NOW, seen=cursor)
    if cursor:
        assert max(parsed_under_lock, default=0) < SMALL
    assert channel.read().closed is None  # nothing written
    assert entries.close(channel.path, author="site-a", moment=NOW, seen=8000)
    assert channel.read().closed is not None
