"""show and status on a 60-column terminal, piped, and in --help: titles never lose their key part,
checklists wrap under themselves, every question says whether and by what it was answered."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess

import click
import pytest
import typer
from rich.console import Console

from collab.channel import Channel
from collab.cli import app
from collab.render.render_term import EntryTitle, print_status, print_transcript
from collab.render.status import compute
from collab.text.grammar import Ref
from tests.conftest import NOW, collab_bin

LONG_NAME = "a-participant-with-a-rather-long-name"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def talk(channel: Channel) -> Channel:
    """Requests answered and open, questions answered (twice) and open, a long author name."""
    channel.answer("Version 2.1.0", author="site-b", re=Ref("request", 1), now=NOW)  # Answer 1
    channel.ask("Do you sign the body, or only the headers that we agreed on?", author="site-b", now=NOW)  # Q1
    channel.answer("Only the headers.", author="site-a", re=Ref("question", 1), now=NOW)  # Answer 2
    channel.answer("Same here.", author=LONG_NAME, re=Ref("question", 1), now=NOW)  # Answer 3
    channel.ask("And the trace header?", author="site-b", now=NOW)  # Question 2, open
    return channel


KEYS = (
    "Answer 1 from site-b, re Request 1",
    "Question 1 from site-b",
    "Answer 2 from site-a, re Question 1",
    f"Answer 3 from {LONG_NAME}, re Question 1",
    "Question 2 from site-b",
)


def _lines(console: Console) -> list[str]:
    return [line.replace("\u00a0", " ").rstrip() for line in console.export_text().splitlines()]


def _transcript(channel: Channel, width: int) -> list[str]:
    console = Console(record=True, width=width, force_terminal=True, color_system=None)
    document = channel.read()
    print_transcript(console, document, compute(document, channel.id, channel.path), document.entries)
    return _lines(console)


@pytest.mark.parametrize("width", [60, 80, 160])
def test_entry_titles_keep_kind_number_author_and_re(talk, width):
    lines = _transcript(talk, width)
    assert all(len(line) <= width for line in lines)
    for key in KEYS:
        if len(key) + 3 <= width:
            assert any(key in line for line in lines), (key, lines)  # whole, on one line
        else:
            assert key in " ".join(lines)  # wider than the terminal: wrapped, never cut
    assert not [line for line in lines if "…" in line]
    assert sum("2026-06-22T13:58:04Z" in line for line in lines) == 5  # every time, in full


def test_at_60_columns_the_time_moves_below_the_title(talk):
    lines = _transcript(talk, 60)
    title = next(i for i, line in enumerate(lines) if line.startswith("Answer 2 from site-a, re Question 1"))
    assert "2026-06-22T13:58:04Z" not in lines[title] and lines[title].endswith("─")
    assert lines[title + 1] == "2026-06-22T13:58:04Z"
    wide = _transcript(talk, 100)
    assert any(line.startswith("Answer 2 from site-a, re Question 1 · 2026-06-22T13:58:04Z ─") for line in wide)


def test_questions_say_whether_and_by_which_answers_they_were_answered(talk):
    text = "\n".join(_transcript(talk, 100))
    assert "Question 1 from site-b · 2026-06-22T13:58:04Z · answered by Answer 2, Answer 3" in text
    assert "Question 2 from site-b · 2026-06-22T13:58:04Z · open" in text
    lines = _transcript(talk, 100)
    checklist = lines[lines.index(next(x for x in lines if x.startswith("Questions"))) + 1 :]
    assert checklist[0].startswith(" ✔ Q1 site-b: Do you sign the body") and "answered by Answer 2, Answer 3" in (
        checklist[0] + checklist[1]
    )
    assert any(line.startswith(" ○ Q2 site-b: And the trace header?  open") for line in checklist)


def test_watch_shows_a_question_without_a_status(talk):
    """watch shows a question the moment it lands: no answer can have come yet, so nothing is said."""
    console = Console(record=True, width=80, force_terminal=True, color_system=None)
    question = talk.read().entries[-1]
    console.print(EntryTitle(question))
    assert _lines(console) == ["Question 2 from site-b · 2026-06-22T13:58:04Z " + "─" * 34]


def _section(lines: list[str], name: str) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith(name)) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("view", ["show", "status"])
def test_checklists_wrap_under_their_text_at_60_columns(tmp_path, view):
    channel = Channel.create(
        "Align the auth handshake",
        author="site-a",
        requests=["Which version of plugin X is active on your side, and since when?", "Send the header names."],
        directory=tmp_path,
    )
    channel.answer("2.1.0", author="site-b", re=Ref("request", 1))
    channel.ask("A question long enough to wrap at sixty columns, surely it is?", author="site-b")
    console = Console(record=True, width=60, force_terminal=True, color_system=None)
    document = channel.read()
    status = compute(document, channel.id, channel.path)
    if view == "show":
        print_transcript(console, document, status, document.entries)
    else:
        print_status(console, status)
    lines = _lines(console)
    requests = _section(lines, "Requests")
    assert len(requests) >= 3, lines  # the first request wraps
    assert requests[0].startswith(" ✔ 1. Which version")
    assert all(line.startswith("      ") for line in requests[1:] if not line.startswith(" ○ 2.")), requests
    assert any(line.strip().endswith("answered by Answer 1") for line in requests)  # whole, never split
    assert "(Answer" not in " ".join(lines)
    questions = _section(lines, "Questions")
    assert questions[0].startswith(" ○ Q1 site-b: A question long") and questions[1].startswith("      ")


def test_show_on_a_real_terminal_at_60_columns(talk, subprocess_env):
    """The installed command on a pseudo-terminal with COLUMNS=60, as a person in tmux would run it."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [collab_bin(), "show", talk.id],
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**subprocess_env, "COLUMNS": "60", "TERM": "xterm-256color"},
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(leader)
    assert process.returncode == 0
    lines = [ANSI.sub("", line).rstrip() for line in b"".join(chunks).decode().replace("\r", "").splitlines()]
    assert all(len(line) <= 60 for line in lines), lines
    for key in KEYS[:3]:
        assert any(line.startswith(key) for line in lines), key
    assert "\x1b[" in b"".join(chunks).decode()  # rendered for a terminal, in colour


