"""The ledger's cost model (issue 22): an append reads the file once and digests its accepted bytes
once, but decodes, parses and loads only what is new; the crossed entries after a cursor are read
from the journal's index from that cursor on. Every guarantee stands: an edit of accepted history
is still refused, and every cheap read equals the full one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collab.channel import Channel
from collab.errors import CollabError, IntegrityError
from collab.ledger import checks, journal, reading, wal, writer
from collab.ledger.journal import Ledger
from collab.store import files
from collab.text import format
from collab.text.grammar import Ref
from tests.ledger.test_integrity import by_hand, edit

#: Bytes a cheap step may touch: about the last entry and the new one, far below the channel's size.
SMALL = 16384


def big(channel: Channel, entries: int = 400) -> Channel:
    """``channel`` with ``entries`` answers of about 1 KB written by hand, then accepted."""
    body = "The digest header covers the body; list the signed names explicitly. " * 14
    by_hand(channel.path, "".join(f"\n### Answer {n} from hand\n{body}\n" for n in range(1, entries + 1)))
    assert channel.check().integrity == "ok"
    return channel


def spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """Record the arguments of every call of ``module.name``, and let it run."""
    calls: list[Any] = []
    real = getattr(module, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recorded)
    return calls


def test_an_append_decodes_and_parses_only_what_is_new(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    big(channel)
    size = channel.path.stat().st_size
    assert size > 20 * SMALL
    channel.answer("warm", author="site-b")
    decoded = spy(monkeypatch, format, "readable")
    parsed = spy(monkeypatch, format, "parse_tail")
    digests = spy(monkeypatch, checks, "_digest")
    journals = spy(monkeypatch, journal, "_parsed")
    reads = spy(monkeypatch, files, "read_fd")
    channel.answer("cheap", author="site-b")
    assert decoded and all(len(args[0]) < SMALL for args, _ in decoded)
    assert parsed and all(len(args[0]) < SMALL for args, _ in parsed)
    assert journals and all(len(args[0]) < SMALL for args, _ in journals)
    # The accepted bytes are still digested, all of them, once; the file is never read whole.
    assert [args[1] for args, _ in digests] == [pytest.approx(size, abs=SMALL)]
    assert reads and all(len(args) > 2 and args[2] > size - SMALL for args, _ in reads)
    assert channel.verify().ok
    assert [e.body for e in channel.read().entries[-2:]] == ["warm", "cheap"]


def test_an_append_still_refuses_an_edited_history_anywhere(channel: Channel) -> None:
    big(channel)
    channel.answer("accepted last", author="site-b")
    before = channel.path.read_bytes()
    for number in (1, 200, 400, 401):  # the first entry, the middle, the last hand entry, collab's
        at = before.index(b"digest" if number <= 400 else b"accepted", before.index(f"### Answer {number} ".encode()))
        channel.path.write_bytes(before[:at] + before[at : at + 1].swapcase() + before[at + 1 :])
        with pytest.raises(IntegrityError, match=f"Answer {number} "):
            channel.answer("refused", author="site-b")
        assert b"refused" not in channel.path.read_bytes()
        channel.path.write_bytes(before)
    edit(channel.path, b"## Answers", b"## answers")
    with pytest.raises(IntegrityError):
        channel.answer("refused", author="site-b")
    channel.path.write_bytes(before)
    channel.answer("after the edits were undone", author="site-b")
    assert channel.verify().ok


def test_unreadable_bytes_after_the_accepted_ones_are_still_refused(channel: Channel) -> None:
    from collab.errors import ChannelFormatError

    big(channel, 50)
    with open(channel.path, "ab") as handle:
        handle.write(b"\n### Answer 51 from hand\nbad \xff byte\n")
    with pytest.raises(ChannelFormatError, match="not UTF-8"):
        channel.answer("refused", author="site-b")


def test_a_collab_append_after_a_collab_append_reads_no_more_of_the_journal(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's hold asks the ledger it loaded under the lock who wrote the last entry."""
    channel.answer("first", author="site-b")
    recent = spy(monkeypatch, journal, "recent_appends")
    channel.answer("second", author="site-b")
    assert recent == []
    by_hand(channel.path, "\n### Answer 3 from hand\nby hand\n")
    channel.answer("after a hand entry", author="site-b")
    assert len(recent) == 1  # not collab's: the journal's last records are read, as before
    assert [e.number for e in channel.read().entries] == [1, 2, 3, 4]


