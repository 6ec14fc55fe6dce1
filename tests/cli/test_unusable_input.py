"""Input collab cannot use is refused with one line and the documented exit code, and writes nothing.

Arguments that are not UTF-8 (argv bytes Python keeps as lone surrogates) or hold a NUL, numbers
in other scripts' digits, bodies and header text with a NUL, hook input nested too deeply, and a
summary for a channel that is already closed (contract sections 4, 6.3 and 7, points 3, 4 and 9).
Headings collab cannot read fully are read, with a warning on every view (contract section 2).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collab.channel import Channel
from collab.cli import app
from collab.cli.push import _wake_exit
from collab.errors import ChannelClosed, UsageError
from collab.hooks import push
from collab.live import sessions
from collab.store import paths
from collab.text.grammar import heading_text, parse_heading, parse_re, parse_timestamp, unread_details
from tests.conftest import collab_bin, state_dir

pytestmark = pytest.mark.timeout(120)

#: "café" as Latin-1 bytes on a UTF-8 command line: Python decodes the 0xe9 to U+DCE9.
LATIN1 = "caf\udce9"


def files_in(directory: Path) -> dict[str, bytes]:
    """Every file in ``directory`` and in the test's state directory, with its bytes."""
    found = {}
    for where in (directory, state_dir(directory)):
        if where.is_dir():
            found |= {str(p): p.read_bytes() for p in sorted(where.iterdir()) if p.is_file()}
    return found


def assert_one_line(stderr: str, code: int, result_code: int, *words: str) -> None:
    """``result_code`` is ``code``, and stderr is one ``collab:`` line holding every one of ``words``."""
    assert result_code == code, stderr
    assert stderr.startswith("collab: ") and stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert "internal error" not in stderr, stderr
    for word in words:
        assert word in stderr, (word, stderr)


