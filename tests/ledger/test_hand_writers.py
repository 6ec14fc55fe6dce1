"""Hand writers (issue 11; contract section 7, points 1-6): one view of the channel, nothing lost.

Each test holds one promise for a peer that appends by hand, as the join message invites it to.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from collab.channel import Channel
from collab.cli import app
from collab.errors import ChannelClosed, ChannelFormatError, UsageError
from collab.ledger import journal, wal
from collab.live.follower import Follower
from collab.store import files
from collab.text import format
from collab.text.grammar import is_entry_heading
from tests.conftest import NOW


def by_hand(path: Path, text: str | bytes) -> None:
    """Append as an agent's file tool or ``cat >>`` does: no lock, one write."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, text.encode() if isinstance(text, str) else text)
    finally:
        os.close(fd)


def entries(channel: Channel) -> list[tuple[str, int, str]]:
    return [(e.kind, e.number, e.body) for e in channel.check().document.entries]


@pytest.mark.parametrize("fence", ["```python", "~~~"])
def test_an_unclosed_fence_in_a_hand_entry_costs_no_later_entry(
    channel: Channel, runner: CliRunner, fence: str
) -> None:
    """The writer closes the fence, and every reader sees the entries it wrote after it."""
    by_hand(channel.path, f"\n### Answer 1 (2026-11-23T10:00:00Z) from site-b\nHere is my code:\n{fence}\nprint(1)\n")
    assert channel.answer("Thanks", author="site-a").number == 2
    assert channel.answer("Another", author="site-a").number == 3
    assert channel.close(author="site-a")
    assert [(n, b.split("\n")[0]) for _, n, b in entries(channel)] == [
        (1, "Here is my code:"),
        (2, "Thanks"),
        (3, "Another"),
    ]
    status = json.loads(runner.invoke(app, ["status", channel.id, "--json"]).stdout)
    assert status["state"] == "closed" and status["counts"] == {"answers": 3, "questions": 0}
    result = runner.invoke(app, ["answer", channel.id, "after the close", "--as", "x"])
    assert result.exit_code == 1 and "closed" in result.stderr
    shown = json.loads(runner.invoke(app, ["show", channel.id, "--json"]).stdout)
    assert not [w for w in shown["warnings"] if "outside any entry" in w]
    assert channel.verify().ok


@pytest.mark.parametrize("ending", ["no final newline", "CR line ends", "CRLF line ends"])
def test_a_hand_entry_is_counted_however_its_lines_end(channel: Channel, ending: str) -> None:
    """No number is reused after a hand entry without a final newline, or with CR or CRLF line ends."""
    text = "\n### Answer 1 from site-b\nfirst line\nsecond line\n"
    if ending == "no final newline":
        text = text.rstrip("\n")
    elif ending == "CR line ends":
        text = text.replace("\n", "\r")
    else:
        text = text.replace("\n", "\r\n")
    by_hand(channel.path, text)
    assert channel.answer("by collab", author="site-a").number == 2
    assert entries(channel) == [("answer", 1, "first line\nsecond line"), ("answer", 2, "by collab")]
    assert channel.verify().ok


def test_a_nul_in_a_body_is_refused_before_anything_is_written(channel: Channel, runner: CliRunner) -> None:
    """Contract 7.4: a body collab could not read back is refused, and the file is unchanged."""
    before = channel.path.read_bytes()
    with pytest.raises(UsageError, match="NUL"):
        channel.answer("a\0b", author="site-b")
    result = runner.invoke(app, ["answer", channel.id, "-", "--as", "b"], input=b"a\0b\n")
    assert result.exit_code == 2 and "NUL" in result.stderr and result.stderr.count("\n") == 1
    assert channel.path.read_bytes() == before
    assert runner.invoke(app, ["verify", channel.id]).exit_code == 0


