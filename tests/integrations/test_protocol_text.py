"""The texts agents follow: the join message, the file's Protocol section and /collab."""

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
    """The Protocol section gives the whole by-hand grammar, and the join message points to it."""
    texts = _texts(channel)
    text = " ".join(texts["protocol"].split())
    for needed in ("### Question N", "re Question M", "re Answer M", "## Questions", "blank line", "flock", "highest"):
        assert needed in text, needed
    assert "last number" not in text
    assert "`## Protocol` section has every rule, and how to append by hand" in " ".join(texts["join"].split())


def test_every_text_says_highest_and_gives_paths_not_ids(channel):
    """/collab's watch line names the channel's path; --context is mentioned; --as goes on every command."""
    texts = _texts(channel)
    assert "collab watch PATH" in texts["command"] and "collab watch ID" not in texts["command"]
    assert "--context" in texts["command"]
    assert "`--as NAME` to every command" in " ".join(texts["protocol"].split())
    assert "run_in_background" in texts["protocol"] and "run_in_background" in texts["command"]
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
def test_the_by_hand_append_in_the_protocol_runs_as_written(placed):
    """The Protocol section's flock command and answer heading, run by a shell with the placeholders
    filled in, append one entry: a session without collab needs nothing but the file."""
    channel = placed
    protocol = " ".join(_texts(channel)["protocol"].split())
    command = re.search(r"`(flock .*? <<'COLLAB_BODY')`", protocol)
    heading = re.search(r"`(### Answer N \(YYYY-MM-DDTHH:MM:SSZ\) from YOUR-NAME re Request M)`", protocol)
    assert command is not None and heading is not None
    filled = heading.group(1).replace(
        "N (YYYY-MM-DDTHH:MM:SSZ) from YOUR-NAME re Request M", "1 (2026-06-22T14:02:11Z) from site-b re Request 1"
    )
    subprocess.run(
        ["bash", "-c", f"{command.group(1)}\n\n{filled}\nyour answer\nCOLLAB_BODY\n"], check=True, timeout=20
    )
    entries = channel.read().entries
    assert [(e.label, e.author, e.re and e.re.label(), e.body) for e in entries] == [
        ("Answer 1", "site-b", "Request 1", "your answer")
    ]


def test_the_join_message_fits_an_80_column_screen():
    """At most 25 lines, none past 80 columns, for a channel where channels go by default (/tmp)."""
    channel = Channel.create("Align the auth handshake", author="site-a", requests=["Which?"], directory="/tmp")
    try:
        message = channel.join_message()
    finally:
        channel.remove(force=True)
    assert len(message.splitlines()) <= 25 and max(map(len, message.splitlines())) <= 80
    for command in ("## Protocol", "collab answer", "collab ask", "collab wait", f"collab join {channel.id}"):
        assert command in message, command


def test_the_title_is_shortened_at_a_word_boundary():
    """A long task's title ends at a whole word plus an ellipsis, never mid-word."""
    task = "Align the auth plugin handshake between site A and site B so that both ends agree on every header"
    shortened = title(task)
    assert shortened.endswith("…") and len(shortened) <= 80
    assert task.startswith(shortened[:-1]) and task[len(shortened) - 1] == " "
    assert title("short task") == "short task"
    assert len(title("x" * 200)) == 80


def test_the_join_message_is_wrapped_after_its_paths_are_filled_in(placed):
    """No line runs past 80 columns but for an unbreakable path, and every command, joined across
    its backslash continuations, still names the channel as one shell word."""
    import shlex

    message = placed.join_message()
    word = shlex.quote(str(placed.path))
    for line in message.splitlines():
        assert len(line) <= 80 or word in line, line
    logical = message.replace("\\\n", " ")
    commands = [line.strip() for line in logical.splitlines() if line.startswith("    collab ")]
    assert len(commands) >= 3
    for command in commands:
        assert shlex.split(command.split("<<")[0])[2] == str(placed.path), command
    assert "`--re question:N`" in message  # code spans are never split
    for paragraph in message.split("\n\n"):  # filled again, not cut: no stub of a line mid-paragraph
        lines = paragraph.splitlines()
        if len(lines) > 1 and not any(line.startswith((" ", "- ")) for line in lines):
            assert all(len(line) > 60 for line in lines[:-1]), lines


def test_on_a_narrow_terminal_the_join_message_fits_its_width(channel, subprocess_env):
    """`collab join` on a 60-column terminal wraps to 60 columns, and every command still names the
    channel as one shell word; piped, the message keeps its 80 columns."""
    import shlex

    from tests.cli.test_surface import _on_pty
    from tests.conftest import collab_bin

    narrow, word = channel.join_message(width=60), shlex.quote(str(channel.path))
    assert all(len(line) <= 60 or word in line for line in narrow.splitlines())  # a path is never broken
    assert any(len(line) > 60 and word not in line for line in channel.join_message().splitlines())
    logical = narrow.replace("\\\n", " ")
    for command in [line.strip() for line in logical.splitlines() if line.startswith("    collab ")]:
        assert shlex.split(command.split("<<")[0])[2] == str(channel.path), command
    screen = _on_pty(["join", channel.id], subprocess_env | {"COLUMNS": "60", "LINES": "40"}).decode()
    lines = screen.replace("\r\n", "\n").rstrip("\n").splitlines()
    assert lines == narrow.splitlines()
    piped = subprocess.run([collab_bin(), "join", channel.id], env=subprocess_env, capture_output=True, text=True)
    assert piped.stdout.rstrip("\n") == channel.join_message()