def run(args: list[str | bytes], env: dict[str, str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([collab_bin(), *args], env=env, input=stdin, capture_output=True, timeout=30)


# M1: command-line values that are not UTF-8 ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([b"start", b"\xff task"], "'TASK'"),
        ([b"start", b"task", b"--request", b"fine", b"--request", b"caf\xe9"], "'--request'"),
        ([b"start", b"task", b"-r", b"caf\xe9"], "'-r'"),
        ([b"start", b"task", b"--context", b"ab\xff"], "'--context'"),
        ([b"start", b"task", b"--dir", b"/tmp/\xff"], "'--dir'"),
        ([b"start", b"task", b"--as", b"bob\xff"], "'--as'"),
    ],
)
def test_start_refuses_an_argument_that_is_not_utf8_and_creates_nothing(
    args: list[bytes], named: str, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    """Non-UTF-8 argv bytes in any of start's arguments: exit 2, one line naming the argument, no channel."""
    before = files_in(tmp_path)
    result = run(list(args), subprocess_env)
    stderr = result.stderr.decode()
    assert_one_line(stderr, 2, result.returncode, named, "not UTF-8", "offset")
    assert result.stdout == b""
    assert files_in(tmp_path) == before
    as_json = run([*args, b"--json"], subprocess_env)
    error = json.loads(as_json.stderr)["error"]
    assert as_json.returncode == 2 and error["code"] == 2 and named in error["message"]
    assert files_in(tmp_path) == before


def test_a_channel_directory_from_the_environment_that_is_not_utf8_is_refused(
    tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    """``COLLAB_DIR`` bytes that are not UTF-8 are a usage error too, for every command that uses it."""
    env = dict(subprocess_env, COLLAB_DIR=str(tmp_path / LATIN1))
    for args in ([b"start", b"task"], [b"ls"], [b"show", b"k3x9"]):
        result = run(args, env)
        assert_one_line(result.stderr.decode(), 2, result.returncode, "COLLAB_DIR", "not UTF-8")
    assert list(tmp_path.iterdir()) == []


def _cases(path: str) -> list[tuple[list[str], str]]:
    """Every command's text arguments and options, each given a value that is not UTF-8."""
    return [
        (["answer", path, LATIN1, "--as", "site-b"], "'[TEXT]'"),
        (["answer", path, "fine", "--as", LATIN1], "'--as'"),
        (["answer", path, "fine", "--as", "site-b", "--re", f"request:1{LATIN1}"], "'--re'"),
        (["answer", LATIN1, "fine", "--as", "site-b"], "'CHANNEL'"),
        (["answer", path, "fine", "--as", "site-b", "--dir", LATIN1], "'--dir'"),
        (["ask", path, LATIN1, "--as", "site-b"], "'[TEXT]'"),
        (["close", path, LATIN1, "--as", "site-b"], "'[TEXT]'"),
        (["close", path, "fine", "--as", LATIN1], "'--as'"),
        (["wait", path, "--as", LATIN1, "--timeout", "0"], "'--as'"),
        (["join", path, "--as", LATIN1], "'--as'"),
        (["status", path, "--as", LATIN1], "'--as'"),
        (["show", path, "--author", LATIN1], "'--author'"),
        (["show", path, "--since", LATIN1], "'--since'"),
        (["show", path, "--html", "-o", LATIN1], "'-o'"),
        (["watch", LATIN1], "'CHANNEL'"),
        (["verify", LATIN1], "'CHANNEL'"),
        (["repair", LATIN1], "'CHANNEL'"),
        (["ls", "--dir", LATIN1], "'--dir'"),
        (["rm", path, LATIN1], "'CHANNEL"),
        (["prune", "--dir", LATIN1], "'--dir'"),
    ]


def test_every_command_refuses_text_arguments_that_are_not_utf8(
    channel: Channel, runner: CliRunner, tmp_path: Path
) -> None:
    """Bodies, names, references and paths that are not UTF-8: exit 2 naming the argument, nothing written."""
    before = files_in(tmp_path)
    for args, named in _cases(str(channel.path)):
        result = runner.invoke(app, args)
        assert_one_line(result.stderr, 2, result.exit_code, named, "not UTF-8")
        assert files_in(tmp_path) == before, args


def test_an_unpaired_surrogate_and_a_nul_in_an_argument_are_refused(channel: Channel, runner: CliRunner) -> None:
    """Text no file can hold (a surrogate not from argv bytes, a NUL) is refused the same way, naming it."""
    before = channel.path.read_bytes()
    for text, words in (("x\ud800y", ("unpaired surrogate U+D800", "offset 1")), ("a\x00b", ("NUL byte", "offset 1"))):
        for args in (["answer", str(channel.path), text, "--as", "site-b"], ["close", str(channel.path), text]):
            result = runner.invoke(app, args)
            assert_one_line(result.stderr, 2, result.exit_code, "'[TEXT]'", *words)
    result = runner.invoke(app, ["start", "a\x00b"])
    assert_one_line(result.stderr, 2, result.exit_code, "'TASK'", "NUL byte")
    assert channel.path.read_bytes() == before
    assert [p.name for p in channel.path.parent.glob("collab-*.md")] == [channel.path.name]


# M2: hook input nested too deeply ---------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000])
def test_hook_input_nested_too_deeply_is_bad_input_not_a_crash(raw: bytes, subprocess_env: dict[str, str]) -> None:
    """The hook's contract for malformed input: exit 0 with one line saying so; never a traceback."""
    outcome = push.run(raw, timeout=0.0)
    assert outcome.code == 0 and "nested too deeply" in outcome.message
    result = run([b"hook", b"--timeout", b"1"], subprocess_env, stdin=raw)
    assert_one_line(result.stderr.decode(), 0, result.returncode, "nested too deeply", "nothing to do")
    assert result.stdout == b""


def test_a_seats_file_nested_too_deeply_reads_as_damaged(channel: Channel, runner: CliRunner) -> None:
    """collab's own JSON state nested too deeply is damaged state, not an internal error."""
    assert runner.invoke(app, ["answer", str(channel.path), "first", "--as", "site-b"]).exit_code == 0
    registry = paths.sidecar(channel.path, "seats.json")
    registry.write_bytes(b"[" * 100_000)
    result = runner.invoke(app, ["answer", str(channel.path), "second", "--as", "site-b"])
    assert result.exit_code == 0, result.stderr
    assert "internal error" not in result.stderr


# M3: headings collab cannot read fully ----------------------------------------------------------

UNREADABLE = {
    "Answer 1 (not a time) from bob": "the time '(not a time)' cannot be read",
    "Answer 2 (2026-13-45T99:99:99Z) from bob": "the time '2026-13-45T99:99:99Z' cannot be read",
    "Answer 3 (2026-06-22T14:02:11Z) from bob re Nonsense 5": "'re Nonsense 5' names no request, question or answer",
    "Answer 4 (2026-06-22T14:02:11Z) from <img src=x>": "'from <img src=x>' names no author",
    "Answer 5 (2026-06-22) from bob": "the time '2026-06-22' cannot be read",
    "Answer 6 (2026-02-30T10:00Z) from bob": "the time '2026-02-30T10:00Z' cannot be read",
    "Answer 7 (2026-06-22T14:02:11Z) from bob re Request 99999999": "has a number over 999999",
    "Answer 8 (2026-06-22T14:02:11Z) from": "'from' names no author",
    "Answer 9 (2026-06-22T14:02:11Z) from bob re: Question \u0663": "'re: Question \u0663' names no request",
}

READABLE = [
    "Answer 1 (2026-06-22T14:02:11Z) from site-b re Request 1",
    "Answer 1 (2026-06-22T14:02Z)",
    "Answer 2",
    "Answer 2 from bob",
    "question 4 — 2026-06-22 16:05 +02:00 from @bob (re: question 2)",
    "Answer #7 to Request 3, from site-a",
    "ANSWER 5 [2026-06-22T14:02:11.123Z] re Answer 4",
    "Answer 3 (re Request 2)",
    "Answer 3 (from bob)",
    "Answer 1: a re-check of the numbers",
    "Answer 1 from re",
]


@pytest.mark.parametrize("text", sorted(UNREADABLE))
def test_a_heading_part_that_cannot_be_read_is_named(text: str) -> None:
    """unread_details names the time, author or reference that is there but cannot be read."""
    details = unread_details(text)
    assert len(details) == 1 and UNREADABLE[text] in details[0], details


@pytest.mark.parametrize("text", READABLE)
def test_headings_collab_reads_fully_give_no_warning(text: str) -> None:
    """No false alarms: what the lenient grammar reads (or the extra words it allows) is not reported."""
    assert unread_details(text) == ()


def test_heading_text_is_the_atx_heading_as_commonmark_reads_it() -> None:
    """The text an entry's heading line holds, without its opening and closing ``#`` runs."""
    assert heading_text("### Answer 1 (x) from bob") == "Answer 1 (x) from bob"
    assert heading_text("  ### Answer 1 ###  ") == "Answer 1"
    assert heading_text("### Answer #7") == "Answer #7"


@pytest.fixture
def hand_headings(channel: Channel) -> Channel:
    """The channel with one hand-written entry under each heading collab cannot read fully."""
    with channel.path.open("a") as out:
        for text in UNREADABLE:
            out.write(f"\n### {text}\nbody of {text.split()[1]}\n")
    return channel


def _warned_once_each(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.startswith("collab: warning: Answer")]
    for number, (text, detail) in enumerate(UNREADABLE.items(), 1):
        found = [
            line for line in lines if line.startswith(f"collab: warning: Answer {number}, heading") and detail in line
        ]
        assert len(found) == 1, (text, stderr)
    assert "Traceback" not in stderr and "internal error" not in stderr


def test_show_warns_about_each_heading_it_cannot_read_fully(hand_headings: Channel, runner: CliRunner) -> None:
    """show lists the warnings with the transcript and in --json, and the entries are still all there."""
    before = hand_headings.path.read_bytes()
    shown = runner.invoke(app, ["show", str(hand_headings.path)])
    assert shown.exit_code == 0, shown.stderr
    for detail in UNREADABLE.values():
        assert sum(detail in line for line in shown.stdout.splitlines() if line.startswith("warning: ")) == 1
    document = json.loads(runner.invoke(app, ["show", str(hand_headings.path), "--json"]).stdout)
    assert [e["number"] for e in document["entries"]] == list(range(1, len(UNREADABLE) + 1))
    for detail in UNREADABLE.values():
        assert sum(detail in w for w in document["warnings"]) == 1, document["warnings"]
    assert hand_headings.path.read_bytes() == before


def test_status_wait_and_verify_warn_on_stderr(hand_headings: Channel, runner: CliRunner) -> None:
    """status and verify warn about every such heading; wait about those of the entries it delivers."""
    path = str(hand_headings.path)
    before = hand_headings.path.read_bytes()
    status = runner.invoke(app, ["status", path])
    assert status.exit_code == 0 and "warning" not in status.stdout
    _warned_once_each(status.stderr)
    status_json = runner.invoke(app, ["status", path, "--json"])
    assert status_json.exit_code == 0 and json.loads(status_json.stdout)["counts"]["answers"] == len(UNREADABLE)
    verify = runner.invoke(app, ["verify", path])
    assert verify.exit_code == 0 and "intact" in verify.stdout
    _warned_once_each(verify.stderr)
    waited = runner.invoke(app, ["wait", path, "--as", "site-a", "--settle", "0", "--timeout", "5"])
    assert waited.exit_code == 0, waited.stderr
    _warned_once_each(waited.stderr)
    again = runner.invoke(app, ["wait", path, "--as", "site-a", "--settle", "0", "--timeout", "0"])
    assert again.exit_code == 3 and "warning" not in again.stderr  # nothing delivered, nothing to warn about
    assert hand_headings.path.read_bytes() == before


def test_many_unreadable_headings_are_summed_up_after_ten(channel: Channel, runner: CliRunner) -> None:
    """A command that warns on stderr lists ten and says how many more `collab show` lists."""
    with channel.path.open("a") as out:
        out.writelines(f"\n### Answer {n} (not a time)\nbody\n" for n in range(1, 13))
    result = runner.invoke(app, ["status", str(channel.path)])
    lines = result.stderr.splitlines()
    assert len(lines) == 11 and "2 more warnings" in lines[-1] and "collab show" in lines[-1]


# M4: a summary for a channel that is already closed ---------------------------------------------


def test_closing_a_closed_channel_with_a_summary_is_refused(channel: Channel, runner: CliRunner) -> None:
    """Exit 1 saying it was already closed and the summary was not written; the file is unchanged."""
    path = str(channel.path)
    assert runner.invoke(app, ["close", path, "first summary"]).exit_code == 0
    before = channel.path.read_bytes()
    for args, stdin in (
        (["close", path, "second summary"], None),
        (["close", path, "-"], "from stdin\n"),
        (["close", path, "late", "--force"], None),
    ):
        result = runner.invoke(app, args, input=stdin)
        assert_one_line(result.stderr, 1, result.exit_code, "already closed", "summary was not written")
        assert result.stdout == ""
    as_json = runner.invoke(app, ["close", path, "late", "--json"])
    error = json.loads(as_json.stderr)["error"]
    assert as_json.exit_code == 1 and error["code"] == 1 and "summary was not written" in error["message"]
    assert channel.path.read_bytes() == before
    with pytest.raises(ChannelClosed, match="summary was not written"):
        channel.close(author="site-a", summary="from the library")
    assert channel.path.read_bytes() == before


def test_closing_a_closed_channel_without_a_summary_is_still_fine(channel: Channel, runner: CliRunner) -> None:
    """Without a summary the closing line is already there, so exit 0 (7.3), saying so, nothing written."""
    path = str(channel.path)
    assert runner.invoke(app, ["close", path]).exit_code == 0
    before = channel.path.read_bytes()
    again = runner.invoke(app, ["close", path])
    assert again.exit_code == 0 and "already closed" in again.stdout
    as_json = runner.invoke(app, ["close", path, "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["already_closed"] is True
    assert channel.close(author="site-a") is False
    assert channel.path.read_bytes() == before


# M5: a NUL in the task, a body, the context or a request ----------------------------------------


def test_a_task_with_a_nul_says_so_and_creates_nothing(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    """A NUL in the task on stdin is a usage error about the task, not "this is not a collab channel"."""
    before = files_in(tmp_path)
    for stdin in (b"a\x00b", b"line one\n\x00\n"):
        result = run([b"start", b"-"], subprocess_env, stdin=stdin)
        stderr = result.stderr.decode()
        assert_one_line(stderr, 2, result.returncode, "the task holds a NUL byte")
        assert "not a collab channel" not in stderr
    assert files_in(tmp_path) == before


@pytest.mark.parametrize(
    ("keywords", "what"),
    [
        ({"task": "a\x00b"}, "the task holds a NUL byte"),
        ({"context": "some\x00context"}, "the context holds a NUL byte"),
        ({"requests": ["fine", "bad\x00request"]}, "the request 2 holds a NUL byte"),
        ({"requests": ["x\ud800"]}, "the request 1 is not valid text"),
        ({"context": "x\ud800"}, "the context is not valid text"),
    ],
)
def test_header_text_no_reader_could_read_back_is_refused(keywords: dict, what: str, tmp_path: Path) -> None:
    """The task, context and requests are checked as bodies are: refused before the channel is created."""
    with pytest.raises(UsageError, match=what):
        Channel.create(**({"task": "task"} | keywords), author="site-a", directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_terminal_controls_in_the_header_are_written_visibly(tmp_path: Path, runner: CliRunner) -> None:
    """The header, like a body, never carries raw terminal controls (contract 7, point 7)."""
    with pytest.warns(UserWarning, match="written as visible symbols") as said:
        result = runner.invoke(app, ["start", "red \x1b[31mtask", "--context", "bell\x07", "-r", "esc\x1b", "--json"])
    assert result.exit_code == 0, result.stderr
    assert sorted(str(w.message).split(" held")[0] for w in said) == ["the context", "the request 1", "the task"]
    data = Path(json.loads(result.stdout)["path"]).read_bytes()
    assert b"\x1b" not in data and b"\x07" not in data
    assert "\u241b[31mtask" in data.decode()


@pytest.mark.parametrize("command", ["answer", "ask", "close"])
def test_a_body_on_stdin_with_a_nul_is_refused(command: str, channel: Channel, runner: CliRunner) -> None:
    """Answer, question and closing summary bodies with a NUL: exit 2 saying so, the channel unchanged."""
    before = channel.path.read_bytes()
    result = runner.invoke(app, [command, str(channel.path), "-", "--as", "site-b"], input="one\x00two\n")
    what = {"answer": "answer", "ask": "question", "close": "summary"}[command]
    assert_one_line(result.stderr, 2, result.exit_code, f"the {what} holds a NUL byte")
    assert channel.path.read_bytes() == before


# M6: numbers are ASCII digits -------------------------------------------------------------------

OTHER_DIGITS = ["\uff11", "\u0663", "\u0967", "\u00b2", "1_0"]


@pytest.mark.parametrize("digit", OTHER_DIGITS)
def test_re_with_other_digits_is_a_usage_error_and_writes_nothing(
    digit: str, channel: Channel, runner: CliRunner
) -> None:
    """``--re request:N`` with N in other digits points at nothing collab reads: exit 2, nothing written."""
    before = channel.path.read_bytes()
    for kind in ("request", "question", "answer"):
        result = runner.invoke(app, ["answer", str(channel.path), "x", "--as", "site-b", "--re", f"{kind}:{digit}"])
        assert_one_line(result.stderr, 2, result.exit_code, "--re", "request:N")
    with pytest.raises(ValueError):
        parse_re(f"request {digit}")
    assert channel.path.read_bytes() == before


@pytest.mark.parametrize("digit", OTHER_DIGITS)
@pytest.mark.parametrize("option", ["--after", "--timeout", "--settle"])
def test_wait_numbers_with_other_digits_are_usage_errors(
    option: str, digit: str, channel: Channel, runner: CliRunner
) -> None:
    """wait's numbers take the digits 0-9 only: int() and float() would read a fullwidth 1 and ``1_0`` as 10."""
    result = runner.invoke(app, ["wait", str(channel.path), "--as", "site-b", "--timeout", "0", option, digit])
    assert_one_line(result.stderr, 2, result.exit_code, f"'{option}'", "digits 0-9")


def test_the_hook_timeout_takes_ascii_digits(subprocess_env: dict[str, str]) -> None:
    """``collab hook --timeout`` is a number like every other; nothing is read from stdin first."""
    result = run([b"hook", b"--timeout", "\uff11".encode()], subprocess_env)
    assert_one_line(result.stderr.decode(), 2, result.returncode, "'--timeout'", "digits 0-9")


def test_headings_read_only_ascii_digits() -> None:
    """A heading's number, time and reference are ASCII digits; others read as missing, with a warning."""
    heading = parse_heading("Answer \uff11 (2026-06-22T14:02:11Z) re Request \uff12")
    assert heading.number is None and heading.warnings == ("no number",) and heading.re is None
    assert parse_heading("Answer 1\uff12").number is None  # not 1: the number does not end at a digit
    assert parse_timestamp("\uff12\uff10\uff12\uff16-06-22T14:02Z") is None
    assert parse_timestamp("2026-06-22T1\uff14:02Z") is None
    assert parse_heading("Answer 3 (2026-06-22T14:02:11Z) re Request 2").re is not None


def test_a_hand_heading_with_other_digits_is_numbered_in_order(channel: Channel, runner: CliRunner) -> None:
    """``### Answer`` and a fullwidth digit is an entry without a number: it takes the next one, as show says."""
    with channel.path.open("a") as out:
        out.write("\n### Answer \uff11 from bob\nfullwidth\n")
    document = json.loads(runner.invoke(app, ["show", str(channel.path), "--json"]).stdout)
    assert [e["number"] for e in document["entries"]] == [1]
    assert any("has no number; read as Answer 1" in w for w in document["warnings"]), document["warnings"]


def test_settings_and_process_ids_read_ascii_digits_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook's wake exit code and a recorded session's process id take the digits 0-9 only."""
    for value, code in (("\uff11\uff10", 2), ("\u00b2", 2), ("10", 10)):
        monkeypatch.setenv("COLLAB_HOOK_WAKE_EXIT", value)
        assert _wake_exit() == code
    assert sessions.alive("\u00b2@1") is True  # unreadable: not known to have ended, and no crash
    assert os.getpid() > 0 and sessions.alive(f"{os.getpid()}") is True
