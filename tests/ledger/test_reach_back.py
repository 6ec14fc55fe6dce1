"""Nothing a hand writer appends changes an entry already accepted (attack D2, D3; contract 7.1).

collab ends every entry with a blank line, so no block construct a hand writer begins with (a
setext underline, a lazy line, a list, quote or table line) can reach back into its body; and a
writer holds off while a hand entry at the end is still being written, so the hand entry's lines
stay under its own heading. Both hold for collab's reading and for CommonMark's (markdown-it-py).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from collab.channel import Channel
from collab.text import format
from tests.conftest import NOW, collab_bin
from tests.ledger.test_hand_writers import by_hand

#: The first lines a hand append may begin with, each a block construct that can continue or
#: reinterpret the block before it when no blank line ends that block.
OPENERS = [
    "---\n",
    "===\n",
    "- item\n",
    "* item\n",
    "1. item\n",
    "> quote\n",
    "| a | b |\n",
    "|---|---|\n",
    "lazy line\n",
    "    indented\n",
    "\n",
    "",
]


def sections(data: bytes) -> dict[str, list[tuple[str, str]]]:
    """Each entry heading's blocks as markdown-it-py (CommonMark) reads the whole file: ``(type, content)``."""
    tokens = MarkdownIt("commonmark").parse(data.decode("utf-8"))
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    heading_parts = 0
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0:
            text = tokens[i + 1].content.strip()
            current = found.setdefault(text, []) if token.tag == "h3" else None
            heading_parts = 2  # its inline text and its closing token
        elif heading_parts:
            heading_parts -= 1
        elif current is not None and token.level <= 1:
            current.append((token.type, token.content))
    return found


