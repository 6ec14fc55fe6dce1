"""Crossed messages, checked references and closing (contract section 6.3)."""

import json

import pytest

from collab.cli import app
from collab.render.status import compute
from collab.text.grammar import Ref
from tests.conftest import NOW


def _invoke(runner, *args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_answer_reports_entries_from_others_after_the_cursor(runner, channel):
    """An answer names, in JSON and on stderr, each entry from others it crossed; own ones are not news."""
    channel.answer("Version 2.1.0", author="site-b", re=Ref("request", 1))
    channel.ask("Body or headers?", author="site-b")
    mine = _invoke(runner, "answer", channel.path, "Mine first", "--as", "site-a", "--json")
    assert mine.exit_code == 0, mine.stderr
    assert [(e["kind"], e["number"]) for e in json.loads(mine.stdout)["unseen"]] == [("answer", 1), ("question", 1)]
    plain = _invoke(runner, "answer", channel.path, "Only headers", "--re", "question:1", "--as", "site-a")
    assert plain.exit_code == 0, plain.stderr
    assert plain.stderr.splitlines() == [
        "collab: before yours: Answer 1 from site-b re Request 1 (not read yet; collab wait returns it)",
        "collab: before yours: Question 1 from site-b (not read yet; collab wait returns it)",
    ]


def test_crossed_entries_stay_unread_until_wait_returns_them(runner, channel):
    """Writing does not move the writer's cursor past what it crossed: the next wait returns it, then it is read."""
    channel.answer("Version 2.1.0", author="site-b", re=Ref("request", 1))
    assert _invoke(runner, "answer", channel.path, "Crossed", "--as", "site-a").exit_code == 0
    waited = _invoke(runner, "wait", channel.path, "--as", "site-a", "--timeout", "2", "--json")
    assert waited.exit_code == 0, waited.stderr
    assert [e["number"] for e in json.loads(waited.stdout)["entries"]] == [1]
    again = _invoke(runner, "ask", channel.path, "Anything else?", "--as", "site-a", "--json")
    assert json.loads(again.stdout)["unseen"] == []
    assert "before yours" not in again.stderr


def test_post_reports_only_entries_between_the_cursor_and_its_own(channel):
    """`Channel.post` reports entries after `seen` and before its own entry, skipping what `own` says is own."""
    channel.answer("one", author="site-b")
    channel.answer("two", author="site-a")
    channel.answer("three", author="site-b")
    posted = channel.post("answer", "four", author="site-a", seen=1)
    assert [e.number for e in posted.unseen] == [3]
    assert posted.unseen[0].describe() == "Answer 3 from site-b"
    everyone_else = channel.post("answer", "five", author="site-a", seen=0, own=lambda e: False)
    assert [e.number for e in everyone_else.unseen] == [1, 2, 3, 4]


def test_close_refuses_while_entries_from_others_are_unread(runner, channel):
    """`close` exits 1 naming the unread entries, writes nothing, and `--force` closes anyway."""
    channel.answer("I will post here when I hear back", author="site-b")
    before = channel.path.read_bytes()
    refused = _invoke(runner, "close", channel.path, "--as", "site-a")
    assert refused.exit_code == 1
    assert "Answer 1 from site-b" in refused.stderr and "--force" in refused.stderr
    assert channel.path.read_bytes() == before
    forced = _invoke(runner, "close", channel.path, "--as", "site-a", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert channel.read().closed is not None


def test_close_after_reading_needs_no_force(runner, channel):
    """Once `wait` has returned the others' entries, `close` goes through."""
    channel.answer("done", author="site-b")
    assert _invoke(runner, "wait", channel.path, "--as", "site-a", "--timeout", "2").exit_code == 0
    closed = _invoke(runner, "close", channel.path, "--as", "site-a")
    assert closed.exit_code == 0, closed.stderr


def test_close_summary_is_written_and_carried_by_show_and_wait(runner, channel):
    """`close -` writes its summary under `## Closed ... by NAME`; `show --json` and the closing `wait` carry it."""
    summary = "Agreed: headers only.\n\n### Answer 9 (not an entry)\n```\nunclosed"
    closed = _invoke(runner, "close", channel.path, "-", "--as", "site-a", input=summary)
    assert closed.exit_code == 0, closed.stderr
    text = channel.path.read_text()
    assert "\n## Closed (" in text and ") by site-a\n" in text
    assert channel.read().entries == ()
    shown = json.loads(_invoke(runner, "show", channel.path, "--json").stdout)
    assert shown["closing"]["summary"] == summary
    assert shown["closing"]["author"] == "site-a"
    assert shown["closing"]["timestamp"] == channel.read().closed.timestamp
    waited = _invoke(runner, "wait", channel.path, "--as", "site-b", "--timeout", "2", "--json")
    assert waited.exit_code == 0, waited.stderr
    assert json.loads(waited.stdout)["closing"] == shown["closing"]
    assert json.loads(waited.stdout)["closed"] is True


def test_show_json_of_an_open_channel_has_no_closing(runner, channel):
    """Only a closed channel carries `closing`; a close without summary carries `summary: null`."""
    assert "closing" not in json.loads(_invoke(runner, "show", channel.path, "--json").stdout)
    assert channel.close(author="site-a", now=NOW)
    shown = json.loads(_invoke(runner, "show", channel.path, "--json").stdout)
    assert shown["closing"] == {"timestamp": "2026-06-22T13:58:04Z", "author": "site-a", "summary": None}


def test_re_pointing_at_nothing_is_a_usage_error_and_writes_nothing(runner, channel):
    """`--re` to a request, question or answer that does not exist exits 2 and leaves the file as it was."""
    before = channel.path.read_bytes()
    for target in ("request:3", "question:1", "answer:1"):
        result = _invoke(runner, "answer", channel.path, "text", "--re", target, "--as", "site-b")
        assert result.exit_code == 2, (target, result.stderr)
        assert "points at nothing" in result.stderr
        asked = _invoke(runner, "ask", channel.path, "text", "--re", target, "--as", "site-b")
        assert asked.exit_code == 2
    assert channel.path.read_bytes() == before
    assert _invoke(runner, "answer", channel.path, "ok", "--re", "request:2", "--as", "site-b").exit_code == 0
    assert _invoke(runner, "answer", channel.path, "ok", "--re", "answer:1", "--as", "site-a").exit_code == 0


def test_the_creator_never_answers_its_own_request_by_number(channel):
    """An answer with no `re` counts for the request of its number only when the creator did not write it."""
    channel.answer("a note from the creator", author="site-a")
    channel.answer("the header names", author="site-b")
    requests = compute(channel.read(), channel.id, channel.path).requests
    assert [r.answers for r in requests] == [(), (2,)]


def test_close_summary_round_trips_through_the_library(channel):
    """`Channel.closing` reads back exactly the summary `Channel.close` was given."""
    assert channel.closing() is None
    assert channel.close(author="site-a", summary="Done.\n\n- one\n- two", now=NOW)
    closing = channel.closing()
    assert closing is not None and closing.summary == "Done.\n\n- one\n- two"


@pytest.mark.parametrize("unread", [0, 1], ids=["nothing-unread", "one-unread"])
def test_wait_on_a_closed_channel_returns_at_once_not_at_its_timeout(channel, subprocess_env, unread):
    """The review's mutation: a wait that sat out its timeout on a closed channel passed every test.
    Here the timeout is 60 s and the wait must return well before (a 10x margin over its ~1 s)."""
    import subprocess
    import time

    from tests.conftest import collab_bin

    for n in range(unread):
        channel.answer(f"done {n}", author="site-b")
    channel.close(author="site-b", force=True)
    started = time.monotonic()
    waited = subprocess.run(
        [collab_bin(), "wait", str(channel.path), "--as", "site-a", "--timeout", "60", "--json"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert waited.returncode == 0 and json.loads(waited.stdout)["closed"] is True, waited.stderr
    assert [e["body"] for e in json.loads(waited.stdout)["entries"]] == [f"done {n}" for n in range(unread)]
    assert elapsed < 10, elapsed
