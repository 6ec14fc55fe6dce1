"""show and status: JSON shapes, plain text at a fixed width, filters, failures."""

import json

import pytest

from collab.cli import app
from collab.render.status import compute
from collab.text.grammar import Ref
from tests.conftest import NOW
from tests.test_channel import LATER


@pytest.fixture
def exchange(channel):
    channel.answer("Version **2.1.0**", author="site-b", re=Ref("request", 1), now=LATER)
    with pytest.warns(UserWarning, match="terminal control characters"):
        channel.ask("Body or headers?\x1b]52;c;aGk=\x07\x1b[2J", author="site-b", now=LATER)
    channel.answer(
        "Only the headers.\n\n```python\nprint('[bold]x[/bold]')\n```",
        author="site-a",
        re=Ref("question", 1),
        now=LATER,
    )
    return channel


def test_status_rules(exchange, tmp_path):
    exchange.answer("In order, no re", author="site-b", now=NOW)  # Answer 3: no request 3, counts for none
    exchange.answer("Second request, no re", author="site-b", now=NOW)  # Answer 4
    exchange.ask("Still open?", author="site-b", now=LATER)
    status = compute(exchange.read(), exchange.id, exchange.path)
    assert [(r.number, r.answers) for r in status.requests] == [(1, (1,)), (2, ())]
    assert status.open_questions == (2,)
    assert (status.answers, status.questions) == (4, 2)
    data = status.to_json()
    assert set(data) >= {
        "id",
        "path",
        "task",
        "state",
        "requests",
        "open_questions",
        "participants",
        "counts",
        "last_activity",
        "integrity",
    }
    creator, answerer = data["participants"][:2]  # the creator is a participant from start on
    assert creator == {
        "name": "site-a",
        "entries": 1,
        "last_entry": creator["last_entry"],
        "waiting": False,
        "seen": 0,
        "seen_at": None,
    }
    assert answerer == {
        "name": "site-b",
        "entries": 5,
        "last_entry": "2026-06-22T14:02:11Z",
        "waiting": False,
        "seen": 0,
        "seen_at": None,
    }
    assert [(e["label"], e["read_by"]) for e in data["entries"]][:2] == [("Answer 1", []), ("Question 1", [])]


def test_an_answer_without_re_answers_the_request_of_its_number(tmp_path, channel):
    channel.answer("first", author="b", now=LATER)
    status = compute(channel.read(), channel.id, channel.path)
    assert [r.answered for r in status.requests] == [True, False]