@pytest.mark.parametrize("opener", [o for o in OPENERS if o.strip()])
def test_a_hand_append_never_reaches_back_into_a_collab_entry(
    channel: Channel, subprocess_env: dict[str, str], opener: str
) -> None:
    """Attack D2 and its variants: Answer 1 keeps its text and its paragraph, for collab and CommonMark."""
    written = subprocess.run(
        [collab_bin(), "answer", str(channel.path), "--as", "alice", "Plugin X is version 2.1.0"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert written.returncode == 0, written.stderr
    heading = next(iter(sections(channel.path.read_bytes())))
    by_hand(channel.path, f"{opener}### Answer 2 from bob\nthanks\n")
    shown = subprocess.run(
        [collab_bin(), "show", str(channel.path), "--json"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    document = json.loads(shown.stdout)
    first, second = document["entries"]
    assert first["body"].startswith("Plugin X is version 2.1.0") and second["body"] == "thanks"
    assert not [w for w in document["warnings"] if "unexpected heading" in w]
    blocks = sections(channel.path.read_bytes())
    assert blocks[heading][:3] == [
        ("paragraph_open", ""),
        ("inline", "Plugin X is version 2.1.0"),
        ("paragraph_close", ""),
    ]
    assert "Answer 2 from bob" in blocks
    verify = subprocess.run(
        [collab_bin(), "verify", str(channel.path)], env=subprocess_env, capture_output=True, text=True, timeout=60
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _write_slowly(path: Path, pieces: list[str], gap: float) -> threading.Thread:
    def run() -> None:
        for piece in pieces:
            time.sleep(gap)
            by_hand(path, piece)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("first", ["", "Step 0\n"], ids=["heading-alone", "heading-and-a-line"])
def test_a_hand_entry_written_a_line_at_a_time_keeps_its_body(
    channel: Channel, subprocess_env: dict[str, str], first: str
) -> None:
    """Attack D3: the hand heading lands, ``collab answer`` starts, then the body follows line by line,
    the last line without its newline for a while. Every hand line stays under the hand heading."""
    by_hand(channel.path, f"\n### Answer 1 (2026-11-23T10:00:00Z) from bob\n{first}")
    writer = subprocess.Popen(
        [collab_bin(), "answer", str(channel.path), "--as", "alice", "collab body"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        hand = _write_slowly(channel.path, ["Step 1\n", "Step 2\n", "Step 3\n", "no newline", " yet\n"], 0.3)
        hand.join()
        _out, err = writer.communicate(timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(10)
    assert writer.returncode == 0, err
    hand_entry, collab_entry = format.parse(channel.path.read_bytes()).entries
    assert hand_entry.body == f"{first}Step 1\nStep 2\nStep 3\nno newline yet"
    assert (collab_entry.author, collab_entry.body) == ("alice", "collab body")


def test_a_hand_entry_that_never_finishes_is_refused_with_nothing_written(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """A hand heading whose line keeps growing for the whole lock timeout: the writer refuses (exit 1)."""
    by_hand(channel.path, "\n### Answer 1 from bob\npart")
    before = channel.path.read_bytes()
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.2):
            by_hand(channel.path, ".")

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        started = time.monotonic()
        result = subprocess.run(
            [collab_bin(), "answer", str(channel.path), "--as", "alice", "mine"],
            env=subprocess_env | {"COLLAB_LOCK_TIMEOUT": "1.5"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 1 and "still being written" in result.stderr, result.stderr
    assert elapsed >= 1.5
    data = channel.path.read_bytes()
    assert data.startswith(before) and b"mine" not in data and set(data[len(before) :]) <= {ord(".")}


@pytest.mark.parametrize("settle", ["0", None])
def test_a_whole_hand_entry_holds_a_writer_off_only_briefly(
    channel: Channel, subprocess_env: dict[str, str], settle: str | None
) -> None:
    """A hand entry appended whole (heading, body, newline) costs a writer at most the pause; none with settle 0."""
    env = {k: v for k, v in subprocess_env.items() if k != "COLLAB_SETTLE"} | (
        {"COLLAB_SETTLE": settle} if settle else {}
    )
    started = time.monotonic()  # before the hand append: the pause counts from it
    by_hand(channel.path, "\n### Answer 1 from bob\nwhole\n")
    result = subprocess.run(
        [collab_bin(), "answer", str(channel.path), "--as", "alice", "mine"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert [e.body for e in format.parse(channel.path.read_bytes()).entries] == ["whole", "mine"]
    if settle is None:
        assert elapsed >= 0.9  # a lower bound: the default 1 s pause, less the file clock's granularity
    assert elapsed < 30  # 30x the median (1.01 s, idle or on a busy 2-core machine)


hand_append = st.tuples(
    st.just("hand"),
    st.sampled_from(OPENERS),
    st.booleans(),  # a heading of its own after the opener
    st.sampled_from(["body", "- a\n- b", "> q", "| x |\n|---|\n| y |", "para\nlazy"]),
    st.booleans(),  # final newline
    st.integers(1, 3),  # written in this many pieces
)
collab_append = st.tuples(
    st.just("collab"),
    st.sampled_from(["answer", "question"]),
    st.sampled_from(["Plugin X is version 2.1.0", "- one\n- two", "> quoted", "| a |\n|---|\n| b |", "a\nb"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(hand_append, collab_append), min_size=1, max_size=8))
def test_no_interleaving_changes_an_accepted_entry(tmp_path: Path, steps: list[tuple[object, ...]]) -> None:
    """After every step, every entry that was final before it (written by collab, or followed by a later
    entry) keeps its heading and its body's text and blocks, as collab and markdown-it-py read them."""
    channel = Channel.create("property", author="site-a", requests=["one"], directory=tmp_path, now=NOW)
    final: dict[int, tuple[str, str, list[tuple[str, str]]]] = {}
    try:
        for n, step in enumerate(steps):
            if step[0] == "hand":
                _, opener, headed, body, newline, pieces = step
                text = str(opener) + (f"### Answer 7 from hand{n}\n{body}" if headed else str(body))
                text += "\n" if newline else ""
                cuts = sorted({len(text) * i // int(pieces) for i in range(1, int(pieces))})
                for begin, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
                    by_hand(channel.path, text[begin:end])
            else:
                _, kind, body = step
                try:
                    channel.append(str(kind), str(body), author="b")
                except Exception as exc:  # a hand '## Closed' or an open block collab cannot close
                    assert type(exc).__name__ in ("ChannelClosed", "ChannelFormatError"), exc
            data = channel.path.read_bytes()
            entries = channel.check().document.entries
            blocks = sections(data)
            for index, (heading, body_then, blocks_then) in final.items():
                now = entries[index - 1]
                assert now.heading == heading and now.body.startswith(body_then)
                title = heading.lstrip("#").strip()
                assert blocks.get(title, [])[: len(blocks_then)] == blocks_then
            for e in entries:
                title = e.heading.lstrip("#").strip()
                if e.index not in final and (e.author == "b" or e.index < len(entries)) and title in blocks:
                    final[e.index] = (e.heading, e.body, blocks[title])
    finally:
        for path in (channel.path, *Path(os.environ["COLLAB_STATE_DIR"]).glob(f"{channel.path.stem}-*")):
            path.unlink()


@pytest.mark.parametrize(
    ("body", "opener"),
    [("- one\n- two", "- item\n"), ("1. one\n2. two", "3. three\n"), ("text\n\n    code", "    more code\n"),
     ("- one\n- two", "  continued\n")],
)  # fmt: skip
def test_a_list_or_indented_code_ends_with_the_entry(channel: Channel, body: str, opener: str) -> None:
    """A blank line does not end a list or indented code (CommonMark 5.2, 4.4): collab's end mark does,
    and no view shows the mark."""
    entry = channel.answer(body, author="alice")
    heading = next(iter(sections(channel.path.read_bytes())))
    before = sections(channel.path.read_bytes())[heading]
    by_hand(channel.path, f"{opener}### Answer 2 from bob\nthanks\n")
    now = sections(channel.path.read_bytes())[heading]
    assert now[: len(before)] == before and before[-1][0] == "html_block"
    assert channel.read().entries[0].body.startswith(body) and entry.body == body
    assert "collab: end of entry" not in channel.read().entries[0].body