def test_piped_show_and_status_name_each_question_state(runner, talk):
    shown = runner.invoke(app, ["show", talk.id]).stdout
    assert "Question 1 from site-b at 2026-06-22T13:58:04Z, answered by Answer 2, Answer 3\n" in shown
    assert "Question 2 from site-b at 2026-06-22T13:58:04Z, open\n" in shown
    status = runner.invoke(app, ["status", talk.id]).stdout
    assert (
        "  [x] Question 1 from site-b: Do you sign the body, or only the headers that we agreed on?  "
        "(answered by Answer 2, Answer 3)\n" in status
    )
    assert "  [ ] Question 2 from site-b: And the trace header?  (open)\n" in status
    assert "  [ ] 2. Send the exact header names.  (open)\n" in status


def test_status_json_lists_each_question(runner, talk):
    data = json.loads(runner.invoke(app, ["status", talk.id, "--json"]).stdout)
    assert data["open_questions"] == [2]
    assert data["questions"] == [
        {"number": 1, "author": "site-b", "summary": "Do you sign the body, or only the headers that we agreed on?",
         "answered": True, "answers": [2, 3]},
        {"number": 2, "author": "site-b", "summary": "And the trace header?", "answered": False, "answers": []},
    ]  # fmt: skip


def _command(name: str) -> click.Command:
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    command = group.get_command(click.Context(group), name)
    assert command is not None
    return command


@pytest.mark.parametrize("name", ["show", "status"])
def test_help_describes_every_argument_and_option_with_an_example(runner, name):
    command = _command(name)
    assert all(getattr(param, "help", None) for param in command.params), [
        p.name for p in command.params if not getattr(p, "help", None)
    ]
    first = (command.help or "").split("\n")[0]
    assert first.endswith(".") and len(first) <= 70
    result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert "Example:" in result.stdout and f"collab {name} k3x9q2ab" in result.stdout


def test_show_kind_is_a_choice(runner, talk):
    help_text = runner.invoke(app, ["show", "--help"], env={"COLUMNS": "100"}).stdout
    assert "--kind [answer|question]" in help_text
    assert "-o, --output FILE" in help_text and "--since TIME" in help_text
    bad = runner.invoke(app, ["show", talk.id, "--kind", "note"])
    assert bad.exit_code == 2 and "answer" in bad.stderr and "question" in bad.stderr
    assert bad.stderr.count("\n") == 1
    shown = json.loads(runner.invoke(app, ["show", talk.id, "--kind", "QUESTION", "--json"]).stdout)
    assert [e["kind"] for e in shown["entries"]] == ["question", "question"]


def test_each_author_has_its_own_colour_on_the_terminal_as_on_the_page(channel: Channel) -> None:
    from collab.render import sides

    channel.answer("from b", author="site-b")
    channel.ask("from a", author="site-a")
    channel.answer("from b again", author="site-b")
    document = channel.read()
    console = Console(record=True, width=100, color_system="truecolor", force_terminal=True)
    print_transcript(console, document, compute(document, channel.id, channel.path), document.entries)
    # The styles themselves, not the escape codes: rich caches a style's codes for the first
    # console that rendered it, which in a long test run may have had fewer colours.
    colours = {
        segment.text: segment.style.color.get_truecolor().hex
        for segment in console._record_buffer  # what was printed, with its styles
        if segment.style is not None and segment.style.color is not None and " from site-" in segment.text
    }
    creator, other = (sides.terminal_colour(h) for h in sides.PALETTE[:2])  # site-a created the channel
    assert colours["Answer 1 from site-b"] == other != creator == colours["Question 1 from site-a"]
    assert sides.Casting("site-a").hue("site-b") == sides.PALETTE[1]