def test_show_json_shape(runner, exchange):
    result = runner.invoke(app, ["show", exchange.id, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["id"] == exchange.id and data["state"] == "open" and data["warnings"] == []
    assert data["header"] == {
        "title": "Align the auth handshake between site A and site B",
        "task": "Align the auth handshake between site A and site B",
        "context": "Both sides run plugin X.",
        "requests": [
            {"number": 1, "text": "Which version of plugin X is active on your side?"},
            {"number": 2, "text": "Send the exact header names."},
        ],
    }
    assert [e["index"] for e in data["entries"]] == [1, 2, 3]
    assert data["entries"][1]["body"].startswith("Body or headers?\u241b]52")  # written visibly, never raw


def test_show_filters(runner, exchange):
    def shown(*args):
        result = runner.invoke(app, ["show", exchange.id, "--json", *args])
        assert result.exit_code == 0, result.stderr
        return [(e["kind"], e["number"]) for e in json.loads(result.stdout)["entries"]]

    assert shown("--kind", "question") == [("question", 1)]
    assert shown("--author", "SITE-A") == [("answer", 2)]
    assert shown("--since", "2026-06-23") == []
    assert shown("--since", "2026-06-22T14:00Z") == [("answer", 1), ("question", 1), ("answer", 2)]
    bad = runner.invoke(app, ["show", exchange.id, "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since" in bad.stderr
    bad = runner.invoke(app, ["show", exchange.id, "--kind", "note"])
    assert bad.exit_code == 2 and "--kind" in bad.stderr


SNAPSHOT = """\
Align the auth handshake between site A and site B  [open]  {path}

Task:
  Align the auth handshake between site A and site B

Context:
  Both sides run plugin X.

Requests:
  [x] 1. Which version of plugin X is active on your side?  (answered by Answer 1)
  [ ] 2. Send the exact header names.  (open)

Questions:
  [x] Question 1 from site-b: Body or headers?␛]52;c;aGk=␇␛[2J  (answered by Answer 2)

Answer 1 from site-b at 2026-06-22T14:02:11Z, re Request 1
  Version **2.1.0**

Question 1 from site-b at 2026-06-22T14:02:11Z, answered by Answer 2
  Body or headers?\u241b]52;c;aGk=\u2407\u241b[2J

Answer 2 from site-a at 2026-06-22T14:02:11Z, re Question 1
  Only the headers.

  ```python
  print('[bold]x[/bold]')
  ```
"""


def test_show_plain_text_snapshot(runner, exchange):
    result = runner.invoke(app, ["show", str(exchange.path)], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert result.stdout == SNAPSHOT.format(path=exchange.path)
    assert "\x1b" not in result.stdout


def test_status_plain_text(runner, exchange):
    result = runner.invoke(app, ["status", exchange.id])
    assert result.exit_code == 0
    assert "open requests: 2; open questions: none" in result.stdout
    assert "[x] 1. Which version" in result.stdout
    assert "integrity:" in result.stdout


def test_counts_agree_in_number(channel):
    from collab.render.render_text import counts_line
    from collab.render.status import compute

    channel.answer("one", author="site-b")
    channel.ask("one?", author="site-b")
    assert counts_line(compute(channel.read(), channel.id, channel.path)).startswith("1 answer, 1 question;")
    channel.answer("two", author="site-b")
    assert counts_line(compute(channel.read(), channel.id, channel.path)).startswith("2 answers, 1 question;")


def test_rich_rendering_keeps_bodies_inert(exchange):
    from rich.console import Console

    from collab.render.render_term import print_status, print_transcript

    console = Console(record=True, width=80, force_terminal=True, color_system="truecolor")
    document = exchange.read()
    status = compute(document, exchange.id, exchange.path)
    print_transcript(console, document, status, document.entries)
    print_status(console, status)
    text = console.export_text()
    assert "print('[bold]x[/bold]')" in text
    assert "\u241b]52;c;aGk=" in text
    raw = console.export_text(styles=True)
    assert "\x1b]52" not in raw and "\x1b[2J" not in raw
    assert "Which version of plugin X" in text and "open requests: 2" in text


@pytest.mark.parametrize("command", ["show", "status"])
def test_missing_channel(runner, command):
    result = runner.invoke(app, [command, "nochan1", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stderr)["error"]["code"] == 1


def test_show_of_a_file_that_is_not_a_channel(runner, tmp_path):
    path = tmp_path / "collab-notes.md"
    path.write_text("# notes\n")
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 1 and "no '## Answers' line" in result.stderr


def _cannot_lock(monkeypatch):
    """The channel behaves as a read-only file would for a non-root user: it cannot be locked for writing."""
    from collab.store import files

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(files, "try_locked", refuse)


def test_a_channel_that_cannot_be_locked_is_still_checked_read_only(exchange, runner, monkeypatch):
    from collab.ledger import journal as integrity

    with exchange.path.open("a") as handle:
        handle.write("\n### Answer 3\nby hand, not accepted yet\n")
    journal = integrity.ledger_path(exchange.path).read_bytes()
    _cannot_lock(monkeypatch)
    result = runner.invoke(app, ["status", exchange.id, "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(result.stdout)["integrity"] == "ok"
    assert json.loads(runner.invoke(app, ["show", exchange.id, "--json"]).stdout)["entries"][-1]["number"] == 3
    assert integrity.ledger_path(exchange.path).read_bytes() == journal  # nothing accepted

    exchange.path.write_bytes(exchange.path.read_bytes().replace(b"Only the headers.", b"All of it."))
    result = runner.invoke(app, ["status", exchange.id, "--json"])
    assert json.loads(result.stdout)["integrity"] == "violated"
    assert "history was edited: Answer 2 body edited" in result.stderr


def test_a_channel_without_a_ledger_that_cannot_be_locked_is_unchecked(exchange, runner, monkeypatch):
    from collab.ledger import journal

    journal.ledger_path(exchange.path).unlink()
    _cannot_lock(monkeypatch)
    result = runner.invoke(app, ["status", exchange.id, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["integrity"] == "unchecked"
    assert "is missing, so edits of its history cannot be detected" in result.stderr
