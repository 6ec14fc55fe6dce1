"""The texts agents follow: the join message, the file's Protocol section and /collab (issue 13)."""

import re
import shutil
import subprocess

import pytest

from collab.channel import Channel
from collab.integrations.install import render_command
from collab.text.bodies import title


def _texts(channel: Channel) -> dict[str, str]:
    header = channel.path.read_text().split("\n## Answers\n")[0]
    return {"join": channel.join_message(), "protocol": header.split("## Protocol")[1], "command": render_command()}


def test_by_hand_rules_cover_questions_re_the_blank_line_and_the_lock(channel):
    """The join message and the Protocol section both give the whole by-hand grammar."""
    texts = _texts(channel)
    for name in ("join", "protocol"):
        text = " ".join(texts[name].split())
        for needed in ("### Question N", "re Question M", "## Questions", "blank line", "flock", "highest"):
            assert needed in text, (name, needed)
        assert "last number" not in text


def test_every_text_says_highest_and_gives_paths_not_ids(channel):
    """/collab's watch line names the channel's path; --context is mentioned; --as goes on every command."""
    texts = _texts(channel)
    assert "collab watch PATH" in texts["command"] and "collab watch ID" not in texts["command"]
    assert "--context" in texts["command"]
    assert "`--as NAME` to every command" in " ".join(texts["join"].split())
    assert "run_in_background" in texts["join"] and "run_in_background" in texts["command"]
    assert "collab close PATH -" in texts["command"]


@pytest.fixture(params=["short", "long spaced"])
def placed(request, tmp_path, channel):
    """The fixture's channel, or one in a long directory with spaces and a quote in its name."""
    if request.param == "short":
        return channel
    folder = tmp_path / "a dir with spaces and it's quoted" / ("long-" * 12)
    folder.mkdir(parents=True)
    return Channel.create("Align the auth handshake", author="site-a", requests=["Which version?"], directory=folder)


@pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock is not installed")
def test_the_by_hand_append_in_the_join_message_runs_as_written(placed):
    """The join message's flock line, run by a shell with its placeholders filled in, appends one entry."""
    channel = placed
    message = channel.join_message()
    block = re.search(r"\n    (flock .*?)\n\n(    ### Answer N.*?\n    COLLAB_BODY)\n", message, re.DOTALL)
    assert block is not None
    lines = [block.group(1), ""] + [line[4:] for line in block.group(2).splitlines()]
    script = (
        "\n".join(lines).replace(
            "N (YYYY-MM-DDTHH:MM:SSZ) from YOUR-NAME re Request M", "1 (2026-06-22T14:02:11Z) from site-b re Request 1"
        )
        + "\n"
    )
    subprocess.run(["bash", "-c", script], check=True, timeout=20)
    entries = channel.read().entries
    assert [(e.label, e.author, e.re and e.re.label(), e.body) for e in entries] == [
        ("Answer 1", "site-b", "Request 1", "your answer")
    ]


def test_the_title_is_shortened_at_a_word_boundary():
    """A long task's title ends at a whole word plus an ellipsis, never mid-word."""
    task = "Align the auth plugin handshake between site A and site B so that both ends agree on every header"
    shortened = title(task)
    assert shortened.endswith("…") and len(shortened) <= 80
    assert task.startswith(shortened[:-1]) and task[len(shortened) - 1] == " "
    assert title("short task") == "short task"
    assert len(title("x" * 200)) == 80


def test_the_join_message_is_wrapped_after_its_paths_are_filled_in(placed):
    """Issue 14: no line runs past 100 columns but for an unbreakable path, and every command, joined
    across its backslash continuations, still names the channel as one shell word."""
    import shlex

    message = placed.join_message()
    word = shlex.quote(str(placed.path))
    for line in message.splitlines():
        assert len(line) <= 100 or word in line, line
    logical = message.replace("\\\n", " ")
    commands = [line.strip() for line in logical.splitlines() if line.startswith("    collab ")]
    assert len(commands) >= 5
    for command in commands:
        assert shlex.split(command.split("<<")[0])[2] == str(placed.path), command
    assert "`--re question:N`" in message  # code spans are never split
    for paragraph in message.split("\n\n"):  # filled again, not cut: no stub of a line mid-paragraph
        lines = paragraph.splitlines()
        if len(lines) > 1 and not any(line.startswith((" ", "- ")) for line in lines):
            assert all(len(line) > 60 for line in lines[:-1]), lines
