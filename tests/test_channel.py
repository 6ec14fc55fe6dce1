import os
import re
import stat
import warnings
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collab.channel import Channel
from collab.errors import ChannelClosed, ChannelFormatError, ChannelRefused, EntryTooLarge, UsageError
from collab.ledger.founding import new_id
from collab.ledger.wal import LedgerWarning
from collab.text.format import parse
from collab.text.grammar import Ref
from collab.text.limits import MAX_ENTRY_BYTES
from tests.conftest import NOW
from tests.text.test_format import ORIGINAL

LATER = datetime(2026, 6, 22, 14, 2, 11, tzinfo=UTC)


def test_create_writes_the_template(channel):
    data = channel.path.read_bytes()
    assert channel.path.name == "collab-k3x9q2ab.md"
    assert stat.S_IMODE(os.stat(channel.path).st_mode) == 0o600
    assert data.endswith(b"\n## Answers\n")
    document = parse(data)
    assert document.header.channel_id == "k3x9q2ab"
    assert document.header.created == "2026-06-22T13:58:04Z"
    assert document.header.creator == "site-a"
    assert document.header.context == "Both sides run plugin X."
    assert [r.number for r in document.header.requests] == [1, 2]
    assert document.entries == ()


def test_ids_are_random_and_long_enough():
    ids = {new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[a-z0-9]{8}", i) for i in ids)


def test_create_never_overwrites(tmp_path):
    taken = tmp_path / "collab-aaaaaaaa.md"
    taken.write_text("precious")
    with pytest.raises(ChannelRefused, match="already exists"):
        Channel.create("task", author="a", directory=tmp_path, id_source=lambda: "aaaaaaaa")
    assert taken.read_text() == "precious"


def test_create_refuses_a_planted_symlink(tmp_path):
    target = tmp_path / "target"
    target.write_text("precious")
    (tmp_path / "collab-bbbbbbbb.md").symlink_to(target)
    with pytest.raises(ChannelRefused):
        Channel.create("task", author="a", directory=tmp_path, id_source=lambda: "bbbbbbbb")
    assert target.read_text() == "precious"


def test_create_rejects_empty_task(tmp_path):
    with pytest.raises(UsageError, match="task is empty"):
        Channel.create("  \n ", author="a", directory=tmp_path)


def test_hostile_task_cannot_fake_the_answers_line(tmp_path):
    task = "Do it\n\n## Answers\n\n### Answer 1 (2026-01-01T00:00:00Z) from mallory\nforged"
    created = Channel.create(task, author="a", directory=tmp_path, requests=["one"])
    document = created.read()
    assert document.entries == ()
    assert document.header.task == task
    assert [r.text for r in document.header.requests] == ["one"]


def test_answers_and_questions_are_numbered_in_order(channel):
    first = channel.answer("Version 2.1.0", author="site-b", re=Ref("request", 1), now=LATER)
    question = channel.ask("Body or headers?", author="site-b", now=LATER)
    second = channel.answer("Only headers.", author="site-a", re=Ref("question", 1), now=LATER)
    assert (first.number, question.number, second.number) == (1, 1, 2)
    assert (first.index, question.index, second.index) == (1, 2, 3)
    text = channel.path.read_text()
    assert text.count("\n## Questions\n") == 1
    assert "### Answer 1 (2026-06-22T14:02:11Z) from site-b re Request 1\nVersion 2.1.0\n" in text
    assert "### Answer 2 (2026-06-22T14:02:11Z) from site-a re Question 1\nOnly headers.\n" in text
    document = channel.read()
    assert [e.to_json() for e in document.entries] == [e.to_json() for e in (first, question, second)]
    data = channel.path.read_bytes()
    assert data[second.start : second.end].decode().startswith("### Answer 2")
    channel.ask("another", author="site-b", now=LATER)
    assert channel.path.read_text().count("\n## Questions\n") == 1


def test_append_to_the_original_style_file_keeps_every_byte(tmp_path):
    path = tmp_path / "collab-orig.md"
    path.write_bytes(ORIGINAL)
    os.chmod(path, 0o600)
    with pytest.warns(LedgerWarning, match="had no ledger"):
        entry = Channel(path).answer("Headers: X-Sig, X-Time", author="site-b", re=Ref("request", 2), now=LATER)
    data = path.read_bytes()
    assert data.startswith(ORIGINAL)
    assert entry.number == 2
    assert data[len(ORIGINAL) :] == (
        b"\n### Answer 2 (2026-06-22T14:02:11Z) from site-b re Request 2\nHeaders: X-Sig, X-Time\n\n"
    )


def test_append_after_a_file_without_final_newline(tmp_path):
    path = tmp_path / "collab-nonl.md"
    path.write_bytes(ORIGINAL.rstrip(b"\n"))
    with pytest.warns(LedgerWarning, match="had no ledger"):
        Channel(path).answer("next", author="b", now=LATER)
    assert [e.body for e in Channel(path).read().entries] == [
        "Plugin X is active. Version 2.1.0. Matches mine.",
        "next",
    ]


def test_append_closes_a_fence_left_open_by_hand(tmp_path):
    path = tmp_path / "collab-open.md"
    original = ORIGINAL + b"```python\nprint(1)\n"
    path.write_bytes(original)
    with pytest.warns(LedgerWarning, match="had no ledger"):
        Channel(path).answer("after the fence", author="b", now=LATER)
    data = path.read_bytes()
    assert data.startswith(original)
    entries = Channel(path).read().entries
    assert [e.number for e in entries] == [1, 2]
    assert entries[1].body == "after the fence"


def test_hostile_body_stays_one_entry(channel):
    hostile = "```\n### Answer 9 (2026-01-01T00:00:00Z) from mallory\n\n## Closed\n\nQuestions\n---\n<!--"
    channel.answer(hostile, author="site-b", now=LATER)
    channel.answer("next", author="site-a", now=LATER)
    document = channel.read()
    assert [(e.number, e.body) for e in document.entries] == [(1, hostile), (2, "next")]
    assert document.closed is None and document.warnings == ()


def test_closed_channel_refuses_appends(channel):
    assert channel.close(author="site-a", now=LATER) is True
    assert channel.close(author="site-a", now=LATER) is False
    before = channel.path.read_bytes()
    with pytest.raises(ChannelClosed, match="closed"):
        channel.answer("late", author="b")
    assert channel.path.read_bytes() == before
    assert before.endswith(b"\n## Closed (2026-06-22T14:02:11Z) by site-a\n")


def test_empty_and_oversized_bodies_are_refused(channel):
    before = channel.path.read_bytes()
    with pytest.raises(UsageError, match="empty"):
        channel.answer(" \n\n ", author="b")
    with pytest.raises(EntryTooLarge, match="entry limit"):
        channel.answer("x" * (MAX_ENTRY_BYTES + 1), author="b")
    assert channel.path.read_bytes() == before


def test_a_one_mebibyte_entry_is_accepted(channel):
    body = ("0123456789abcdef" * 64 + "\n") * 1024
    channel.answer(body, author="b")
    assert channel.read().entries[0].body == body.rstrip()


def test_appending_to_a_file_that_is_not_a_channel_changes_nothing(tmp_path):
    path = tmp_path / "collab-notes.md"
    path.write_text("# notes\n\nno answers line\n")
    with pytest.raises(ChannelFormatError):
        Channel(path).answer("x", author="b")
    assert path.read_text() == "# notes\n\nno answers line\n"


def test_join_message_and_protocol_are_self_contained(channel):
    """The join message holds the three commands; the file's Protocol section the whole by-hand form."""
    import re

    message = re.sub(r" \\\n +", " ", channel.join_message())  # long commands go on after a backslash
    path = str(channel.path)
    assert f"collab answer {path} --re request:N -" in message
    assert f"collab ask {path} -" in message
    assert f"collab wait {path}" in message
    assert "Align the auth handshake" in message
    protocol = " ".join(channel.path.read_text().split("## Protocol", 1)[1].split("\n## Answers\n")[0].split())
    assert "### Answer N (YYYY-MM-DDTHH:MM:SSZ) from YOUR-NAME re Request M" in protocol


bodies = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=120)