def test_loading_the_journal_parses_only_the_records_from_its_last_accept_on(channel: Channel) -> None:
    for n in range(300):
        channel.answer(f"answer {n}", author="site-b")
    path = journal.ledger_path(channel.path)
    assert path.stat().st_size > 4 * 8192
    fd = files.open_checked(path)
    try:
        records, complete = journal._last_records(fd, path.stat().st_size)
    finally:
        import os

        os.close(fd)
    assert records is not None and [r["t"] for r in records] == ["accept"]
    assert complete == path.stat().st_size
    ledger = journal.load(channel.path)
    assert isinstance(ledger, Ledger) and ledger.accepted_end == channel.path.stat().st_size


def test_a_journal_written_otherwise_is_still_read_to_its_last_accept(channel: Channel) -> None:
    """A record with spaces after its colons (not collab's writing) is found by parsing every line."""
    channel.answer("one", author="site-b")
    path = journal.ledger_path(channel.path)
    lines = path.read_bytes().splitlines()
    spaced = [json.dumps(json.loads(line)).encode() for line in lines]
    path.write_bytes(b"\n".join(spaced) + b"\n")
    ledger = journal.load(channel.path)
    assert isinstance(ledger, Ledger) and ledger.accepted_end == channel.path.stat().st_size
    assert channel.verify().ok


def test_a_damaged_line_after_the_last_accept_is_still_damage(channel: Channel) -> None:
    channel.answer("one", author="site-b")
    with open(journal.ledger_path(channel.path), "ab") as handle:
        handle.write(b'{"t":"intent","offset":\n')
    found = journal.load(channel.path)
    assert isinstance(found, journal.LedgerTrouble) and "not JSON" in found.detail


def test_a_plan_from_part_of_the_channel_needs_the_checked_digest(channel: Channel) -> None:
    channel.answer("one", author="site-b")
    ledger = journal.load(channel.path)
    assert isinstance(ledger, Ledger)
    by_hand(channel.path, "\n### Answer 2 from hand\ntwo\n")
    data = channel.path.read_bytes()
    with pytest.raises(ValueError, match="digest"):
        wal.plan(ledger, data[ledger.checkpoint :], base=ledger.checkpoint)
    assert checks.verify(ledger, data).ok  # keeps the digest state of the accepted bytes
    part = wal.plan(ledger, data[ledger.checkpoint :], base=ledger.checkpoint)
    whole = wal.plan(ledger, data)
    assert part is not None and whole is not None and part.record == whole.record


def _crossed_channel(channel: Channel) -> Channel:
    """Collab appends and hand appends of every awkward kind, some accepted, some not yet."""
    channel.answer("one", author="site-b")
    by_hand(channel.path, "\n### Answer 2 from hand\nby hand\n\n### Answer 2\nduplicate number\n")
    channel.ask("a question?", author="site-a")
    by_hand(channel.path, "\n### Answer 9 ###\n```\nan open fence\n")
    channel.answer("```python\nprint(1)\n```", author="site-b", re=Ref("answer", 1))
    assert channel.check().integrity == "ok"
    by_hand(channel.path, "stray text below\n\n### Question\nno number\n")
    channel.answer("after the stray text", author="site-a")
    by_hand(channel.path, "\n### Answer 12 from hand\nnot accepted yet, half a li")
    return channel


