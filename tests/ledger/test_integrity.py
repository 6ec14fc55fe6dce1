"""The ledger: acceptance, verification naming the changed part, refusal to build on an edited
history, repair, and damaged or missing ledgers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from collab.channel import Channel
from collab.cli import app
from collab.errors import IntegrityError
from collab.ledger import journal, reading, wal
from collab.ledger.checks import Report
from collab.ledger.journal import Ledger, copy_path, ledger_path
from collab.ledger.wal import LedgerWarning
from collab.text.grammar import Ref
from tests.conftest import NOW


def sync(path: Path) -> Report:
    """verify, as the command runs it (hand appends accepted first)."""
    return Channel(path).verify()


def load(path: Path) -> Ledger:
    found = journal.load(path)
    assert isinstance(found, Ledger), found
    return found


def in_flight(path: Path) -> tuple[int, int] | None:
    """Where an unfinished collab append starts and how long it is meant to be, as a reader sees it."""
    ledger = load(path)
    data = path.read_bytes()
    cut = reading.in_flight(ledger.intent, data)
    return None if cut == len(data) or ledger.intent is None else (cut, ledger.intent.length)


def by_hand(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def edit(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


@pytest.fixture
def exchange(channel: Channel) -> Channel:
    channel.answer("Plugin X 2.1.0", author="site-b", re=Ref("request", 1), now=NOW)
    channel.ask("Do you sign the body?", author="site-b", now=NOW)
    channel.answer("Only the headers.", author="site-a", re=Ref("question", 1), now=NOW)
    return channel


def problems(channel: Channel) -> list[tuple[str, str]]:
    return [(p.part, p.change) for p in sync(channel.path).problems]


def test_a_new_channel_has_a_private_ledger_and_copy(channel: Channel) -> None:
    for path in (ledger_path(channel.path), copy_path(channel.path)):
        assert path.name.startswith("collab-k3x9q2ab-") and path.parent != channel.path.parent
        assert path.stat().st_mode & 0o777 == 0o600
    assert copy_path(channel.path).read_bytes() == channel.path.read_bytes()
    assert json.loads(ledger_path(channel.path).read_text().splitlines()[0])["channel"] == "k3x9q2ab"


def test_appends_are_accepted_and_copied(exchange: Channel) -> None:
    assert sync(exchange.path).ok
    assert copy_path(exchange.path).read_bytes() == exchange.path.read_bytes()
    ledger = load(exchange.path)
    assert ledger is not None and ledger.accepted_end == exchange.path.stat().st_size
    # parsing resumes at the last entry, with the numbering just before it
    assert (ledger.counters.answers, ledger.counters.questions, ledger.counters.index) == (1, 1, 2)
    assert exchange.path.read_bytes()[ledger.checkpoint :].startswith(b"### Answer 2 ")


def test_entries_appended_by_hand_are_accepted_on_the_next_read(exchange: Channel) -> None:
    by_hand(exchange.path, "\n### Answer 3\nwritten with a file tool\n")
    assert sync(exchange.path).ok
    assert copy_path(exchange.path).read_bytes() == exchange.path.read_bytes()
    edit(exchange.path, b"written with a file tool", b"rewritten with a file tool")
    assert problems(exchange) == [("Answer 3 body", "edited")]


def test_a_line_still_being_written_is_not_accepted(exchange: Channel) -> None:
    by_hand(exchange.path, "\n### Answer 3\nhalf a li")
    assert sync(exchange.path).ok
    before = copy_path(exchange.path).read_bytes()
    assert b"half a li" not in before
    by_hand(exchange.path, "ne, finished\n")
    assert sync(exchange.path).ok
    assert copy_path(exchange.path).read_bytes().endswith(b"half a line, finished\n")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b"Send the exact header names.", b"Send any header names.", [("Request 2 in the header", "edited")]),
        (b"## Task\nAlign the auth", b"## Task\nAbandon the auth", [("Task in the header", "edited")]),
        (b"Both sides run plugin X.", b"Only we run plugin X.", [("Context in the header", "edited")]),
        (b"Plugin X 2.1.0", b"Plugin X 3.0.0", [("Answer 1 body", "edited")]),
        (b"from site-b re Request 1", b"from site-c re Request 1", [("Answer 1 heading", "edited")]),
        (b"- Channel: k3x9q2ab", b"- Channel: k3x9q2ab (edited)", [("the header", "edited")]),
    ],
)
def test_verify_names_the_changed_part(
    exchange: Channel, old: bytes, new: bytes, expected: list[tuple[str, str]]
) -> None:
    edit(exchange.path, old, new)
    assert problems(exchange) == expected


def test_a_removed_entry_is_named(exchange: Channel) -> None:
    data = exchange.path.read_bytes()
    exchange.path.write_bytes(data[: data.index(b"\n### Answer 2")] + b"\n")
    assert problems(exchange) == [("Answer 2", "entry removed")]


def test_a_replaced_file_is_named(exchange: Channel, tmp_path: Path) -> None:
    other = Channel.create("Something else entirely", author="z", directory=tmp_path / "..", now=NOW)
    try:
        exchange.path.write_bytes(other.path.read_bytes())
    finally:
        other.path.unlink()
        ledger_path(other.path).unlink()
        copy_path(other.path).unlink()
    assert problems(exchange) == [("file", "replaced by an unrelated file")]
    exchange.path.write_bytes(b"just some notes\n")
    assert problems(exchange) == [("file", "replaced by an unrelated file")]


def test_writers_refuse_an_edited_history_and_write_nothing(exchange: Channel, runner: CliRunner) -> None:
    edit(exchange.path, b"Plugin X 2.1.0", b"Plugin X 9")
    before = exchange.path.read_bytes()
    with pytest.raises(IntegrityError, match=r"Answer 1 body edited.*collab repair"):
        exchange.answer("more", author="site-b")
    for args in (["answer", exchange.id, "more"], ["ask", exchange.id, "more?"], ["close", exchange.id]):
        result = runner.invoke(app, args)
        assert result.exit_code == 4, args
        assert result.stderr.count("\n") == 1 and "collab repair" in result.stderr
    assert exchange.path.read_bytes() == before


def test_verify_cli_exit_codes_and_json(exchange: Channel, runner: CliRunner) -> None:
    result = runner.invoke(app, ["verify", exchange.id])
    assert result.exit_code == 0 and "intact" in result.stdout
    assert json.loads(runner.invoke(app, ["verify", exchange.id, "--json"]).stdout) == {"ok": True, "problems": []}
    edit(exchange.path, b"Only the headers.", b"The body too.")
    result = runner.invoke(app, ["verify", exchange.id])
    assert result.exit_code == 4
    assert result.stdout.startswith("Answer 2 body: edited\n") and "-Only the headers." in result.stdout
    assert result.stderr.startswith("collab: history was edited: Answer 2 body edited")
    result = runner.invoke(app, ["verify", exchange.id, "--json"])
    assert result.exit_code == 4
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert [(p["part"], p["change"]) for p in document["problems"]] == [("Answer 2 body", "edited")]
    assert "+The body too." in document["problems"][0]["diff"]
    assert json.loads(result.stderr)["error"]["code"] == 4


def test_status_reports_integrity(exchange: Channel, runner: CliRunner) -> None:
    assert json.loads(runner.invoke(app, ["status", exchange.id, "--json"]).stdout)["integrity"] == "ok"
    edit(exchange.path, b"Plugin X 2.1.0", b"Plugin X 9")
    result = runner.invoke(app, ["status", exchange.id, "--json"])
    assert json.loads(result.stdout)["integrity"] == "violated"
    assert "history was edited" in result.stderr


def test_repair_restores_history_and_keeps_the_edited_text(exchange: Channel, runner: CliRunner) -> None:
    accepted = exchange.path.read_bytes()
    edit(exchange.path, b"Plugin X 2.1.0", b"Plugin X 9")
    by_hand(exchange.path, "\n### Answer 3\nwritten after the edit\n")
    edited = exchange.path.read_bytes()
    result = runner.invoke(app, ["repair", exchange.id])
    assert result.exit_code == 0, result.stderr
    assert "Answer 1 body edited" in result.stdout
    assert exchange.path.read_bytes() == accepted + b"\n### Answer 3\nwritten after the edit\n"
    assert exchange.path.stat().st_mode & 0o777 == 0o600
    saved = [p for p in exchange.path.parent.iterdir() if ".edited-" in p.name]
    assert len(saved) == 1 and saved[0].read_bytes() == edited and str(saved[0]) in result.stdout
    assert "1 later entries were appended again" in result.stdout
    assert runner.invoke(app, ["verify", exchange.id]).exit_code == 0
    assert runner.invoke(app, ["answer", exchange.id, "after the repair", "--as", "site-b"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["ls", "--json"]).stdout)["channels"][0]["id"] == exchange.id
    assert len(json.loads(runner.invoke(app, ["ls", "--json"]).stdout)["channels"]) == 1
    result = runner.invoke(app, ["repair", exchange.id])
    assert result.exit_code == 0 and "nothing to repair" in result.stdout


def test_a_missing_ledger_stands_until_the_channel_is_accepted(exchange: Channel, runner: CliRunner) -> None:
    """Contract 7.6: a deleted ledger is reported on every command, never 'intact', until accepted."""
    ledger_path(exchange.path).unlink()
    edit(exchange.path, b"Plugin X 2.1.0", b"Plugin X 9")
    for _ in range(2):
        report = sync(exchange.path)
        assert not report.ok and report.problems[0].part == "ledger"
        result = runner.invoke(app, ["verify", exchange.id])
        assert result.exit_code == 4 and "accept-current" in result.stderr
    with pytest.warns(LedgerWarning, match="is missing"):
        exchange.answer("still written", author="site-b")
    assert "is missing" in runner.invoke(app, ["status", exchange.id]).stderr
    assert not sync(exchange.path).ok
    assert runner.invoke(app, ["repair", "--accept-current", exchange.id]).exit_code == 0
    assert sync(exchange.path).ok
    exchange.answer("works again", author="site-b")
    assert sync(exchange.path).ok


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda raw: raw[: len(raw) // 2], None),  # a torn tail: only the last line is lost
        (lambda raw: b"garbage\n" + raw, "damaged"),
        (lambda raw: raw.replace(b'"k3x9q2ab"', b'"zzzzzzzz"', 1), "another channel"),
        (lambda raw: b"", "damaged"),
        (lambda raw: b"[1, 2]\n", "damaged"),
        (lambda raw: raw.replace(b'"end":', b'"end":-', 1), "cannot be right"),
        (lambda raw: raw.replace(b'"sha":"', b'"sha":"zz', 1), "cannot be right"),
    ],
)
def test_a_damaged_ledger_never_crashes(exchange: Channel, damage, why: str | None) -> None:  # type: ignore[no-untyped-def]
    """A damaged journal is a standing problem (never 'intact'); writers still work; accepting ends it."""
    path = ledger_path(exchange.path)
    path.write_bytes(damage(path.read_bytes()))
    if why:
        for _ in range(2):
            report = sync(exchange.path)
            assert not report.ok and why in report.problems[0].diff
        with pytest.warns(LedgerWarning, match=why):
            exchange.answer("still works", author="site-b")
        assert not sync(exchange.path).ok
        exchange.accept_current()
    else:
        assert sync(exchange.path).ok
        exchange.answer("still works", author="site-b")
    assert sync(exchange.path).ok


def test_a_torn_append_is_rolled_back_and_kept(exchange: Channel) -> None:
    ledger = load(exchange.path)
    assert ledger is not None
    payload = b"\n### Answer 3 (2026-06-22T14:10:00Z) from site-b\n" + b"x" * 1000 + b"\n"
    wal.intend(ledger, exchange.path.stat().st_size, payload)
    by_hand(exchange.path, payload[:500].decode())  # the writer died here
    assert in_flight(exchange.path) == (len(exchange.path.read_bytes()) - 500, len(payload))
    before = exchange.path.read_bytes()
    with pytest.warns(LedgerWarning, match="rolled back"):
        entry = exchange.answer("the next writer", author="site-a")
    assert entry.number == 3
    data = exchange.path.read_bytes()
    assert data.startswith(before[: len(before) - 500]) and b"xxxx" not in data
    torn = [p for p in exchange.path.parent.iterdir() if ".torn-" in p.name]
    assert len(torn) == 1 and torn[0].read_bytes() == payload[:500]
    assert sync(exchange.path).ok


def test_a_complete_append_whose_writer_died_before_recording_it_is_kept(exchange: Channel) -> None:
    ledger = load(exchange.path)
    assert ledger is not None
    payload = b"\n### Answer 3 (2026-06-22T14:10:00Z) from site-b\ncomplete\n"
    wal.intend(ledger, exchange.path.stat().st_size, payload)
    by_hand(exchange.path, payload.decode())
    assert exchange.answer("next", author="site-a").number == 4
    assert sync(exchange.path).ok


def test_a_writer_refusing_an_edited_history_does_not_settle_a_pending_append(exchange: Channel) -> None:
    ledger = load(exchange.path)
    assert ledger is not None
    payload = b"\n### Answer 3 (2026-06-22T14:10:00Z) from site-b\n" + b"x" * 100 + b"\n"
    wal.intend(ledger, exchange.path.stat().st_size, payload)  # the writer dies before writing
    edit(exchange.path, b"## Task\nAlign the auth", b"## Task\nAlign, after much thought, the auth")
    before = exchange.path.read_bytes()
    with pytest.raises(IntegrityError, match="Task in the header edited"):
        exchange.answer("next", author="site-a")
    assert sync(exchange.path).problems[0].part == "Task in the header"
    assert exchange.path.read_bytes() == before
    assert not [p for p in exchange.path.parent.iterdir() if ".torn-" in p.name]


def test_bytes_that_are_not_the_dead_writers_are_not_rolled_back(exchange: Channel) -> None:
    ledger = load(exchange.path)
    assert ledger is not None
    payload = b"\n### Answer 3 (2026-06-22T14:10:00Z) from site-b\n" + b"x" * 100 + b"\n"
    wal.intend(ledger, exchange.path.stat().st_size, payload)  # the writer dies before writing
    by_hand(exchange.path, "\n### Answer 3\nwritten by hand after the writer died\n")
    assert in_flight(exchange.path) is None  # a watcher may show the hand-written entry
    assert sync(exchange.path).ok
    entries = exchange.read().entries
    assert (entries[-1].number, entries[-1].body) == (3, "written by hand after the writer died")
    assert exchange.answer("next", author="site-a").number == 4
    assert not [p for p in exchange.path.parent.iterdir() if ".torn-" in p.name]


def test_a_damaged_copy_does_not_misname_the_change(exchange: Channel) -> None:
    edit(copy_path(exchange.path), b"Only the headers.", b"Only the footers.")
    edit(exchange.path, b"Plugin X 2.1.0", b"Plugin X 9")
    assert problems(exchange) == [("accepted history", "edited")]


def test_a_deleted_channel_is_reported_and_restored(exchange: Channel, runner: CliRunner) -> None:
    accepted = exchange.path.read_bytes()
    exchange.path.unlink()
    result = runner.invoke(app, ["verify", exchange.id])
    assert result.exit_code == 4 and result.stdout == "file: deleted\n"
    assert result.stderr.count("\n") == 1 and "was deleted but its ledger remains" in result.stderr
    assert "keeps the edited text" not in result.stderr
    result = runner.invoke(app, ["verify", exchange.id, "--json"])
    assert result.exit_code == 4
    assert json.loads(result.stdout) == {"ok": False, "problems": [{"part": "file", "change": "deleted", "diff": ""}]}
    result = runner.invoke(app, ["repair", exchange.id])
    assert result.exit_code == 0 and "file deleted" in result.stdout and result.stdout.count("\n") == 1
    assert exchange.path.read_bytes() == accepted and exchange.path.stat().st_mode & 0o777 == 0o600
    assert runner.invoke(app, ["verify", exchange.id]).exit_code == 0
    assert runner.invoke(app, ["answer", exchange.id, "after the restore", "--as", "b"]).exit_code == 0


def test_a_deleted_channel_without_a_trusted_copy_is_not_recreated(exchange: Channel, runner: CliRunner) -> None:
    exchange.path.unlink()
    edit(copy_path(exchange.path), b"Only the headers.", b"Only the footers.")
    result = runner.invoke(app, ["repair", exchange.id])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "damaged" in result.stderr
    assert not exchange.path.exists()
    ledger_path(exchange.path).unlink()
    copy_path(exchange.path).unlink()
    result = runner.invoke(app, ["verify", exchange.id])
    assert result.exit_code == 1 and "no channel at" in result.stderr


# --- properties -----------------------------------------------------------------------------------

step = st.one_of(
    st.tuples(st.just("answer"), st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40)),
    st.tuples(st.just("ask"), st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40)),
    st.tuples(st.just("hand"), st.from_regex(r"[a-z ]{1,30}", fullmatch=True)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(step, min_size=1, max_size=6))
def test_any_sequence_of_appends_verifies(tmp_path: Path, steps: list[tuple[str, str]]) -> None:
    channel = Channel.create("property", author="a", requests=["one"], directory=tmp_path)
    try:
        hand_numbers = 0
        for kind, text in steps:
            if kind == "hand":
                hand_numbers = load(channel.path).counters.answers + 1  # type: ignore[union-attr]
                by_hand(channel.path, f"\n### Answer {hand_numbers} from hand\n{text}\n")
            elif text.strip():
                getattr(channel, kind)(text, author="b")
            assert sync(channel.path).ok
    finally:
        for path in (channel.path, ledger_path(channel.path), copy_path(channel.path)):
            path.unlink()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_single_byte_change_to_history_is_caught_and_named(exchange: Channel, data: st.DataObject) -> None:
    original = exchange.path.read_bytes()
    try:
        position = data.draw(st.integers(0, len(original) - 1))
        replacement = data.draw(st.sampled_from(b"aZ7 #-\n").filter(lambda b: b != original[position]))
        changed = original[:position] + bytes([replacement]) + original[position + 1 :]
        exchange.path.write_bytes(changed)
        report = sync(exchange.path)
        assert not report.ok
        header_end = original.index(b"## Answers\n") + len(b"## Answers\n")
        questions = original.index(b"\n## Questions\n")
        parts = [p.part for p in report.problems]
        if position < header_end:
            assert all("header" in part or part == "file" for part in parts), parts
        elif questions <= position <= original.find(b"\n### ", questions):
            # the '## Questions' line and the blank lines around it belong to no entry
            assert all(part.startswith(("text between entries", "file", "Answer 1", "Question 1")) for part in parts)
        else:
            owners = [_entry_at(original, position)]
            if original.find(b"\n### ", position) in (position, position + 1):  # the line break before a heading
                owners.append(_entry_at(original, original.find(b"\n### ", position) + 5))
            assert any(part.startswith(owner) for part in parts for owner in owners), (owners, parts)
    finally:
        exchange.path.write_bytes(original)


def _entry_at(data: bytes, position: int) -> str:
    """The label of the entry whose span holds byte ``position`` (``<none>`` above the first entry)."""
    heading = data.rfind(b"\n### ", 0, position + 5)
    if heading < 0:
        return "<none>"
    return data[heading + 5 : data.index(b" (", heading)].decode()


def test_nothing_but_the_channel_is_left_in_the_shared_directory(exchange: Channel) -> None:
    """Contract 7.8: what collab keeps lives in the private state directory, not beside the channel."""
    assert sorted(os.listdir(exchange.path.parent)) == ["collab-k3x9q2ab.md"]
    state = ledger_path(exchange.path).parent
    assert state.stat().st_mode & 0o777 == 0o700
    assert sorted(p.suffix for p in state.iterdir()) == [".accepted", ".ledger"]


def test_a_journal_line_torn_by_a_dying_writer_is_dropped(exchange: Channel) -> None:
    path = ledger_path(exchange.path)
    with open(path, "ab") as handle:
        handle.write(b'{"t":"intent","offs')  # the writer died inside this write
    exchange.answer("next", author="site-b")
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
    assert sync(exchange.path).ok


def test_the_indexed_read_equals_a_full_parse(exchange: Channel) -> None:
    from collab.text import format

    by_hand(exchange.path, "\n### Answer 2\nduplicate number\n\n### Answer 7 ###\n```\ncode\n```\n")
    exchange.answer("```python\nprint(1)\n```", author="site-b", re=Ref("answer", 1))
    exchange.close(author="site-a")
    by_hand(exchange.path, "\n### Answer 9\nafter the close, half a li")
    checked = exchange.check()
    report, indexed = checked.report, checked.document
    full = format.parse(exchange.path.read_bytes())
    assert report is not None and report.ok
    assert [e.to_json() for e in indexed.entries] == [e.to_json() for e in full.entries]
    assert [(e.start, e.heading) for e in indexed.entries] == [(e.start, e.heading) for e in full.entries]
    assert indexed.warnings == full.warnings and len(full.warnings) >= 2
    assert indexed.closed == full.closed and indexed.closed is not None
    assert indexed.header == full.header
    assert (indexed.counters.answers, indexed.counters.questions) == (full.counters.answers, full.counters.questions)


def test_the_read_only_parse_uses_the_index_and_writes_nothing(exchange: Channel) -> None:
    from collab.text import format

    by_hand(exchange.path, "\n### Answer 4\nappended by hand, not yet accepted\n")
    ledger, copy = ledger_path(exchange.path), copy_path(exchange.path)
    before = (ledger.read_bytes(), copy.read_bytes())
    data = exchange.path.read_bytes()
    checked = exchange.check(accept=False)
    report, document = checked.report, checked.document
    assert report is not None and report.ok
    assert [e.to_json() for e in document.entries] == [e.to_json() for e in format.parse(data).entries]
    assert document.entries[-1].body == "appended by hand, not yet accepted"
    assert (ledger.read_bytes(), copy.read_bytes()) == before


def test_the_read_only_parse_of_an_edited_channel_reports_it_and_parses_everything(exchange: Channel) -> None:
    edit(exchange.path, b"Only the headers.", b"Headers and body.")
    checked = exchange.check(accept=False)
    report, document = checked.report, checked.document
    assert report is not None and not report.ok and checked.integrity == "violated"
    assert report.summary() == "history was edited: Answer 2 body edited"
    assert document.entries[-1].body == "Headers and body."


def test_text_added_later_below_the_last_entry_joins_it_for_every_reader(exchange: Channel) -> None:
    """One view: a section runs to the next structural heading, in the index as in a full parse."""
    from collab.text import format

    by_hand(exchange.path, "\nadded later, without a heading\n")
    document = exchange.check().document
    assert document.entries[-1].body == "Only the headers.\n\n\nadded later, without a heading"
    assert document.entries == format.parse(exchange.path.read_bytes()).entries
    assert sync(exchange.path).ok


def test_a_missing_copy_is_rewritten_while_the_channel_is_intact(exchange: Channel, runner: CliRunner) -> None:
    copy_path(exchange.path).unlink()
    with pytest.warns(LedgerWarning, match="was missing"):
        exchange.answer("still fine", author="site-b")
    assert copy_path(exchange.path).read_bytes() == exchange.path.read_bytes()
    edit(exchange.path, b"Plugin X 2.1.0", b"Plugin X 9")
    copy_path(exchange.path).unlink()
    assert problems(exchange) == [("accepted history", "edited")]
    before = exchange.path.read_bytes()
    result = runner.invoke(app, ["repair", exchange.id])
    assert result.exit_code == 1 and "missing or damaged" in result.stderr and result.stderr.count("\n") == 1
    assert exchange.path.read_bytes() == before
    assert "accept-current" in result.stderr
    assert runner.invoke(app, ["repair", "--accept-current", exchange.id]).exit_code == 0  # the way out it gives
    assert sync(exchange.path).ok