def _written_visibly(text: str) -> str:
    """What the writer must put in the file for ``text``, worked out here and not by collab's code:
    a C0 control but newline and tab as its Control Picture (U+2400 + code), DEL as U+2421, a C1
    control as ``<U+XXXX>``; every other character as it is."""
    out = []
    for char in text:
        code = ord(char)
        if code < 0x20 and char not in "\n\t":
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif 0x80 <= code <= 0x9F:
            out.append(f"<U+{code:04X}>")
        else:
            out.append(char)
    return "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["answer", "question"]), bodies), min_size=1, max_size=5))
def test_appends_never_change_earlier_bytes_and_bodies_read_back(tmp_path, appends):
    created = Channel.create("task", author="a", directory=tmp_path, now=NOW)
    expected = []
    from collab.text.blocks import normalize_body

    for kind, body in appends:
        before = created.path.read_bytes()
        visible = _written_visibly(normalize_body(body))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                created.append(kind, body, author="b", now=NOW)
            except UsageError:
                assert not body.strip()
                continue
        # a body's terminal controls are written visibly, and then (only then) the writer says so
        said = [str(w.message) for w in caught]
        assert said == (
            [f"the {kind} held terminal control characters: they were written as visible symbols (ESC as ␛)"]
            if visible != normalize_body(body)
            else []
        ), said
        assert created.path.read_bytes().startswith(before)
        expected.append((kind, visible))
    document = created.read()
    assert [(e.kind, e.body) for e in document.entries] == expected
    created.path.unlink()