@pytest.mark.parametrize("bad", [b"a\0b\n", b"caf\xe9\n", b"\xff\xfe\n"], ids=["NUL", "latin-1", "binary"])
def test_unreadable_bytes_by_hand_never_lock_anyone_out(channel: Channel, runner: CliRunner, bad: bytes) -> None:
    """Contract 7.4: commands serve the history before the damage; writers refuse; repair cuts it aside."""
    channel.answer("before the damage", author="site-b", now=NOW)
    by_hand(channel.path, b"\n### Answer 2\n" + bad)
    damaged = channel.path.read_bytes()
    shown = runner.invoke(app, ["show", channel.id, "--json"])
    assert shown.exit_code == 0 and "cannot be read" in shown.stderr + shown.stdout
    assert [e["body"] for e in json.loads(shown.stdout)["entries"]] == ["before the damage", ""]
    refused = runner.invoke(app, ["answer", channel.id, "more", "--as", "a"])
    assert refused.exit_code == 1 and "collab repair" in refused.stderr and refused.stderr.count("\n") == 1
    assert channel.path.read_bytes() == damaged
    assert runner.invoke(app, ["verify", channel.id]).exit_code == 4
    repaired = runner.invoke(app, ["repair", channel.id])
    assert repaired.exit_code == 0, repaired.stderr
    kept = [p for p in channel.path.parent.iterdir() if ".unreadable-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    assert runner.invoke(app, ["answer", channel.id, "service restored", "--as", "a"]).exit_code == 0
    assert runner.invoke(app, ["verify", channel.id]).exit_code == 0
    assert [b for _, _, b in entries(channel)] == ["before the damage", "", "service restored"]


def test_a_tail_past_the_size_limit_is_served_up_to_it(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Contract 7.4: a channel that grew past the limit by hand keeps serving what is before it."""
    channel.answer("kept", author="site-b")
    size = channel.path.stat().st_size
    monkeypatch.setattr(files, "MAX_CHANNEL_BYTES", size + 100)
    by_hand(channel.path, "\n### Answer 2\n" + "x" * 500 + "\n")
    document = channel.check().document
    assert document.entries[0].body == "kept" and document.damage is not None
    assert "over the" in document.damage.reason
    with pytest.raises(ChannelFormatError, match="nothing was written"):
        channel.answer("refused", author="site-a")


def test_the_entry_stands_and_the_command_exits_0_when_the_ledger_cannot_follow(
    channel: Channel, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contract 7.3: once the entry is in the channel, a failing ledger update is a warning, not exit 1."""

    real = files.append_checked

    def full_disk(path: Path, size: int, data: bytes) -> None:
        if path.name.endswith(".accepted"):  # the copy of the accepted bytes, written after the entry
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, size, data)

    monkeypatch.setattr(files, "append_checked", full_disk)
    with pytest.warns(wal.LedgerWarning, match="the entry was appended, but the ledger could not record it"):
        result = runner.invoke(app, ["answer", channel.id, "posted once", "--as", "b"])
    assert result.exit_code == 0, result.stderr
    monkeypatch.setattr(files, "append_checked", real)  # not undo(): that would drop the test's state dir too
    assert [b for _, _, b in entries(channel)] == ["posted once"]
    assert channel.verify().ok


def test_a_write_that_fails_part_way_leaves_nothing(
    channel: Channel, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contract 7.3: a command that fails before its entry stands exits 1 and wrote nothing."""
    before = channel.path.read_bytes()
    real = files.write_all

    def half_then_full(fd: int, data: bytes) -> None:
        if len(data) > 40 and b"### Answer" in data:
            os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(files, "write_all", half_then_full)
    result = runner.invoke(app, ["answer", channel.id, "x" * 100, "--as", "b"])
    assert result.exit_code == 1 and "nothing was written" in result.stderr
    monkeypatch.setattr(files, "write_all", real)
    assert channel.path.read_bytes() == before
    assert channel.answer("next", author="b").number == 1
    assert channel.verify().ok


def test_a_ledger_cut_short_is_never_reported_intact(channel: Channel, runner: CliRunner) -> None:
    """Issue 11: edit a body, then cut the ledger to its first line: verify still exits 4."""
    channel.answer("the words as written", author="site-b")
    channel.answer("later", author="site-b")
    path = channel.path
    path.write_bytes(path.read_bytes().replace(b"the words as written", b"the words as rewritten"))
    ledger = journal.ledger_path(path)
    ledger.write_bytes(ledger.read_bytes().split(b"\n")[0] + b"\n")
    for _ in range(2):
        result = runner.invoke(app, ["verify", channel.id])
        assert result.exit_code == 4 and "Answer 1 body" in result.stdout
    assert runner.invoke(app, ["answer", channel.id, "more", "--as", "b"]).exit_code == 4


@pytest.mark.parametrize(
    "text",
    [
        "\n### Answer 999999999 from site-b\nhuge number\n",
        "\n### Answer 1 (0001-01-01T00:00:00+01:00) from site-b\nbefore time\n",
        "\n### Answer 1 re" + " " * 40_000 + "x\nlong heading\n",
    ],
    ids=["huge number", "timestamp before year 1", "long heading"],
)
def test_one_odd_heading_breaks_no_command(channel: Channel, runner: CliRunner, text: str) -> None:
    """Issue 11: headings that once crashed every command (memory, OverflowError) read with a warning."""
    by_hand(channel.path, text)
    for args in (
        ["show", channel.id, "--json"],
        ["status", channel.id, "--json"],
        ["ls", "--json"],
        ["verify", channel.id],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.stderr)
    assert runner.invoke(app, ["answer", channel.id, "next", "--as", "a"]).exit_code == 0
    assert runner.invoke(app, ["show", channel.id, "--json"]).exit_code == 0


def test_a_body_with_a_setext_heading_and_a_list_reads_back(channel: Channel) -> None:
    """Issue 11: the body 'text\\n===\\n- item' once raised KeyError: it is written and read back exactly."""
    channel.answer("text\n===\n- item", author="site-b")
    assert entries(channel) == [("answer", 1, "text\n===\n- item")]


# --- one view, whatever the interleaving --------------------------------------------------------------

HAND_BODIES = [
    "plain words",
    "Here is my code:\n```python\nprint(1)",
    "~~~\nunclosed tilde fence",
    "<div>\n<p>an HTML block",
    "<!-- an open comment",
    "<pre>\npreformatted",
    "> quoting you\n## Closed (2026-11-23T10:00:00Z) by site-a",
    "> a quote\n### Answer 50 (2026-11-23T10:00:00Z) from site-a",
    "- see list\n<pre>",
    "Title\n---\nunder a setext heading",
    "    indented ### Answer 60",
    "text\n===\n- item",
]
COLLAB_BODIES = [*HAND_BODIES, "```\n### Answer 9\n```", "## Answers", "<script>alert(1)</script>"]

hand_append = st.tuples(
    st.just("hand"),
    st.sampled_from(["Answer", "Question"]),
    st.sampled_from(HAND_BODIES),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),  # final newline
    st.integers(1, 3),  # written in this many pieces
)
collab_append = st.tuples(st.sampled_from(["answer", "ask"]), st.sampled_from(COLLAB_BODIES))
operations = st.lists(st.one_of(hand_append, collab_append), min_size=1, max_size=7)


def commonmark_entries(data: bytes) -> list[str]:
    """Entry headings below the answers line, as markdown-it-py (CommonMark) reads the whole file."""
    tokens = MarkdownIt("commonmark").parse(data.decode("utf-8"))
    headings = [
        (t.tag, tokens[i + 1].content.strip())
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0
    ]
    after = headings[[h for _, h in headings].index("Answers") + 1 :]
    return [text for tag, text in after if tag == "h3" and is_entry_heading(text)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_every_view_agrees_for_any_interleaving(tmp_path: Path, steps: list[tuple[object, ...]]) -> None:
    """Contract 7.1: the ledger's index, the follower and numbering equal a full parse and CommonMark."""
    channel = Channel.create("property", author="site-a", requests=["one"], directory=tmp_path, now=NOW)
    follower = Follower(channel.path, after=0)
    follower.start()
    collab_numbers: list[tuple[str, int, int]] = []
    try:
        for step in steps:
            if step[0] == "hand":
                _, kind, body, newline, final, pieces = step
                text = f"\n### {kind} 7 from hand\n{body}" + ("\n" if final else "")
                text = text.replace("\n", str(newline))
                cuts = sorted({len(text) * i // int(pieces) for i in range(1, int(pieces))})
                for begin, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
                    by_hand(channel.path, text[begin:end])
                    follower.refresh(settled=False)
                    channel.check()  # accepts what is complete, as any command would
            else:
                kind, body = step
                before = channel.read().counters
                try:
                    entry = channel.append("answer" if kind == "answer" else "question", str(body), author="b")
                except ChannelClosed:  # a hand entry's '## Closed' line closed it, for every reader
                    assert before.closed is not None
                    continue
                highest = before.answers if entry.kind == "answer" else before.questions
                collab_numbers.append((entry.kind, entry.number, highest))
            follower.refresh(settled=True)
        by_hand(channel.path, "\n")  # ends any unfinished hand line
        follower.refresh(settled=True)
        data = channel.path.read_bytes()
        full = format.parse(data)
        indexed = channel.check().document
        assert indexed.entries == full.entries and indexed.warnings == full.warnings
        assert [e.heading.lstrip("#").strip() for e in full.entries] == commonmark_entries(data)
        assert [label for label, _ in follower._seen.delivered] == [e.label for e in full.entries]  # type: ignore[union-attr]
        assert all(number == highest + 1 for _, number, highest in collab_numbers)
        assert channel.verify().ok
    finally:
        for path in (channel.path, *Path(os.environ["COLLAB_STATE_DIR"]).glob(f"{channel.path.stem}-*")):
            path.unlink()


def test_ls_reads_cheaply_and_counts_as_a_full_parse(channel: Channel, runner: CliRunner) -> None:
    """Issue 12: ls parses only from each channel's checkpoint, and still counts every entry."""
    for i in range(3):
        channel.answer(f"collab {i}", author="site-a")
    by_hand(channel.path, "\n### Question 1 from site-b\nby hand, with code\n```\nx\n```\n")
    runner.invoke(app, ["status", channel.id])  # accepts the hand entry
    by_hand(channel.path, "\n### Answer 9 (2026-11-23T11:00:00Z)\nlast\n")
    listed = json.loads(runner.invoke(app, ["ls", "--json"]).stdout)["channels"][0]
    full = format.parse(channel.path.read_bytes())
    assert listed["entries"] == len(full.entries) == 5
    assert listed["last_activity"] == max(e.timestamp for e in full.entries if e.timestamp)


def test_join_message_paths_work_in_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: the paths given to the other side are absolute and quoted for the shell."""
    import shlex

    spaced = tmp_path / "my channels"
    spaced.mkdir()
    monkeypatch.chdir(tmp_path)
    channel = Channel.create("a task", author="a", directory="my channels", now=NOW)
    message = channel.join_message()
    logical = message.replace("\\\n", " ")  # a long command goes on over backslash-newlines
    line = next(line for line in logical.splitlines() if line.strip().startswith("collab answer"))
    assert shlex.split(line)[2] == str(spaced / channel.path.name)
    assert shlex.quote(str(spaced / channel.path.name)) in channel.path.read_text()


def test_a_directory_with_a_line_break_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """Issue 12: a --dir holding a newline and '## Answers' cannot put an answers line in a header."""
    bad = tmp_path / "x\n## Answers\ny"
    bad.mkdir()
    result = runner.invoke(app, ["start", "a task", "--dir", str(bad)])
    assert result.exit_code == 2 and "control character" in result.stderr
    assert list(bad.iterdir()) == []


def test_a_ledger_replaced_by_a_link_is_reported_with_the_way_out(channel: Channel, runner: CliRunner) -> None:
    """Issue 12: a symlinked ledger is a damaged ledger (never followed), and the message says what to do."""
    ledger = journal.ledger_path(channel.path)
    ledger.unlink()
    ledger.symlink_to("/etc/passwd")
    result = runner.invoke(app, ["verify", channel.id])
    assert result.exit_code == 4 and "--accept-current" in result.stderr and "real path" not in result.stderr
    with pytest.warns(wal.LedgerWarning, match="is not a plain file of yours"):  # writers go on without it
        assert runner.invoke(app, ["answer", channel.id, "still written", "--as", "b"]).exit_code == 0
    assert runner.invoke(app, ["repair", "--accept-current", channel.id]).exit_code == 0
    assert not ledger.is_symlink() and runner.invoke(app, ["verify", channel.id]).exit_code == 0


def test_many_crossed_entries_are_summed_up_not_listed(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """answer names at most 10 crossed entries on stderr, then how many more (--json lists them all)."""
    import subprocess

    from tests.conftest import collab_bin

    by_hand(channel.path, "".join(f"\n### Answer {n} from site-b\nhand {n}\n" for n in range(1, 13)))
    result = subprocess.run(
        [collab_bin(), "answer", str(channel.path), "mine", "--as", "site-a"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 11
    assert lines[-1] == "collab: before yours: 2 more entries (not read yet; collab wait returns them)"
