"""The commands of the base issue through CliRunner, plus real runs of the installed script."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.cli import app
from collab.integrations.install import render_command
from collab.ledger.wal import LedgerWarning
from tests.conftest import collab_bin
from tests.text.test_format import ORIGINAL


def _start(runner, *args):
    result = runner.invoke(
        app, ["start", "Align the auth", "-r", "Which version?", "-r", "Headers?", "--as", "site-a", "--json", *args]
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_start_prints_id_path_and_join_message(runner, tmp_path):
    started = _start(runner)
    assert set(started) >= {"id", "path", "join_message"}
    assert started["path"] == str(tmp_path / f"collab-{started['id']}.md")
    assert started["path"] in started["join_message"]
    human = runner.invoke(app, ["start", "Another task", "--as", "site-a"])
    assert human.exit_code == 0
    assert "collab watch" in human.stderr
    # stdout is not a terminal here: stderr says where the message went, not "paste this"
    assert "Paste this" not in human.stderr and "The join message went to stdout" in human.stderr
    # stdout is the join message alone, as `collab join` prints it: piping start copies just that
    new_id = human.stderr.split("Created channel ", 1)[1].split(":", 1)[0]
    joined = runner.invoke(app, ["join", new_id, "--as", "site-a"])
    assert human.stdout == joined.stdout and human.stdout.startswith("You are joining a collab channel")


def test_join_on_a_closed_channel_is_an_error_that_says_so(runner):
    started = _start(runner)
    assert runner.invoke(app, ["close", started["id"], "--as", "site-a"]).exit_code == 0
    joined = runner.invoke(app, ["join", started["id"]])
    assert joined.exit_code == 1 and joined.stdout == ""
    assert joined.stderr.startswith("collab: ") and "is closed: there is nothing to join" in joined.stderr
    assert joined.stderr.count("\n") == 1


def test_start_reads_a_hostile_task_from_stdin(runner):
    task = "Fix `rm -rf /` and $(whoami) 'quotes' \"double\"\n\n## Answers\n"
    result = runner.invoke(app, ["start", "-", "--json", "--as", "a"], input=task)
    assert result.exit_code == 0, result.stderr
    path = json.loads(result.stdout)["path"]
    shown = runner.invoke(app, ["join", path, "--json"])
    assert shown.exit_code == 0
    assert Channel(Path(path)).read().header.task == task.strip()


def test_start_in_a_missing_directory_fails_cleanly(runner, tmp_path):
    result = runner.invoke(app, ["start", "t", "--dir", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.startswith("collab: directory")
    assert len(result.stderr.strip().splitlines()) == 1


def test_full_exchange(runner):
    started = _start(runner)
    cid = started["id"]
    a1 = runner.invoke(app, ["answer", cid, "--re", "request:1", "--as", "site-b", "--json"], input="Version 2.1.0\n")
    assert a1.exit_code == 0, a1.stderr
    assert json.loads(a1.stdout)["number"] == 1
    a2 = runner.invoke(app, ["answer", cid, "X-Sig and X-Time", "--re", "request:2", "--as", "site-b"])
    assert a2.exit_code == 0
    assert a2.stdout.startswith("Answer 2 appended to ") and a2.stdout.rstrip().endswith(" as site-b")
    q1 = runner.invoke(app, ["ask", cid, "-", "--as", "site-b", "--json"], input="Sign the body?")
    entry = json.loads(q1.stdout)
    assert (entry["kind"], entry["number"], entry["author"], entry["index"]) == ("question", 1, "site-b", 3)
    read = runner.invoke(app, ["wait", cid, "--as", "site-a", "--timeout", "1", "--json"])
    assert [e["index"] for e in json.loads(read.stdout)["entries"]] == [1, 2, 3]
    a3 = runner.invoke(app, ["answer", cid, "Only headers", "--re", "question:1", "--as", "site-a", "--json"])
    assert json.loads(a3.stdout)["re"] == {"kind": "question", "number": 1}
    assert json.loads(a3.stdout)["unseen"] == []
    closed = runner.invoke(app, ["close", cid, "--as", "site-a"])
    assert closed.exit_code == 0 and "Closed" in closed.stdout
    again = runner.invoke(app, ["close", cid, "--json"])
    assert json.loads(again.stdout)["already_closed"] is True
    late = runner.invoke(app, ["answer", cid, "late", "--json"])
    assert late.exit_code == 1
    assert json.loads(late.stderr) == {
        "error": {
            "code": 1,
            "message": f"channel {cid} is closed: nothing more can be appended; read how it ended with "
            f"`collab show {cid}`, and to go on, start a new one with `collab start`",
        }
    }


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["answer", "nochan1", "x"], 1, "no channel at"),
        (["answer", "Bad Id!", "x"], 2, "neither a channel path nor an id"),
        (["answer", "{cid}", "x", "--re", "bogus"], 2, "--re: cannot read 'bogus'"),
        (["answer", "{cid}", "x", "--as", "two words"], 2, "--as/COLLAB_AS"),
        (["answer", "{cid}"], 2, "the answer is empty"),
        (["ask", "{cid}", "   "], 2, "the question is empty"),
        (["join", "nochan1"], 1, "no channel at"),
        (["close", "nochan1"], 1, "no channel at"),
    ],
)
def test_failures_are_one_line_with_the_contract_code(runner, args, code, message):
    cid = _start(runner)["id"]
    result = runner.invoke(app, [a.format(cid=cid) for a in args])
    assert result.exit_code == code
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_stdin_that_is_not_utf8_is_refused(runner):
    cid = _start(runner)["id"]
    result = runner.invoke(app, ["answer", cid, "-"], input=b"\xff\xfe")
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr


def test_identity_from_environment_and_directory(runner, monkeypatch, tmp_path):
    cid = _start(runner)["id"]
    monkeypatch.setenv("COLLAB_AS", "from-env")
    result = runner.invoke(app, ["answer", cid, "x", "--json"])
    assert json.loads(result.stdout)["author"] == "from-env"
    monkeypatch.delenv("COLLAB_AS")
    project = tmp_path / "my project"
    (project / ".git").mkdir(parents=True)
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    result = runner.invoke(app, ["answer", cid, "y", "--json"])
    assert json.loads(result.stdout)["author"] == "my-project"


def test_answering_a_hand_written_file_by_path(runner, tmp_path):
    path = tmp_path / "collab-orig.md"
    path.write_bytes(ORIGINAL)
    with pytest.warns(LedgerWarning, match="had no ledger"):
        result = runner.invoke(app, ["answer", str(path), "Headers", "--re", "request:2", "--as", "site-b"])
    assert result.exit_code == 0
    assert path.read_bytes().startswith(ORIGINAL)
    assert "### Answer 2 (" in path.read_text()


def test_ls(runner, tmp_path):
    assert json.loads(runner.invoke(app, ["ls", "--json"]).stdout) == {"channels": []}
    first = _start(runner)["id"]
    second = _start(runner)["id"]
    runner.invoke(app, ["answer", first, "later activity", "--as", "b"])
    (tmp_path / "collab-broken.md").write_text("not a channel")
    listing = json.loads(runner.invoke(app, ["ls", "--json"]).stdout)["channels"]
    assert {c["id"] for c in listing} == {first, second, "broken"}
    ok = [c for c in listing if c["id"] != "broken"]
    assert ok[0]["id"] == first or ok[0]["last_activity"] >= ok[1]["last_activity"]
    assert {"id", "path", "task", "state", "entries", "last_activity"} <= set(ok[0])
    broken = next(c for c in listing if c["id"] == "broken")
    assert broken["state"] == "unreadable" and "Answers" in broken["problem"]
    human = runner.invoke(app, ["ls"])
    assert first in human.stdout and "Align the auth" in human.stdout
    missing = runner.invoke(app, ["ls", "--dir", str(tmp_path / "nope")])
    assert missing.exit_code == 1


def test_install_user_and_project(runner, tmp_path, monkeypatch):
    config = tmp_path / "claude"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    result = runner.invoke(app, ["install"])
    assert result.exit_code == 0, result.stderr
    target = config / "commands" / "collab.md"
    assert target.read_text() == render_command()
    assert "unchanged" in runner.invoke(app, ["install"]).stdout
    target.write_text("my own command")
    refused = runner.invoke(app, ["install"])
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert target.read_text() == "my own command"
    forced = runner.invoke(app, ["install", "--force", "--json"])
    assert json.loads(forced.stdout)["outcome"] == "updated"
    assert target.read_text() == render_command()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["install", "--project"]).exit_code == 0
    assert (tmp_path / ".claude" / "commands" / "collab.md").read_text() == render_command()


def test_every_command_has_help(runner):
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    listed = top.stdout.split("Commands:")[1].splitlines()
    commands = [line.split()[0] for line in listed if line.startswith("  ") and not line.startswith("   ")]
    assert {"start", "join", "answer", "ask", "close", "ls", "install"} <= set(commands)
    for command in commands:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 4


def test_unknown_option_is_a_usage_error(runner):
    result = runner.invoke(app, ["answer", "--bogus"])
    assert result.exit_code == 2


def test_installed_script_runs_the_main_job(tmp_path, subprocess_env):
    exe = collab_bin()
    started = subprocess.run(
        [exe, "start", "-", "--json", "--as", "site-a", "-r", "First request"],
        input="Real task $(id)",
        capture_output=True,
        text=True,
        env=subprocess_env,
        check=True,
    )
    path = json.loads(started.stdout)["path"]
    answered = subprocess.run(
        [exe, "answer", path, "-", "--as", "site-b", "--re", "request:1"],
        input="from a real process",
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert answered.returncode == 0, answered.stderr
    failed = subprocess.run(
        [exe, "answer", str(tmp_path / "collab-none.md"), "x"], capture_output=True, text=True, env=subprocess_env
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("collab: no channel at") and "Traceback" not in failed.stderr
    module = subprocess.run([sys.executable, "-m", "collab", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "answer" in module.stdout


def test_ids_are_read_in_any_case_and_verify_says_what_is_near(runner, channel, monkeypatch) -> None:
    """`collab show K3X9Q2AB` names k3x9q2ab; an id that names nothing gets a 'did you mean' from
    verify as from show; usage errors of a command point to that command's own --help."""
    monkeypatch.setenv("COLLAB_DIR", str(channel.path.parent))
    shown = runner.invoke(app, ["show", channel.id.upper(), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"] == channel.id
    near = channel.id[:-1] + ("x" if channel.id[-1] != "x" else "y")
    for command in ("show", "verify"):
        result = runner.invoke(app, [command, near])
        assert result.exit_code == 1 and f"did you mean {channel.id}?" in result.stderr, command
    missing = runner.invoke(app, ["start", "x", "--request"])
    assert missing.exit_code == 2 and "(see `collab start --help`)" in missing.stderr


def test_close_takes_the_summary_as_text_or_as_an_option_but_not_both(runner):
    """``--summary``/``-m`` is what an agent guesses first; giving both is refused and writes nothing."""
    started = _start(runner)
    both = runner.invoke(app, ["close", started["id"], "one", "--summary", "two", "--as", "site-a"])
    assert both.exit_code == 2 and "not both" in both.stderr and both.stderr.count("\n") == 1
    assert Channel(Path(started["path"])).read().closed is None
    closed = runner.invoke(app, ["close", started["id"], "-m", "Agreed: 2.1.0.", "--as", "site-a", "--json"])
    assert closed.exit_code == 0, closed.stderr
    assert Channel(Path(started["path"])).closing().summary == "Agreed: 2.1.0."
    other = _start(runner)
    piped = runner.invoke(app, ["close", other["id"], "--summary", "-", "--as", "site-a"], input="From stdin.\n")
    assert piped.exit_code == 0 and Channel(Path(other["path"])).closing().summary == "From stdin."