def test_entries_after_a_cursor_equal_the_full_read(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    _crossed_channel(channel)
    full = channel.check(accept=False).document.entries
    slow = spy(monkeypatch, reading, "check")
    for seen in range(-1, len(full) + 2):
        got = reading.entries_after(channel.path, seen)
        want = full[max(0, seen) :]
        assert [e.to_json() for e in got] == [e.to_json() for e in want], seen
        assert [(e.start, e.end, e.heading) for e in got] == [(e.start, e.end, e.heading) for e in want], seen
    assert slow == []  # all from the index


def test_entries_after_a_cursor_on_an_edited_channel_are_the_full_parse(channel: Channel) -> None:
    _crossed_channel(channel)
    edit(channel.path, b"by hand", b"BY HAND")
    checked = channel.check(accept=False)
    assert checked.integrity == "violated"
    for seen in (0, 3, len(checked.document.entries)):
        got = reading.entries_after(channel.path, seen)
        assert [e.to_json() for e in got] == [e.to_json() for e in checked.document.entries[seen:]]


def test_entries_after_a_cursor_read_only_from_the_cursor_on(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    big(channel)
    for n in range(3):
        channel.answer(f"after the big part {n}", author="site-b")
    size = channel.path.stat().st_size
    reads = spy(monkeypatch, files, "read_fd")
    got = reading.entries_after(channel.path, 401)
    assert [e.body for e in got] == ["after the big part 1", "after the big part 2"]
    assert reads and all(size - (args[2] if len(args) > 2 else 0) < SMALL for args, _ in reads)


def test_the_writer_accepts_hand_appends_that_landed_before_its_own(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand append between the writer's read and its write is found and accepted, from the
    checkpoint on (the commit reads only what follows what the writer read)."""
    channel.answer("one", author="site-b")
    real = writer._write

    def hand_first(fd: int, size: int, payload: bytes) -> None:
        by_hand(channel.path, "\n### Answer 2 from hand\nbetween the read and the write\n")
        real(fd, size, payload)

    monkeypatch.setattr(writer, "_write", hand_first)
    written = channel.answer("three", author="site-b")
    assert written.number == 2  # numbered from the file as the writer read it; the hand entry came first
    entries = channel.read().entries
    assert [e.body for e in entries] == ["one", "between the read and the write", "three"]
    ledger = journal.load(channel.path)
    assert isinstance(ledger, Ledger) and ledger.accepted_end == channel.path.stat().st_size
    assert channel.verify().ok


def test_entries_after_reads_through_a_long_journal_line(channel: Channel, tmp_path: Path) -> None:
    """An accept record longer than the chunk the journal is read back in."""
    by_hand(channel.path, "".join(f"\n### Answer {n} from hand\nb{n}\n" for n in range(1, 3001)))
    assert channel.check().integrity == "ok"
    assert max(len(line) for line in journal.ledger_path(channel.path).read_bytes().splitlines()) > 65536
    channel.answer("last", author="site-b")
    got = reading.entries_after(channel.path, 2)
    assert [e.number for e in got] == list(range(3, 3002)) and got[-1].body == "last"


def test_the_whole_file_is_read_only_when_compose_asks_for_it(channel: Channel) -> None:
    """A reply to a request reads the header from ``Before.data``, read on first use under the lock;
    once the lock is let go the view cannot be read (its descriptor is closed)."""
    big(channel, 50)
    kept: list[writer.Before] = []

    def compose(before: writer.Before) -> bytes:
        kept.append(before)
        assert before.data.endswith(before.tail) and len(before.data) == before.size
        return (before.separator + "### Answer 51 from hand\nby compose\n").encode()

    writer.append(channel.path, compose)
    with pytest.raises(CollabError, match="holds the lock"):
        kept[0]._data = None  # as if never read
        _ = kept[0].data
    entry = channel.answer("re the first request", author="site-b", re=Ref("request", 1))
    assert entry.re == Ref("request", 1) and channel.verify().ok


def test_a_wait_on_a_closed_channel_reads_receipts_and_summary_from_the_tail(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wait that returns with receipts and the closing parses no whole channel: the receipts'
    labels come from the entries after the first one read, the summary from the closing line on."""
    big(channel)
    a, b = channel.seat("site-a"), channel.seat("site-b")
    mine = a.answer("mine").entry
    assert mine in b.wait(timeout=30, settle=0).entries  # b's wait is a's receipt
    b.close("Agreed.")
    whole = spy(monkeypatch, format, "parse")
    parsed = spy(monkeypatch, format, "parse_tail")
    waited = a.wait(timeout=30, settle=0)
    assert waited.closed and waited.closing is not None and waited.closing.summary == "Agreed."
    assert [(r.index, r.label, r.read_by) for r in waited.read] == [(mine.index, mine.label, ("site-b",))]
    assert not whole
    assert parsed and all(len(args[0]) < SMALL for args, _ in parsed)
    with pytest.raises(CollabError, match="--after 999"):
        a.wait(timeout=0, after=999)
    assert not whole


def test_a_join_message_reads_the_header_not_the_entries(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    """``join`` needs the task, the path and whether the channel is closed: the tail is parsed, not
    every entry; the message and header are those a full read gives."""
    big(channel)
    full = channel.read()
    expected = channel.join_message(full)
    whole = spy(monkeypatch, format, "parse")
    parsed = spy(monkeypatch, format, "parse_tail")
    assert channel.join_message() == expected
    outline = channel.outline()
    assert outline.closed is None and outline.header == full.header
    assert not whole
    assert parsed and all(len(args[0]) < SMALL for args, _ in parsed)
